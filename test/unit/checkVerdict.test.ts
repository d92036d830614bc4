import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEndpoint } from '../../src/core/check/endpoint';
import { percentile } from '../../src/core/check/percentile';
import { CanaryLog, STILL_WAITING } from '../../src/core/check/canaryLog';
import { canaryInflated, canaryStats, judgeEndpoint, loadError, type CanarySample, type JudgeInput } from '../../src/core/check/verdict';
import { frame, stall } from './samples';

const T0 = 1_700_000_000_000;
const slow = parseEndpoint('GET /slow');
const phase = { startMs: T0, loadEndMs: T0 + 10_000, endMs: T0 + 11_000 };
const load = { requests: 100, durationS: 10, statusCodes: { '200': 100 }, errorCodes: {}, timeouts: 0 };

function input(over: Partial<JudgeInput> = {}): JudgeInput {
  return { endpoint: slow, phase, stalls: [], canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50, ...over };
}
const at = (ms: number, durationMs: number, label: string | null, id = `1.0.${ms}`) =>
  stall({ id, startMs: T0 + ms, durationMs, handler: label ? { kind: 'http', label } : null });

test('blocking: a stall in the endpoint\'s own handler during its phase; evidence from those stalls only', () => {
  const stalls = [
    at(-500, 400, 'GET /slow'), // the preflight, before the phase
    at(100, 120, 'GET /slow'),
    at(2000, 300, 'GET /slow', 'b'),
    at(3000, 80, 'GET /other'),
    at(5000, 90, null),
    at(10_500, 60, 'GET /slow', 'c'), // still settling: counts
    at(11_500, 999, 'GET /slow', 'd'), // after the phase
  ];
  const r = judgeEndpoint(input({ stalls }));
  assert.equal(r.verdict, 'blocking');
  assert.deepEqual(r.stalls.map((s) => s.durationMs), [300, 120, 60], 'longest first');
  assert.equal(r.maxStallMs, 300);
  assert.equal(r.p99StallMs, 300);
  assert.equal(r.totalStallMs, 480);
  assert.deepEqual(r.otherStalls, [
    { label: 'GET /other', count: 1, maxMs: 80 },
    { label: '(no handler: JavaScript on the CPU)', count: 1, maxMs: 90 },
  ]);
  // A stall that no look saw (the GIL held by a C call in another thread): said as such.
  const unseen = { ...at(5000, 90, null), id: 'u', culprit: null, frames: [], cause: undefined };
  assert.deepEqual(judgeEndpoint(input({ stalls: [unseen] })).otherStalls, [{ label: '(no handler: no stack captured)', count: 1, maxMs: 90 }]);
  assert.equal(r.overBudget, true);
  assert.deepEqual(r.culprits, [{ file: frame().file, line: 42, function: 'buildReport', totalMs: 480, count: 3 }]);
});

test('non-blocking: no stall of its own, whatever else stalled; budget follows the longest stall', () => {
  const r = judgeEndpoint(input({ stalls: [at(100, 500, 'GET /health'), at(200, 70, 'GET /slowish')] }));
  assert.equal(r.verdict, 'non-blocking');
  assert.equal(r.maxStallMs, 0);
  assert.equal(r.overBudget, false);
  assert.deepEqual(r.culprits, []);
  const within = judgeEndpoint(input({ stalls: [at(100, 60, 'GET /slow')], budgetMs: 100 }));
  assert.equal(within.verdict, 'blocking', 'blocking is about the threshold, the budget is a separate bar');
  assert.equal(within.overBudget, false);
});

test('culprits: grouped by line, most time first; stalls without a line in user code are left out of the list', () => {
  const a = frame({ file: '/app/a.js', line: 3, function: 'a' });
  const b = frame({ file: '/app/b.js', line: 9, function: 'b' });
  const r = judgeEndpoint(
    input({
      stalls: [
        stall({ id: '1', startMs: T0 + 1, durationMs: 100, culprit: a, handler: { kind: 'http', label: 'GET /slow' } }),
        stall({ id: '2', startMs: T0 + 2, durationMs: 300, culprit: b, handler: { kind: 'http', label: 'GET /slow' } }),
        stall({ id: '3', startMs: T0 + 3, durationMs: 150, culprit: a, handler: { kind: 'http', label: 'GET /slow' } }),
        stall({ id: '4', startMs: T0 + 4, durationMs: 900, culprit: null, handler: { kind: 'http', label: 'GET /slow' } }),
      ],
    }),
  );
  assert.deepEqual(r.culprits.map((c) => [c.file, c.line, c.totalMs, c.count]), [['/app/b.js', 9, 300, 1], ['/app/a.js', 3, 250, 2]]);
  assert.equal(r.maxStallMs, 900);
});

test('canary: the window starts after the warm-up and ends with the load; failed requests count with their latency', () => {
  const samples: CanarySample[] = [
    { sentMs: T0 + 100, latencyMs: 900, status: 200 }, // warm-up
    ...Array.from({ length: 99 }, (_, i) => ({ sentMs: T0 + 300 + i * 50, latencyMs: 2 + (i % 3), status: 200 })),
    { sentMs: T0 + 9000, latencyMs: 700, error: 'ECONNRESET' },
    { sentMs: T0 + 10_200, latencyMs: 5000, status: 200 }, // settling
  ];
  const r = judgeEndpoint(input({ canary: samples }));
  assert.equal(r.canary?.samples, 100);
  assert.equal(r.canary?.failed, 1);
  assert.equal(r.canary?.p99Ms, 4, 'nearest rank: 99th of 100 sorted latencies');
  assert.equal(r.canary?.maxMs, 700);
  assert.equal(canaryStats([]).samples, 0);
  assert.ok(Number.isNaN(canaryStats([]).p99Ms));
});

test('canary inflation: the p99 rose by half the threshold or more', () => {
  const idle = { samples: 60, p50Ms: 1, p99Ms: 3, maxMs: 3, failed: 0 };
  assert.equal(canaryInflated(idle, { ...idle, p99Ms: 480 }, 50), true);
  assert.equal(canaryInflated(idle, { ...idle, p99Ms: 28 }, 50), true);
  assert.equal(canaryInflated(idle, { ...idle, p99Ms: 27 }, 50), false);
  assert.equal(canaryInflated(idle, { ...idle, p99Ms: 12 }, 20), false);
  assert.equal(canaryInflated(null, idle, 50), undefined);
  assert.equal(canaryInflated(idle, { ...idle, p99Ms: NaN }, 50), undefined);
});

test('load errors name the endpoint, each status and error, and the total', () => {
  assert.equal(loadError(slow, load), undefined);
  assert.equal(loadError(slow, { ...load, statusCodes: { '200': 50, '302': 50 } }), undefined, '3xx is an answer');
  assert.equal(
    loadError(slow, { requests: 90, durationS: 10, statusCodes: { '200': 60, '500': 30 }, errorCodes: { ECONNRESET: 4 }, timeouts: 2 }),
    'GET /slow failed under load: 30 × status 500, 4 × ECONNRESET, 2 × timed out (of 96 requests)',
  );
  const r = judgeEndpoint(input({ error: 'boom' }));
  assert.equal(r.error, 'boom');
});

test('percentile: nearest rank', () => {
  assert.equal(percentile([5, 1, 3], 50), 3);
  assert.equal(percentile([1, 2, 3, 4], 99), 4);
  assert.equal(percentile([1, 2, 3, 4], 25), 1);
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('canary log: a request still waiting counts with the time it has waited so far, as unanswered', () => {
  const log = new CanaryLog();
  log.onMessage({ type: 'sent', seq: 1, sentMs: T0 });
  log.onMessage({ type: 'sent', seq: 2, sentMs: T0 + 50 });
  log.onMessage({ type: 'sample', seq: 1, sentMs: T0, latencyMs: 2, status: 200 });
  assert.equal(log.waitingUntil(T0 + 10), false);
  assert.equal(log.waitingUntil(T0 + 50), true);
  assert.deepEqual(log.samples(T0 + 900), [
    { sentMs: T0, latencyMs: 2, status: 200 },
    { sentMs: T0 + 50, latencyMs: 850, error: STILL_WAITING },
  ]);
  log.onMessage({ type: 'sample', seq: 2, sentMs: T0 + 50, latencyMs: 1200, status: 200 });
  assert.equal(log.waitingUntil(Infinity), false);
  assert.deepEqual(log.samples().map((s) => s.latencyMs), [2, 1200]);
  assert.equal(canaryStats(log.samples()).failed, 0);
});
