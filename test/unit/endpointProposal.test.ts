import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proposeEndpoints } from '../../src/host/endpointProposal';
import { parseEndpoint, parseEndpointList } from '../../src/core/check/endpoint';
import { stall } from './samples';

const http = (label: string, route: string, path: string) => ({ kind: 'http' as const, label, route, path });

test('proposes the routes seen, with a concrete path, most stalls first', () => {
  const p = proposeEndpoints([
    stall({ id: 'a', handler: http('GET /users/:id', '/users/:id', '/users/42') }),
    stall({ id: 'b', handler: http('POST /orders', '/orders', '/orders') }),
    stall({ id: 'c', handler: http('POST /orders', '/orders', '/orders') }),
    stall({ id: 'd', handler: { kind: 'timer', label: 'setInterval' } }),
  ]);
  assert.equal(p.endpoints, 'POST /orders, GET /users/42');
  assert.doesNotThrow(() => parseEndpointList(p.endpoints));
});

test('the canary is a route seen answering quickly, a health route first; none is made up', () => {
  const seen = stall({
    handler: http('GET /report', '/report', '/report'),
    victims: [
      { label: 'GET /items', delayedMs: 40, state: 'queued', count: 3 },
      { label: 'GET /healthz', delayedMs: 30, state: 'queued' },
      { label: 'GET /report', delayedMs: 90, state: 'queued', count: 5 },
    ],
  });
  assert.equal(proposeEndpoints([seen]).canary, 'GET /healthz');
  assert.doesNotThrow(() => parseEndpoint(proposeEndpoints([seen]).canary));
  const noHealth = stall({ handler: http('GET /report', '/report', '/report'), victims: [{ label: 'GET /report', delayedMs: 90, state: 'queued' }] });
  assert.equal(proposeEndpoints([noHealth]).canary, '', 'a route that blocks is no canary, and no /health is invented');
  assert.deepEqual(proposeEndpoints([]), { endpoints: '', canary: '' });
});
