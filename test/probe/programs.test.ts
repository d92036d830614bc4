/**
 * Programs of different shapes under the real probe: an ES module, TypeScript with source maps
 * (file and inline), broken and missing source maps, a quiet program, and a very long block that
 * must be visible while it is still going on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { Stall } from '../../src/shared/protocol/model';
import { FIXTURES, ProbeHost, ensureProbeBuilt, expectedLocation, median, sleep, spawnProbed, stallFor, waitFor, type Probed } from './harness';

async function runToEnd(host: ProbeHost, script: string, o: Parameters<typeof spawnProbed>[2] = {}): Promise<Probed> {
  const p = spawnProbed(script, [], { host, ...o });
  const exit = await p.exited;
  assert.equal(exit.code, 0, `${script} exited ${exit.code}: ${p.stderr}`);
  await waitFor(() => host.disconnected.includes(p.pid), 3000, `pid ${p.pid} to disconnect`);
  host.recording.flush();
  return p;
}

function onlyStall(host: ProbeHost, p: Probed, kind: string): Stall {
  const t = p.truth().find((x) => x.kind === kind);
  assert.ok(t, `no ground truth for ${kind}: ${p.stderr}`);
  const s = stallFor(host.stalls(p.pid), t);
  assert.ok(s, `no stall for ${kind}`);
  const err = s.durationMs - t.durationMs;
  assert.ok(err >= -0.5 && err <= 100, `${kind}: reported ${s.durationMs} vs true ${t.durationMs.toFixed(2)}`);
  return s;
}

describe('probe across program shapes', () => {
  let host: ProbeHost;
  before(async () => {
    ensureProbeBuilt();
    host = await ProbeHost.start();
  });
  after(() => host.close());

  it('ES module: file:// URLs become paths, exact line and column', async () => {
    const file = join(FIXTURES, 'esm.mjs');
    const p = await runToEnd(host, file);
    const s = onlyStall(host, p, 'esm');
    const want = expectedLocation(file, 'esm');
    assert.deepEqual(s.culprit && { file: s.culprit.file, line: s.culprit.line, column: s.culprit.column }, want);
    assert.ok(s.frames.every((f) => !f.file.startsWith('file:')));
    assert.deepEqual(s.handler, { kind: 'timer', label: 'setTimeout' });
  });

  for (const sourcemap of ['linked', 'inline'] as const) {
    it(`TypeScript with a ${sourcemap} source map: the .ts file and line, the generated location kept`, async () => {
      const src = join(FIXTURES, 'ts', 'blocker.ts');
      const out = join(mkdtempSync(join(tmpdir(), 'stallscope-ts-')), 'blocker.js');
      buildSync({ entryPoints: [src], outfile: out, bundle: true, platform: 'node', format: 'cjs', sourcemap, logLevel: 'warning' });
      assert.match(readFileSync(out, 'utf8'), sourcemap === 'inline' ? /sourceMappingURL=data:application\/json;base64,/ : /sourceMappingURL=blocker\.js\.map/);
      const p = await runToEnd(host, out);
      const s = onlyStall(host, p, 'ts');
      const want = expectedLocation(src, 'ts');
      assert.ok(s.culprit, 'no culprit');
      assert.deepEqual({ file: s.culprit.file, line: s.culprit.line, column: s.culprit.column }, want);
      assert.equal(s.culprit.generated?.file, out);
      assert.ok(s.culprit.generated.line >= 1 && s.culprit.generated.column >= 1);
      assert.notEqual(s.culprit.generated.line, want.line, 'the generated line differs from the original (else this test proves nothing)');
      assert.equal(s.culprit.function, 'crunch');
    });
  }

  it('broken and missing source maps: generated locations kept, both stalls reported', async () => {
    const p = await runToEnd(host, join(FIXTURES, 'maps.js'));
    for (const [kind, file] of [
      ['broken-map', join(FIXTURES, 'maps', 'broken.js')],
      ['missing-map', join(FIXTURES, 'maps', 'missing.js')],
    ] as const) {
      const s = onlyStall(host, p, kind);
      assert.ok(s.culprit, `${kind}: no culprit`);
      assert.deepEqual({ file: s.culprit.file, line: s.culprit.line, column: s.culprit.column }, expectedLocation(file, kind));
      assert.equal(s.culprit.generated, undefined);
    }
    const notices = host.messages('notice', p.pid).map((m) => m.msg.message);
    assert.ok(notices.some((m) => m.includes('broken.js') && m.includes('source map not used')), `notices: ${JSON.stringify(notices)}`);
    assert.ok(notices.some((m) => m.includes('missing.js')), `notices: ${JSON.stringify(notices)}`);
  });

  it('a program that does not block gets no stall, but a lag series', async () => {
    const p = await runToEnd(host, join(FIXTURES, 'quiet.js'));
    assert.match(p.stdout, /quiet done 60/);
    assert.deepEqual(host.stalls(p.pid), []);
    assert.deepEqual(host.messages('stall', p.pid), [], 'not even an ongoing one');
    const lag = host.recording.lagSamples.filter((l) => l.pid === p.pid);
    assert.ok(lag.length >= 8, `${lag.length} lag samples over ~1.2 s`);
    assert.ok(median(lag.map((l) => l.maxMs)) < 20, `lag max: ${lag.map((l) => l.maxMs).join(", ")}`);
  });

  it('an idle program parks its heartbeat (no main-thread wakes), keeps a lag series, and still catches a block with its culprit', async () => {
    const file = join(FIXTURES, 'parked.js');
    const p = spawnProbed(file, [], { host, env: { IDLE_MS: '1800' } });
    await p.waitForOutput(/idle/);
    await sleep(500); // the heartbeat parks after ~100 ms of idleness once the watchdog allows it
    const wakes = () => Number(readFileSync(`/proc/${p.pid}/task/${p.pid}/schedstat`, 'latin1').split(' ')[2]);
    const w0 = wakes();
    await sleep(1000);
    const perSecond = wakes() - w0;
    const exit = await p.exited;
    assert.equal(exit.code, 0, p.stderr);
    await waitFor(() => host.disconnected.includes(p.pid), 3000, 'disconnect');
    host.recording.flush();
    assert.ok(perSecond <= 10, `the idle main thread ran ${perSecond} times in a second (a 10 ms heartbeat would be ~100)`);
    const s = onlyStall(host, p, 'after-idle');
    assert.deepEqual(s.culprit && { file: s.culprit.file, line: s.culprit.line, column: s.culprit.column }, expectedLocation(file, 'after-idle'));
    const lag = host.recording.lagSamples.filter((l) => l.pid === p.pid);
    const idleSpan = lag.filter((l) => l.atMs > p.truth()[0].startMs - 1500 && l.atMs < p.truth()[0].startMs - 100);
    assert.ok(idleSpan.length >= 10, `${idleSpan.length} lag samples in the idle second`);
    assert.ok(idleSpan.every((l) => l.maxMs === 0 || l.maxMs < 5));
  });

  it('a block in Atomics.wait that starts from idle is caught with its culprit: no CPU moves, but the loop sleeps outside epoll', async () => {
    const file = join(FIXTURES, 'parked.js');
    const p = await runToEnd(host, file, { env: { IDLE_MS: '800', BLOCK: 'wait', BLOCK_MS: '200' } });
    const s = onlyStall(host, p, 'after-idle');
    assert.deepEqual(s.culprit && { file: s.culprit.file, line: s.culprit.line, column: s.culprit.column }, expectedLocation(file, 'after-idle-wait'));
    assert.deepEqual(s.cause, { kind: 'native', api: 'Atomics.wait' });
    assert.deepEqual(s.handler, { kind: 'timer', label: 'setTimeout' });
  });

  it("a parked loop's small work before a block (an interval's ticks) is not counted in the block's duration", async () => {
    // ~50 ticks of 0.5 ms while parked, each a loop turn of its own: without a beat at those turns
    // the block's gap counts them (about their sum, +25 ms; with them, under a millisecond). The
    // bound sits well between the two, as a loaded machine can delay the block's first line.
    const p = await runToEnd(host, join(FIXTURES, 'parked.js'), { env: { IDLE_MS: '2500', TICK_BUSY_MS: '0.5' } });
    const t = p.truth().find((x) => x.kind === 'after-idle')!;
    const s = onlyStall(host, p, 'after-idle');
    const err = s.durationMs - t.durationMs;
    assert.ok(err >= -1 && err <= 10, `reported ${s.durationMs} ms for a ${t.durationMs.toFixed(2)} ms block (${err.toFixed(2)} ms off)`);
  });

  it('an endless loop is reported while it runs, with its culprit; killing the process closes it', async () => {
    const file = join(FIXTURES, 'long.js');
    const p = spawnProbed(file, [], { host, env: { BLOCK_MS: '1e9' } });
    try {
      await p.waitForOutput(/blocking/);
      const seen = await waitFor(
        () => host.messages('stall', p.pid).find((m) => m.msg.stall.ongoing && m.msg.stall.culprit),
        5000,
        'an ongoing stall with a culprit',
      );
      const first = seen.msg.stall;
      assert.deepEqual(first.culprit && { file: first.culprit.file, line: first.culprit.line, column: first.culprit.column }, expectedLocation(file, 'long'));
      assert.deepEqual(first.cause, { kind: 'js' });
      // Updates keep coming with a growing duration while it is still blocked.
      const later = await waitFor(
        () => host.messages('stall', p.pid).find((m) => m.msg.stall.id === first.id && m.msg.stall.durationMs >= first.durationMs + 900),
        5000,
        'an update a second later',
      );
      assert.equal(later.msg.stall.ongoing, true);
      assert.equal(p.child.exitCode, null, 'still running');
    } finally {
      p.kill();
    }
    await p.exited;
    await waitFor(() => host.disconnected.includes(p.pid), 3000, 'disconnect');
    const s = host.recording.stalls.find((x) => x.pid === p.pid)!;
    assert.equal(s.ongoing, undefined, 'the host closed the stall when the process went away');
    assert.ok(s.durationMs >= 1000, `closed at ${s.durationMs} ms`);
  });

  it("the host's configure message changes the threshold of a running probe", async () => {
    const env = { EXIT_MODE: 'natural', DELAY_MS: '700', BLOCK_MS: '120' };
    const file = join(FIXTURES, 'exit.js');
    const raised = spawnProbed(file, [], { host, env });
    const conn = await waitFor(() => host.connections.find((c) => c.hello.pid === raised.pid), 5000, 'the probe to connect');
    conn.send({ type: 'configure', thresholdMs: 250 });
    assert.equal((await raised.exited).code, 0);
    const control = await runToEnd(host, file, { env });
    await waitFor(() => host.disconnected.includes(raised.pid), 3000, 'disconnect');
    host.recording.flush();
    assert.deepEqual(host.stalls(raised.pid), [], 'a 120 ms block under a 250 ms threshold');
    assert.equal(host.stalls(control.pid).length, 1, 'the same block under the default 50 ms');
  });

  it('a 2.5 s block: ongoing at detection, then one final with the exact duration', async () => {
    const file = join(FIXTURES, 'long.js');
    const p = await runToEnd(host, file);
    const t = p.truth().find((x) => x.kind === 'long')!;
    const s = onlyStall(host, p, 'long');
    assert.ok(Math.abs(s.durationMs - t.durationMs) <= 15, `${s.durationMs} vs ${t.durationMs}`);
    const versions = host.messages('stall', p.pid).filter((m) => m.msg.stall.id === s.id);
    assert.ok(versions[0].msg.stall.ongoing && versions[0].atMs < t.startMs + 200, 'announced within 200 ms of its start');
    assert.equal(versions.filter((m) => !m.msg.stall.ongoing).length, 1);
  });
});
