/**
 * The Python probe on a real FastAPI app served by real uvicorn under `stallscope run`: every way of
 * blocking the loop is reported on its exact line, in its route, with its cause, and with the
 * duration the call really took (the app prints the truth measured around each call); under uvloop
 * and under the pure-Python asyncio loop. `def` endpoints: a sleep in the threadpool is no stall, a
 * big response stalls the loop in FastAPI's serializer, and CPU-bound ones starve the loop of the GIL.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Stall } from '../../src/shared/protocol/model';
import { FASTAPI_APP, alive, ensurePythonTools, get, lineOf, startUvicorn, stallFor, type ProbedRun, type Truth } from './probeHarness';

before(() => ensurePythonTools());

const KINDS: Array<{ name: string; path: string; fn: string; route: string; cause: Record<string, unknown> }> = [
  { name: 'sleep', path: '/items/1', fn: 'read_item', route: '/items/{item_id}', cause: { kind: 'native', holdsGil: false, api: 'time.sleep' } },
  { name: 'pbkdf2', path: '/hash/600000', fn: 'hash_password', route: '/hash/{rounds}', cause: { kind: 'native', holdsGil: false, api: 'hashlib.pbkdf2_hmac' } },
  { name: 'cpu', path: '/cpu', fn: 'cpu', route: '/cpu', cause: { kind: 'python' } },
  { name: 'json', path: '/json', fn: 'dump_json', route: '/json', cause: { kind: 'native', holdsGil: true, api: 'json.dumps' } },
  { name: 'regex', path: '/regex', fn: 'regex', route: '/regex', cause: { kind: 'native', holdsGil: true, api: 're.match' } },
];

interface Measured {
  run: ProbedRun;
  stalls: Stall[];
  truths: Truth[];
  quietFrom: number;
  quietTo: number;
  defSleep: { from: number; to: number };
  bigStarts: number;
  gilFrom: number;
}

/** One server, every kind of block in turn, then the `def` endpoints. */
async function exercise(loop: 'uvloop' | 'asyncio'): Promise<Measured> {
  const { run, port } = await startUvicorn(['--loop', loop]);
  try {
    return await exerciseServer(run, port);
  } catch (err) {
    // What the server and the probe said: a request that failed is told with the server's last words.
    await run.stop();
    throw new Error(`${loop}: ${(err as Error).message}\n${run.output().slice(-3000)}`, { cause: err });
  }
}

async function exerciseServer(run: ProbedRun, port: number): Promise<Measured> {
  // Stalls during start-up (uvicorn imports the app inside its loop) and at the first use of the
  // threadpool (anyio imports its worker code on the loop) are real, but not what this test is about.
  assert.equal((await get(port, '/sync/sleep')).status, 200);
  await new Promise((r) => setTimeout(r, 300));
  const quietFrom = Date.now();
  for (let i = 0; i < 5; i++) assert.equal((await get(port, '/health')).status, 200);
  await new Promise((r) => setTimeout(r, 400));
  const quietTo = Date.now();
  for (const k of KINDS) {
    assert.equal((await get(port, k.path)).status, 200, k.path);
    await new Promise((r) => setTimeout(r, 150));
  }
  const defSleep = { from: Date.now(), to: 0 };
  await Promise.all([get(port, '/sync/sleep'), get(port, '/sync/sleep')]);
  defSleep.to = Date.now();
  await new Promise((r) => setTimeout(r, 150));
  const bigStarts = Date.now();
  assert.equal((await get(port, '/sync/big')).status, 200);
  await new Promise((r) => setTimeout(r, 150));
  for (let i = 0; i < 4; i++) {
    assert.equal((await get(port, '/sync/json')).status, 200);
    await new Promise((r) => setTimeout(r, 150));
  }
  const gilFrom = Date.now();
  await Promise.all(Array.from({ length: 6 }, () => get(port, '/sync/cpu')));
  await new Promise((r) => setTimeout(r, 200));
  const exit = await run.stop();
  // SIGTERM to `stallscope run` ends the server gracefully; run then exits as its signal says (128+15).
  assert.ok(exit.code === 0 || exit.code === 143, `exit ${exit.code}\n${run.output()}`);
  const report = run.report();
  for (const p of report.processes ?? []) assert.ok(!alive(p.pid), `pid ${p.pid} outlived the run`);
  return { run, stalls: report.stalls, truths: run.truths(), quietFrom, quietTo, defSleep, bigStarts, gilFrom };
}

function assertKinds(m: Measured, loop: string): number[] {
  const errors: number[] = [];
  for (const k of KINDS) {
    const truth = m.truths.find((t) => t.name === k.name);
    assert.ok(truth, `${loop}: no TRUTH line for ${k.name}`);
    const s = stallFor(m.stalls, truth);
    assert.ok(s, `${loop}: no stall covers ${k.name} (${JSON.stringify(truth)}); stalls: ${JSON.stringify(m.stalls.map((x) => [x.startMs, x.durationMs, x.handler?.label]))}`);
    assert.ok(s.culprit, `${loop} ${k.name}: no culprit: ${JSON.stringify({ ...s, frames: s.frames.slice(0, 3) })}`);
    assert.equal(s.culprit.file, FASTAPI_APP, `${loop} ${k.name}`);
    assert.equal(s.culprit.line, lineOf(FASTAPI_APP, `# BLOCK:${k.name}`), `${loop} ${k.name}`);
    assert.equal(s.culprit.function, k.fn);
    assert.ok(s.culprit.column > 1, `${loop} ${k.name}: a column from co_positions on 3.11`);
    assert.deepEqual(s.handler, { kind: 'http', label: `GET ${k.route}`, route: k.route, path: k.path }, `${loop} ${k.name}: ${JSON.stringify({ ...s, frames: s.frames.slice(0, 2) })}`);
    assert.deepEqual(s.cause, k.cause, `${loop} ${k.name}: ${JSON.stringify({ culprit: s.culprit, frames: s.frames.slice(0, 4) })}`);
    assert.equal(s.thread.id, 0);
    // The stall holds the whole callback around the call: never shorter than the call, and the
    // rest of the request's step is short.
    const err = s.durationMs - truth.durationMs;
    errors.push(err);
    // (The upper bound allows for the OS preempting the loop's thread inside that step on a busy machine.)
    assert.ok(err >= -2.5 && err <= 15 + 0.1 * truth.durationMs, `${loop} ${k.name}: stall ${s.durationMs} ms for a ${truth.durationMs.toFixed(1)} ms call`);
  }
  return errors;
}

function assertDefEndpoints(m: Measured, loop: string): void {
  const inRange = (from: number, to: number) => m.stalls.filter((s) => s.startMs + s.durationMs > from && s.startMs < to);
  assert.deepEqual(inRange(m.quietFrom, m.quietTo), [], `${loop}: a quiet server has no stall`);
  assert.deepEqual(inRange(m.defSleep.from, m.defSleep.to), [], `${loop}: a def endpoint sleeping in the threadpool is no stall`);
  const big = inRange(m.bigStarts, m.gilFrom).filter((s) => s.handler?.route === '/sync/big');
  assert.ok(big.length >= 1, `${loop}: the def endpoint's big response stalls the loop in serialization`);
  const ser = big.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
  assert.equal(ser.handler?.label, 'GET /sync/big');
  assert.equal(ser.culprit, null, `${loop}: the serializer is FastAPI's code, not the app's`);
  assert.ok(ser.frames.some((f) => /fastapi[/\\](encoders|routing)\.py$/.test(f.file)), `${loop}: FastAPI's serializer on the stack: ${JSON.stringify(ser.frames.slice(0, 5))}`);
  // A C call holding the GIL in the threadpool (json.dumps in a `def` endpoint): the loop waits in
  // its poll and the watchdog cannot look while the call lasts; the thread that held the GIL is named
  // from the threads' CPU use, on the line a look found it busy on (the first call runs in a thread
  // the pool has just started), or from faulthandler's dump when the call held it long enough.
  const syncJson = m.truths.filter((t) => t.name === 'sync-json');
  assert.equal(syncJson.length, 4, `${loop}: four TRUTH lines for sync-json`);
  let right = 0;
  const seen: string[] = [];
  for (const t of syncJson) {
    // The loop counts itself blocked from when it next had something due (its heartbeat), not from
    // when the other thread took the GIL: the stall begins up to a heartbeat period after the call.
    const s = m.stalls
      .filter((x) => x.startMs < t.startMs + t.durationMs && x.startMs + x.durationMs > t.startMs)
      .sort((a, b) => b.durationMs - a.durationMs)[0];
    assert.ok(s, `${loop}: no stall during json.dumps in a def endpoint (${JSON.stringify(t)}): ${JSON.stringify(m.stalls.map((x) => [x.startMs, x.durationMs]))}`);
    assert.ok(s.durationMs >= 0.6 * t.durationMs, `${loop} sync-json: a ${s.durationMs} ms stall for a ${t.durationMs.toFixed(1)} ms call`);
    const told = [s.cause?.kind, s.cause?.thread?.name, s.culprit?.line, s.culprit?.function, s.handler?.label];
    seen.push(JSON.stringify(told));
    if (JSON.stringify(told) === JSON.stringify(['gil', 'AnyIO worker thread', lineOf(FASTAPI_APP, '# BLOCK:sync-json'), 'sync_json', 'GET /sync/json'])) right++;
  }
  // (On a machine whose cores are all busy, a look may land once the call has ended: one call in four may
  // be told otherwise.)
  assert.ok(right >= 3, `${loop}: json.dumps in a def endpoint told as the GIL held by the worker, on its line and route, in ${right} of 4 calls: ${seen.join(' ')}`);
  const gil = m.stalls.filter((s) => s.startMs >= m.gilFrom && s.cause?.kind === 'gil');
  assert.ok(gil.length >= 1, `${loop}: CPU-bound def requests starve the loop of the GIL: ${JSON.stringify(m.stalls.filter((s) => s.startMs >= m.gilFrom).map((s) => [s.durationMs, s.cause, s.culprit?.line, s.handler?.label, s.frames.slice(0, 6).map((f) => `${path.basename(f.file)}:${f.line} ${f.function}`)]))}`);
  for (const s of gil) {
    assert.match(s.cause?.thread?.name ?? '', /AnyIO worker thread/);
    assert.ok(s.cause?.thread && s.cause.thread.id > 0);
    // A stall no look caught is told from the threads' CPU use: its culprit is the starving
    // thread's line if that thread still runs the user's code when the stall ends.
    if (s.culprit === null) continue;
    assert.equal(s.culprit.file, FASTAPI_APP);
    assert.equal(s.culprit.line, lineOf(FASTAPI_APP, '# BLOCK:sync-cpu'));
    assert.equal(s.culprit.function, 'sync_cpu');
  }
  assert.ok(gil.some((s) => s.culprit !== null && s.handler?.label === 'GET /sync/cpu'), `${loop}: the starving thread's line and route: ${JSON.stringify(gil.map((s) => [s.durationMs, s.culprit?.line, s.handler, s.cause]))}`);
}

test('uvloop: each blocking kind on its line, route and cause, with its duration; def endpoints told apart', async () => {
  const m = await exercise('uvloop');
  const errors = assertKinds(m, 'uvloop');
  assertDefEndpoints(m, 'uvloop');
  console.log(`uvloop: stall - call durations (ms): ${errors.map((e) => e.toFixed(2)).join(', ')}`);
});

test('asyncio: the same under the pure-Python loop', async () => {
  const m = await exercise('asyncio');
  const errors = assertKinds(m, 'asyncio');
  assertDefEndpoints(m, 'asyncio');
  console.log(`asyncio: stall - call durations (ms): ${errors.map((e) => e.toFixed(2)).join(', ')}`);
});
