/** The run summary by route pattern (src/cli/routeSummary.ts), on synthetic stalls. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupByRoute, routeLines } from '../../src/cli/routeSummary';
import { formatSummary } from '../../src/cli/summary';
import type { Report } from '../../src/shared/protocol/report';
import { stall } from './samples';

const user = (id: string, path: string, durationMs: number) =>
  stall({ id, durationMs, handler: { kind: 'http', label: 'GET /users/:id', route: '/users/:id', path } });

test('requests to one route at many paths are one group; the paths are kept beside it', () => {
  const stalls = [
    user('a', '/users/42', 300),
    user('b', '/users/7', 200),
    user('c', '/users/42', 100),
    stall({ id: 'd', durationMs: 900, handler: { kind: 'http', label: 'POST /orders', path: '/orders' } }),
    stall({ id: 'e', durationMs: 50, handler: { kind: 'timer', label: 'setTimeout' } }),
  ];
  const groups = groupByRoute(stalls);
  assert.deepEqual(
    groups.map((g) => [g.label, g.isRoute, g.count, g.totalMs, g.maxMs, g.paths]),
    [
      ['POST /orders', false, 1, 900, 900, ['/orders']],
      ['GET /users/:id', true, 3, 600, 300, ['/users/42', '/users/7']],
    ],
  );
  const lines = routeLines(stalls);
  assert.match(lines[0], /^\s+route\s+count\s+total\s+max$/);
  assert.match(lines[1], /^\s+POST \/orders\s+1\s+900 ms\s+900 ms$/);
  assert.match(lines[2], /^\s+GET \/users\/:id\s+3\s+600 ms\s+300 ms {2}\/users\/42, \/users\/7$/);
});

test('the summary shows the routes when they add something, and not for one path of one route', () => {
  const report = (stalls: Report['stalls']): Report => ({
    version: 1, pid: 1, command: ['node', 'x.js'], startedAt: new Date(0).toISOString(), stalls, lag: [],
    processes: [{ pid: 1, ppid: 0, argv: [], cwd: '/', runtime: { name: 'node', version: 'v22' }, mode: 'full', startedAtMs: 0, threads: [] }],
  } as Report);
  const o = { cwd: '/', wallMs: 1000, thresholdMs: 50 };
  assert.match(formatSummary(report([user('a', '/users/42', 300), user('b', '/users/7', 200)]), o), /\n {2}GET \/users\/:id\s+2\s+500 ms\s+300 ms {2}\/users\/42, \/users\/7\n/);
  assert.doesNotMatch(formatSummary(report([user('a', '/users/42', 300)]), o), /route\s+count/);
});
