import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstStallAction, firstStallMessage, firstStallToAnnounce } from '../../src/host/firstStall';
import { NO_HANDLER, groupByRoute, groupDescription, lineLabel } from '../../src/host/stallGroups';
import { frame, stall } from './samples';

test('the Run and Debug view: routes by their worst stall, lines within a route, counts and worst durations', () => {
  const a = frame({ file: '/app/pricing.ts', line: 17, function: 'price' });
  const b = frame({ file: '/app/report.ts', line: 42, function: 'buildReport' });
  const users = { kind: 'http' as const, label: 'GET /users/:id', route: '/users/:id', path: '/users/7' };
  const routes = groupByRoute([
    stall({ id: '1', culprit: a, durationMs: 150, handler: users }),
    stall({ id: '2', culprit: a, durationMs: 2190, handler: users }),
    stall({ id: '3', culprit: b, durationMs: 90, handler: users }),
    stall({ id: '4', culprit: b, durationMs: 300, handler: { kind: 'http', label: 'GET /report' } }),
    stall({ id: '5', culprit: null, frames: [], durationMs: 70, handler: null, cause: { kind: 'gc' } }),
    { ...stall({ id: '6', culprit: a, durationMs: 5000, handler: users }), ongoing: true },
  ]);
  assert.deepEqual(
    routes.map((r) => [r.label, groupDescription(r), r.lines.map((l) => [lineLabel(l, undefined).label, groupDescription(l), l.worstStallId])]),
    [
      ['GET /users/:id', '3 stalls · worst 2.19 s', [['pricing.ts:17', '2 stalls · worst 2.19 s', '2'], ['report.ts:42', '1 stall · worst 90 ms', '3']]],
      ['GET /report', '1 stall · worst 300 ms', [['report.ts:42', '1 stall · worst 300 ms', '4']]],
      [NO_HANDLER, '1 stall · worst 70 ms', [['no stack captured', '1 stall · worst 70 ms', '5']]],
    ],
    'an ongoing stall waits for its end',
  );
  assert.deepEqual(lineLabel(routes[0].lines[0], undefined), { label: 'pricing.ts:17', detail: 'price' });
  assert.deepEqual(lineLabel({ culprit: null }, { frames: [frame()], cause: { kind: 'native', api: 'readFileSync' } }), { label: 'no frame in your code', detail: 'sync native call: readFileSync' });
  assert.deepEqual(groupByRoute([]), []);
});

test('the first stall of a live session is announced once, when it is final', () => {
  const s1 = stall({ id: '1', startMs: 2000 });
  const s0 = stall({ id: '0', startMs: 1000 });
  const ongoing = { ...stall({ id: 'o', startMs: 500 }), ongoing: true };
  assert.equal(firstStallToAnnounce({ live: true }, false, [s1, ongoing, s0])?.id, '0', 'the earliest finished one');
  assert.equal(firstStallToAnnounce({ live: true }, false, [ongoing]), undefined);
  assert.equal(firstStallToAnnounce({ live: true }, true, [s0]), undefined, 'once per session');
  assert.equal(firstStallToAnnounce({ live: false }, false, [s0]), undefined, 'not for an opened file');
  assert.equal(firstStallToAnnounce({ live: true }, false, undefined), undefined);
  assert.deepEqual(['open', 'off', 'notify', 'loud', undefined].map(firstStallAction), ['open', 'off', 'notify', 'notify', 'notify']);
  assert.equal(firstStallMessage('Report server', s0), 'Stallscope: first stall in "Report server": 120 ms stall in GET /report at report.ts:42.');
});
