/**
 * The check's verdicts for FastAPI in a FastAPI user's words, on synthetic stalls shaped as the
 * Python probe reports them (the python layer checks them against real uvicorn servers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCheckSummary } from '../../src/cli/checkSummary';
import { toCheckJson } from '../../src/core/check/checkJson';
import { parseEndpoint } from '../../src/core/check/endpoint';
import { classifyPythonStall, isPythonStall, poolUse } from '../../src/core/check/pythonVerdict';
import type { CheckResult } from '../../src/core/check/runCheck';
import { judgeEndpoint, type JudgeInput } from '../../src/core/check/verdict';
import type { Frame, LagSample, Stall } from '../../src/shared/protocol/model';
import { stall } from './samples';

const T0 = 1_700_000_000_000;
const phase = { startMs: T0, loadEndMs: T0 + 10_000, endMs: T0 + 11_000 };
const load = { requests: 100, durationS: 10, statusCodes: { '200': 100 }, errorCodes: {}, timeouts: 0 };
const SITE = '/venv/lib/python3.12/site-packages';
const APP = '/srv/app/main.py';
const py = (file: string, line: number, fn: string): Frame => ({ file, line, column: 1, function: fn });
const item = { kind: 'http' as const, label: 'GET /items/{item_id}', route: '/items/{item_id}', path: '/items/1' };
const endpoint = parseEndpoint('GET /items/1');

function pyStall(over: Partial<Stall>): Stall {
  return stall({ id: `p${Math.random()}`, startMs: T0 + 500, durationMs: 180, handler: item, ...over });
}

function judge(stalls: Stall[], lag?: LagSample[]): ReturnType<typeof judgeEndpoint> {
  const i: JudgeInput = { endpoint, phase, stalls, canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50, lag };
  return judgeEndpoint(i);
}

function table(r: ReturnType<typeof judgeEndpoint>): string {
  const check: CheckResult = { baseUrl: 'http://127.0.0.1:8000', thresholdMs: 50, budgetMs: 50, canary: null, canaryIdle: null, endpoints: [r], startedAtMs: T0, endedAtMs: T0 + 12_000 };
  return formatCheckSummary(check, { cwd: '/srv/app', durationS: 10, connections: 10 });
}

const asyncSleep = py(APP, 14, 'read_item');

test('an async def endpoint doing sync work: blocking, its line on the loop, and what to do about it', () => {
  const s = pyStall({ culprit: asyncSleep, frames: [py(`${SITE}/../hashlib.py`, 1, 'pbkdf2_hmac'), asyncSleep, py(`${SITE}/fastapi/routing.py`, 212, 'run_endpoint_function')], cause: { kind: 'python' } });
  assert.equal(isPythonStall(s), true);
  assert.equal(classifyPythonStall(s), 'async-sync-work');
  const r = judge([s]);
  assert.equal(r.verdict, 'blocking');
  assert.equal(r.findings?.length, 1);
  assert.match(r.findings![0], /^sync work on the event loop \(main\.py:14 read_item\): an `async def` endpoint runs on the loop, so its CPU work blocks every request \(1 stall, max 180 ms\); make it `def`/);
  assert.match(table(r), /GET \/items\/1 \(\/items\/\{item_id\}\)\s+blocking/);
  assert.match(table(r), /GET \/items\/1: sync work on the event loop/);
});

test('a sync wait (time.sleep, blocking I/O) in an async def endpoint is named as a wait', () => {
  const s = pyStall({ culprit: asyncSleep, frames: [asyncSleep], cause: { kind: 'native', api: 'time.sleep', holdsGil: false } });
  assert.equal(classifyPythonStall(s), 'async-sync-wait');
  assert.match(judge([s]).findings![0], /^a sync call that waits \(time\.sleep\) \(main\.py:14 read_item\) in an `async def` endpoint/);
});

test('a def endpoint: not blocking the loop; its requests waited for the threadpool, with the numbers', () => {
  const lag: LagSample[] = [
    { pid: 7, threadId: 0, atMs: T0 + 1000, intervalMs: 1000, p50Ms: 0.2, p99Ms: 1, maxMs: 2, elu: 0.1, pool: { name: 'anyio', capacity: 40, busyMax: 12, waitingMax: 0, waitedMaxMs: 0 } },
    { pid: 7, threadId: 0, atMs: T0 + 2000, intervalMs: 1000, p50Ms: 0.2, p99Ms: 1, maxMs: 2, elu: 0.1, pool: { name: 'anyio', capacity: 40, busyMax: 40, waitingMax: 60, waitedMaxMs: 1200 } },
    // Before the phase (another endpoint's load): not this one's.
    { pid: 7, threadId: 0, atMs: T0 - 5000, intervalMs: 1000, p50Ms: 0.2, p99Ms: 1, maxMs: 2, elu: 0.1, pool: { name: 'anyio', capacity: 40, busyMax: 40, waitingMax: 900, waitedMaxMs: 9000 } },
  ];
  assert.deepEqual(poolUse(lag, phase), { name: 'anyio', capacity: 40, busyMax: 40, waitingMax: 60, waitedMaxMs: 1200 });
  const r = judge([], lag);
  assert.equal(r.verdict, 'non-blocking');
  assert.deepEqual(r.pool, { name: 'anyio', capacity: 40, busyMax: 40, waitingMax: 60, waitedMaxMs: 1200 });
  assert.deepEqual(r.findings, [
    'not blocking the event loop: it ran in the threadpool (a `def` endpoint); up to 40 of 40 threadpool threads busy, up to 60 requests waited for a thread (the longest 1.20 s)',
  ]);
  assert.match(table(r), /GET \/items\/1\s+non-blocking\s+0/);
  assert.deepEqual(toCheckJson({ baseUrl: '', thresholdMs: 50, budgetMs: 50, canary: null, canaryIdle: null, endpoints: [r], startedAtMs: 0, endedAtMs: 0 }).endpoints[0].findings, r.findings);
  // No pool samples (a Node server, an older probe): nothing is said.
  assert.equal(judge([]).findings, undefined);
});

test("a def endpoint whose response's serialization stalls the loop: blocking, with the serializer's stack and the route", () => {
  const frames = [
    // Function names as the probe sends them: qualified (co_qualname).
    py('/usr/lib/python3.12/json/encoder.py', 258, 'JSONEncoder.iterencode'),
    py(`${SITE}/starlette/responses.py`, 181, 'JSONResponse.render'),
    py(`${SITE}/starlette/responses.py`, 48, 'Response.__init__'),
    py(`${SITE}/fastapi/routing.py`, 155, 'serialize_response'),
    py(`${SITE}/fastapi/routing.py`, 327, 'app'),
  ];
  const s = pyStall({ culprit: null, frames, cause: { kind: 'python' }, durationMs: 240 });
  assert.equal(classifyPythonStall(s), 'serializer');
  const r = judge([s]);
  assert.equal(r.verdict, 'blocking');
  assert.equal(r.stalls[0].frames, frames, "the serializer's stack is the stall's own");
  assert.match(r.findings![0], /^the response's serialization of \/items\/\{item_id\} on the event loop: FastAPI builds the response on the loop even for a `def` endpoint \(1 stall, max 240 ms\)/);
  assert.match(table(r), /\(no frame in your code: Python on the CPU; in a dependency: starlette\/responses\.py:181 JSONResponse\.render\)/);
  // The endpoint calling jsonable_encoder itself, from an async def: its own work, not FastAPI's response.
  const own = pyStall({ culprit: asyncSleep, frames: [py(`${SITE}/fastapi/encoders.py`, 200, 'jsonable_encoder'), asyncSleep], cause: { kind: 'python' } });
  assert.equal(classifyPythonStall(own), 'async-sync-work');
  // No line of the app's and no serializer on the stack: not called an `async def` endpoint's doing.
  const lib = pyStall({ culprit: null, frames: [py('/usr/lib/python3.12/dataclasses.py', 1270, 'is_dataclass'), py(`${SITE}/anyio/_backends/_asyncio.py`, 900, 'run')], cause: { kind: 'python' } });
  assert.equal(classifyPythonStall(lib), 'library');
  assert.match(judge([lib]).findings![0], /^library or framework code on the event loop with no line of the app's on its stack \(top of the stack: dataclasses\.py:1270 is_dataclass\) \(1 stall, max 180 ms\)$/);
});

test('blocked through the GIL: CPU-bound Python in a threadpool thread; the culprit is that thread\'s line', () => {
  const hot = py(APP, 31, 'crunch');
  const s = pyStall({ culprit: hot, frames: [hot, py('/usr/lib/python3.12/concurrent/futures/thread.py', 58, 'run')], cause: { kind: 'gil', thread: { id: 4242, name: 'AnyIO worker thread' } }, durationMs: 420 });
  assert.equal(classifyPythonStall(s), 'gil');
  const r = judge([s]);
  assert.equal(r.verdict, 'blocking');
  assert.deepEqual(r.culprits.map((c) => [c.file, c.line]), [[APP, 31]]);
  assert.match(r.findings![0], /^blocked through the GIL: CPU-bound Python in the thread "AnyIO worker thread" \(main\.py:31 crunch\) held the GIL and the event loop could not run \(1 stall, max 420 ms\)/);
  assert.match(table(r), /main\.py:31 crunch/);
});

test('several kinds in one endpoint: the one that blocked longest is said first; Node stalls get no Python words', () => {
  const gil = pyStall({ culprit: py(APP, 31, 'crunch'), frames: [py(APP, 31, 'crunch')], cause: { kind: 'gil' }, durationMs: 100 });
  const work = pyStall({ culprit: asyncSleep, frames: [asyncSleep], cause: { kind: 'python' }, durationMs: 600 });
  const r = judge([gil, work]);
  assert.deepEqual(r.findings?.map((f) => f.split(' ')[0]), ['sync', 'blocked']);
  const node = judge([stall({ startMs: T0 + 5, handler: item })]);
  assert.equal(node.verdict, 'blocking');
  assert.equal(node.findings, undefined);
});
