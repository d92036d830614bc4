/**
 * One real HTTP server (test/fixtures/server.js) under the real probe, reporting to a real host over
 * a real websocket. Every blocking endpoint is hit once; then each kind is checked against the
 * fixture's own ground truth and the culprit tag in its source.
 *
 * Duration tolerance. Per stall: reported >= true - 0.5 ms, because the probe measures the loop's
 * active time between two heartbeats, which encloses the fixture's timed window: it can only be
 * longer. The extra is the rest of the request's task (routing, res.end, the fixture's own file
 * append), normally ~1 ms, but on this shared 2-core machine the process can sit descheduled
 * outside the timed window, which counts as busy: so the per-stall upper bound is a loose +100 ms
 * (it catches gross errors such as counting idle time), and the real check is the median over all
 * kinds: <= 3 ms, the spec's 2 ms plus 1 ms for the fixtures' bookkeeping. A heartbeat-gap-only
 * estimate (±half a 10 ms heartbeat) fails one or the other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import type { Stall } from '../../src/shared/protocol/model';
import { FIXTURES, ProbeHost, ensureProbeBuilt, expectedLocation, httpGet, median, sleep, spawnProbed, stallFor, waitFor, type Probed, type Truth } from './harness';

const SERVER = join(FIXTURES, 'server.js');

/** Hits each blocking endpoint in turn; the timer kinds block later, from the loop, so they get longer. */
async function hitEach(port: number, kinds: readonly string[]): Promise<void> {
  for (const kind of kinds) {
    await httpGet(port, `/${kind}`);
    await sleep(kind === 'timer' || kind === 'deferred' ? 400 : 200);
  }
}

/** Stops the fixture through /exit and reads what it timed and what the probe reported. */
async function stopAndRead(host: ProbeHost, p: Probed, port: number): Promise<{ truth: Truth[]; stalls: Stall[] }> {
  await httpGet(port, '/exit');
  const exit = await p.exited;
  assert.equal(exit.code, 0, `server exited with ${exit.code}: ${p.stderr}`);
  await waitFor(() => host.disconnected.includes(p.pid), 3000, 'the probe to disconnect');
  await sleep(50);
  host.recording.flush();
  return { truth: p.truth(), stalls: host.stalls(p.pid) };
}

/** What a failed assertion prints about a stall: enough to tell a lost race from a wrong rule. */
const describeStall = (s: Stall): string =>
  `stall ${s.id} ${s.durationMs} ms, culprit ${s.culprit ? `${s.culprit.file}:${s.culprit.line}` : 'none'}, ` +
  `handler ${s.handler?.label ?? 'none'}, cause ${JSON.stringify(s.cause)}, top frames ${JSON.stringify(s.frames.slice(0, 3))}`;
const KINDS = ['busy', 'json-stringify', 'json-parse', 'pbkdf2', 'gzip', 'exec', 'spawn', 'atomics', 'regex', 'async-busy', 'timer', 'deferred', 'gc'] as const;

describe('probe in an HTTP server', () => {
  let host: ProbeHost;
  let p: Probed;
  let port = 0;
  let quietFrom = 0;
  let quietTo = 0;
  let truth: Truth[] = [];
  let stalls: Stall[] = [];
  const errors: number[] = [];

  before(async () => {
    ensureProbeBuilt();
    host = await ProbeHost.start();
    // Requests tracked and GC pauses recorded from the start, as in a debug session: every block is
    // named by its request, a GC by its cause. The defaults (on demand) are tested below.
    p = spawnProbed(SERVER, [], { host, nodeArgs: ['--expose-gc'], probe: { requestContext: 'always', gc: 'always' } });
    port = Number((await p.waitForOutput(/listening (\d+)/))[1]);
    await sleep(200);
    // Quiet traffic: many fast requests must not make a stall.
    quietFrom = Date.now();
    for (let i = 0; i < 40; i++) await httpGet(port, '/fast');
    await sleep(300);
    quietTo = Date.now();
    await hitEach(port, KINDS);
    ({ truth, stalls } = await stopAndRead(host, p, port));
  });

  after(async () => {
    p?.kill();
    await host?.close();
  });

  function check(kind: string): { s: Stall; t: Truth } {
    const t = truth.find((x) => x.kind === kind);
    assert.ok(t, `the fixture recorded no ${kind} block`);
    assert.ok(t.durationMs >= 60, `${kind} blocked only ${t.durationMs.toFixed(1)} ms; the fixture must block well past the 50 ms threshold`);
    const s = stallFor(stalls, t);
    assert.ok(s, `no stall reported for ${kind} (true ${t.durationMs.toFixed(1)} ms); stalls: ${stalls.map((x) => x.durationMs).join(', ')}`);
    assert.equal(s.pid, p.pid);
    assert.deepEqual(s.thread, { id: 0 });
    assert.match(s.id, new RegExp(`^${p.pid}\\.0\\.\\d+$`));
    assert.equal(s.ongoing, undefined, 'the final version of a stall is not ongoing');
    const err = s.durationMs - t.durationMs;
    errors.push(Math.abs(err));
    assert.ok(err >= -0.5 && err <= 100, `${kind}: reported ${s.durationMs} ms vs true ${t.durationMs.toFixed(2)} ms`);
    // Detected while it lasted: at the threshold after the last sign of life (a heartbeat, or for an
    // idle loop whose heartbeat was parked, the last look that saw it idle, which may be a little earlier),
    // or, where the loaded machine ran the watchdog later than that, still before the block ended.
    assert.ok(s.detectedMs !== undefined && s.detectedMs >= t.startMs && s.detectedMs <= t.startMs + Math.max(60, t.durationMs),
      `${kind}: detected at +${((s.detectedMs ?? 0) - t.startMs).toFixed(1)} ms of a ${t.durationMs.toFixed(1)} ms block`);
    return { s, t };
  }

  function assertCulprit(s: Stall, tag: string): void {
    const want = expectedLocation(SERVER, tag);
    assert.ok(s.culprit, `${tag}: no culprit; frames ${JSON.stringify(s.frames.slice(0, 4))}`);
    assert.deepEqual({ file: s.culprit.file, line: s.culprit.line, column: s.culprit.column }, want);
    assert.deepEqual(s.frames.find((f) => f.file === SERVER), s.culprit, 'the culprit is the first user frame of the stack');
  }

  const http = (kind: string) => ({ kind: 'http', label: `GET /${kind}` });

  it('busy loop in a handler: exact line and column, GET handler, JS cause', () => {
    const { s } = check('busy');
    assertCulprit(s, 'busy');
    assert.deepEqual(s.handler, http('busy'));
    assert.deepEqual(s.cause, { kind: 'js' });
    assert.ok(s.frames.length >= 3 && s.frames.length <= 50);
    assert.ok(s.frames.every((f) => f.line >= 1 && f.column >= 1 && (f.file.startsWith('/') || f.file.startsWith('node:'))));
  });

  it('JSON.stringify of big data: its call site, JSON.stringify named', () => {
    const { s } = check('json-stringify');
    assertCulprit(s, 'json-stringify');
    assert.deepEqual(s.handler, http('json-stringify'));
    assert.deepEqual(s.cause, { kind: 'js', api: 'JSON.stringify' });
  });

  it('JSON.parse (not interruptible): its call site all the same, native cause JSON.parse', () => {
    const { s } = check('json-parse');
    assert.deepEqual(s.handler, http('json-parse'));
    // V8 runs the look only once JSON.parse has returned, when the stack shows what ran next; the
    // probe's wrapper of JSON.parse kept the call site for it.
    assertCulprit(s, 'json-parse');
    assert.deepEqual(s.cause, { kind: 'native', api: 'JSON.parse' });
  });

  it('pbkdf2Sync: the call site, native cause pbkdf2Sync', () => {
    const { s } = check('pbkdf2');
    assertCulprit(s, 'pbkdf2');
    assert.deepEqual(s.cause, { kind: 'native', api: 'pbkdf2Sync' });
    assert.deepEqual(s.handler, http('pbkdf2'));
  });

  it('gzipSync: the call site, native cause named as called (not zlib internals)', () => {
    const { s } = check('gzip');
    assertCulprit(s, 'gzip');
    assert.deepEqual(s.cause, { kind: 'native', api: 'gzipSync' });
  });

  it('execSync: the call site, native cause execSync', () => {
    const { s } = check('exec');
    assertCulprit(s, 'exec');
    assert.deepEqual(s.cause, { kind: 'native', api: 'execSync' });
    assert.deepEqual(s.handler, http('exec'));
  });

  it('spawnSync: exact duration and a native cause, never a wrong line', () => {
    const { s } = check('spawn');
    assert.deepEqual(s.handler, http('spawn'));
    assert.equal(s.cause?.kind, 'native');
    if (s.culprit) assertCulprit(s, 'spawn');
  });

  it('Atomics.wait: the call site, native cause Atomics.wait', () => {
    const { s } = check('atomics');
    assertCulprit(s, 'atomics');
    assert.deepEqual(s.cause, { kind: 'native', api: 'Atomics.wait' });
  });

  it('catastrophic regex: the .test call site', () => {
    const { s } = check('regex');
    assertCulprit(s, 'regex');
    assert.deepEqual(s.cause, { kind: 'js', api: 'RegExp.test' });
  });

  it('CPU after an await in a handler: still GET /async-busy', () => {
    const { s } = check('async-busy');
    assertCulprit(s, 'async-busy');
    assert.deepEqual(s.handler, http('async-busy'));
  });

  it('background interval: the interval is the handler, not a request', () => {
    const { s } = check('timer');
    assertCulprit(s, 'timer');
    assert.deepEqual(s.handler, { kind: 'timer', label: 'setInterval' });
  });

  it('timeout scheduled by a handler: still that request', () => {
    const { s } = check('deferred');
    assertCulprit(s, 'deferred');
    assert.deepEqual(s.handler, http('deferred'));
  });

  it('a full garbage collection: cause gc', () => {
    const { s } = check('gc');
    assert.deepEqual(s.handler, http('gc'));
    assert.deepEqual(s.cause, { kind: 'gc' });
    // The look runs when a collection ends: on the line of the gc() calls, or none.
    if (s.culprit) assert.deepEqual([s.culprit.file, s.culprit.line], [SERVER, expectedLocation(SERVER, 'gc').line]);
  });

  it('start-up work is a stall of the main module', () => {
    const first = stalls[0];
    assert.ok(first, 'no stall at all');
    assert.deepEqual(first.handler, { kind: 'main', label: 'main module' });
    assert.equal(first.culprit?.file, SERVER);
  });

  it('fast requests make no stall, and every other stall is one of the blocks or a GC', () => {
    const during = stalls.filter((s) => s.startMs + s.durationMs > quietFrom && s.startMs < quietTo);
    assert.deepEqual(during, [], 'stalls while only fast requests ran');
    const matched = new Set(truth.map((t) => stallFor(stalls, t)?.id));
    // Besides GC, a stall announced while the process was starved of CPU ends up with its small
    // exact busy time and no culprit: not a stall of the app's code, and shown as such.
    const unexplained = stalls.slice(1).filter((s) => !matched.has(s.id) && s.cause?.kind !== 'gc' && !(s.durationMs < 50 && !s.culprit));
    assert.deepEqual(unexplained, [], 'stalls that match no fixture block');
    assert.equal(matched.size, KINDS.length, 'one stall per block');
  });

  it('median duration error over all kinds is within 3 ms', () => {
    assert.equal(errors.length, KINDS.length);
    assert.ok(median(errors) <= 3, `median error ${median(errors).toFixed(2)} ms (all: ${errors.map((e) => e.toFixed(2)).join(', ')})`);
  });

  it('stalls are announced while still ongoing, then finalised under the same id', () => {
    const t = truth.find((x) => x.kind === 'exec')!;
    const s = stallFor(stalls, t)!;
    const versions = host.messages('stall', p.pid).filter((m) => m.msg.stall.id === s.id);
    const ongoing = versions.find((m) => m.msg.stall.ongoing);
    assert.ok(ongoing, 'no ongoing version');
    assert.ok(ongoing.atMs < t.startMs + t.durationMs, `the ongoing message arrived ${(ongoing.atMs - t.startMs - t.durationMs).toFixed(1)} ms after the block ended`);
    assert.equal(versions.at(-1)!.msg.stall.ongoing, undefined);
  });

  it('lag series: a sample every 100 ms with p50/p99/max and utilisation; the stalls show in it', () => {
    const lag = host.recording.lagSamples.filter((l) => l.pid === p.pid && l.threadId === 0);
    assert.ok(lag.length >= 20, `${lag.length} samples`);
    const calm: number[] = [];
    const stallsIn = (l: { atMs: number; intervalMs: number }) =>
      stalls.filter((s) => s.startMs < l.atMs && s.startMs + s.durationMs > l.atMs - l.intervalMs).reduce((a, s) => a + s.durationMs + 20, 0);
    // Together the samples cover the run without holes (idle spans included).
    for (let i = 1; i < lag.length; i++) {
      const hole = lag[i].atMs - lag[i].intervalMs - lag[i - 1].atMs;
      assert.ok(Math.abs(hole) < 25, `a ${hole.toFixed(1)} ms hole or overlap in the lag series before ${JSON.stringify(lag[i])}`);
    }
    for (const l of lag) {
      assert.ok(l.p50Ms <= l.p99Ms && l.p99Ms <= l.maxMs, JSON.stringify(l));
      assert.ok(l.elu >= 0 && l.elu <= 1);
      // 100 ms intervals (closed by the first beat past 100 ms; an idle span ends with its remainder; a stall stretches the interval it is in).
      assert.ok(l.intervalMs > 0 && l.intervalMs <= 125 + stallsIn(l), `interval ${l.intervalMs} (${JSON.stringify(l)})`);
      // An interval is longer than 100 ms only when a stall held its closing heartbeat back.
      const stalled = stalls.some((s) => s.startMs < l.atMs && s.startMs + s.durationMs > l.atMs - l.intervalMs);
      if (!stalled) calm.push(l.intervalMs);
    }
    // Calm intervals close on the first heartbeat past 100 ms (a starved process can stretch one).
    assert.ok(calm.length >= 10, `${calm.length} calm samples`);
    assert.ok(median(calm) <= 115, `calm intervals: ${calm.join(', ')}`);
    const t = truth.find((x) => x.kind === 'busy')!;
    const hit = lag.find((l) => l.atMs >= t.startMs + t.durationMs && l.atMs - l.intervalMs <= t.startMs + t.durationMs + 20);
    assert.ok(hit && hit.maxMs >= t.durationMs - 15 && hit.elu > 0.5, `lag around the busy block: ${JSON.stringify(hit)}`);
  });

  it('reports the listening server and its process', () => {
    const servers = host.recording.listening.filter((s) => s.pid === p.pid);
    assert.deepEqual(servers, [{ pid: p.pid, protocol: 'http', address: '127.0.0.1', port }]);
    const proc = host.recording.processes.find((x) => x.pid === p.pid);
    assert.ok(proc);
    assert.equal(proc.ppid, process.pid);
    assert.equal(proc.mode, 'full');
    assert.equal(proc.argv[1], SERVER);
  });
});

describe('request context and GC recording on demand (the defaults)', () => {
  let host: ProbeHost;
  let p: Probed;
  let truth: Truth[] = [];
  let stalls: Stall[] = [];

  before(async () => {
    ensureProbeBuilt();
    host = await ProbeHost.start();
    p = spawnProbed(SERVER, [], { host, nodeArgs: ['--expose-gc'] });
    const port = Number((await p.waitForOutput(/listening (\d+)/))[1]);
    await sleep(200);
    await hitEach(port, ['busy', 'timer', 'async-busy', 'async-busy', 'async-busy', 'deferred', 'gc', 'gc', 'gc']);
    ({ truth, stalls } = await stopAndRead(host, p, port));
  });

  after(async () => {
    p?.kill();
    await host?.close();
  });

  const stallOf = (kind: string, nth = 0): Stall => {
    const t = truth.filter((x) => x.kind === kind)[nth];
    assert.ok(t, `no ${kind} block #${nth + 1} in the truth`);
    const s = stallFor(stalls, t);
    assert.ok(s, `no stall for ${kind} #${nth + 1}`);
    return s;
  };

  it('names a synchronous handler without tracking, and an interval never starts tracking', () => {
    assert.deepEqual(stallOf('busy').handler, { kind: 'http', label: 'GET /busy' });
    assert.deepEqual(stallOf('timer').handler, { kind: 'timer', label: 'setInterval' });
  });

  it('the first stall after an await has no handler (nothing carried it there); from the first one with a culprit on, requests are tracked', () => {
    const after = [0, 1, 2].map((n) => stallOf('async-busy', n));
    // Without async hooks a microtask runs in no async resource at all: unknown, not a guess.
    assert.equal(after[0].handler, null, describeStall(after[0]));
    // Tracking starts from a stall whose look found the user's line (a look can come back late on a
    // loaded machine, and then it has none): usually the first.
    const k = after.findIndex((s) => s.culprit);
    assert.ok(k >= 0, `no look found the line: ${after.map(describeStall).join('; ')}`);
    assert.deepEqual(after[k].culprit && { file: after[k].culprit.file, line: after[k].culprit.line }, { file: SERVER, line: expectedLocation(SERVER, 'async-busy')?.line });
    for (const s of after.slice(k + 1)) assert.deepEqual(s.handler, { kind: 'http', label: 'GET /async-busy' }, describeStall(s));
    assert.ok(k < 2, 'tracking started in time to be seen');
    assert.deepEqual(stallOf('deferred').handler, { kind: 'http', label: 'GET /deferred' });
  });

  it('GC pauses are recorded from the first stall a look could not explain: the GC stalls after it say gc', () => {
    const gcs = [0, 1, 2].map((n) => stallOf('gc', n));
    // Normally the first GC stall is that stall; any stall without a culprit (a look that lost its
    // race on a loaded machine) starts the recording as well, and then it starts there.
    const ordered = [...stalls].sort((a, b) => a.startMs - b.startMs);
    const firstUnexplained = ordered.find((s) => !s.culprit);
    assert.ok(firstUnexplained, 'the first GC stall has no culprit');
    for (const s of gcs.filter((g) => g.startMs <= firstUnexplained.startMs)) {
      assert.notDeepEqual(s.cause, { kind: 'gc' }, `nothing recorded GC pauses before ${describeStall(firstUnexplained)}`);
    }
    const later = gcs.filter((g) => g.startMs > firstUnexplained.startMs);
    assert.ok(later.length >= 1, 'a GC stall after the recording started');
    assert.deepEqual(later[later.length - 1].cause, { kind: 'gc' }, later.map(describeStall).join('; '));
    // Explained stalls before it (lines of JS, a known call) did not start the recording.
    assert.deepEqual(stallOf('busy').cause, { kind: 'js' });
  });
});
