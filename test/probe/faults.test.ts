/**
 * The probe must never change the program it runs in: same stdout, stderr and exit code as without
 * it, whether there is no host, a host that refuses it, or a host that dies mid-run; and it must not
 * keep the program alive. Each case runs the same fixture with and without the probe.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FIXTURES, ProbeHost, ensureProbeBuilt, median, sleep, spawnProbed, waitFor, type SpawnOptions } from './harness';

const EXIT = join(FIXTURES, 'exit.js');

async function run(o: SpawnOptions & { env?: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string; ms: number; pid: number }> {
  const p = spawnProbed(EXIT, [], o);
  const e = await p.exited;
  return { code: e.code, stdout: p.stdout, stderr: p.stderr.replaceAll(String(p.pid), 'PID'), ms: e.atMs - p.startedAtMs, pid: p.pid };
}

async function closedPortUrl(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return `ws://127.0.0.1:${port}/`;
}

describe('the probe never changes the program', () => {
  let host: ProbeHost;
  before(async () => {
    ensureProbeBuilt();
    host = await ProbeHost.start();
  });
  after(() => host.close());

  for (const [mode, code] of [
    ['natural', 0],
    ['natural', 5],
    ['exit', 7],
    ['throw', 1],
  ] as const) {
    it(`no host listening (${mode}, exit ${code}): same output and exit code as without the probe`, async () => {
      const env = { EXIT_MODE: mode, EXIT_CODE: String(code), BLOCK_MS: '80' };
      const url = await closedPortUrl();
      const plain = await run({ env });
      const probed = await run({ host: null, probe: { url, token: 'x' }, env });
      assert.equal(plain.code, code);
      assert.equal(probed.code, plain.code);
      assert.equal(probed.stdout, plain.stdout);
      assert.equal(probed.stderr, plain.stderr);
    });
  }

  it('connected host, process.exit(7) right after a block: exit code kept, no debugger message, the stall delivered', async () => {
    const env = { EXIT_MODE: 'exit', EXIT_CODE: '7', BLOCK_MS: '150', DELAY_MS: '300' };
    const plain = await run({ env });
    const probed = await run({ host, env });
    assert.equal(probed.code, 7);
    assert.equal(probed.stdout, plain.stdout);
    assert.equal(probed.stderr, plain.stderr, 'e.g. "Waiting for the debugger to disconnect..."');
    await waitFor(() => host.disconnected.includes(probed.pid), 3000, 'disconnect');
    host.recording.flush();
    const stalls = host.stalls(probed.pid);
    assert.equal(stalls.length, 1, JSON.stringify(stalls));
    assert.ok(stalls[0].durationMs >= 148 && stalls[0].durationMs < 260, `${stalls[0].durationMs}`);
    assert.equal(stalls[0].culprit?.file, EXIT);
  });

  it('an uncaught exception with a host: same stderr and exit code', async () => {
    const env = { EXIT_MODE: 'throw', BLOCK_MS: '0' };
    const plain = await run({ env });
    const probed = await run({ host, env });
    assert.equal(probed.code, 1);
    assert.equal(probed.stderr, plain.stderr);
  });

  it('wrong token: refused once, the probe goes quiet for good, the program runs on unchanged', async () => {
    const env = { EXIT_MODE: 'natural', DELAY_MS: '1500', BLOCK_MS: '100' };
    const before = host.refused.length;
    const plain = await run({ env });
    const probed = await run({ host: null, probe: { url: host.url, token: 'not-the-token' }, env });
    assert.equal(probed.code, 0);
    assert.equal(probed.stdout, plain.stdout);
    assert.equal(probed.stderr, plain.stderr);
    const refused = host.refused.slice(before);
    assert.deepEqual(
      refused.map((r) => r.kind),
      ['bad-token'],
      'exactly one attempt: a refusal is final',
    );
    assert.ok(!host.connections.some((c) => c.hello.pid === probed.pid));
  });

  it('the host dies mid-run: the program runs on and ends unchanged', async () => {
    const doomed = await ProbeHost.start();
    const env = { EXIT_MODE: 'natural', EXIT_CODE: '0', DELAY_MS: '1200', BLOCK_MS: '100' };
    const plain = await run({ env });
    const p = spawnProbed(EXIT, [], { host: doomed, env });
    await waitFor(() => doomed.connections.some((c) => c.hello.pid === p.pid), 5000, 'the probe to connect');
    await doomed.close();
    const e = await p.exited;
    assert.equal(e.code, 0);
    assert.equal(p.stdout, plain.stdout);
    assert.equal(p.stderr.replaceAll(String(p.pid), 'PID'), plain.stderr);
  });

  it('does not keep the program alive: exit time with the probe is close to without', async () => {
    const env = { EXIT_MODE: 'natural', BLOCK_MS: '0' };
    const url = await closedPortUrl();
    const times: Record<'plain' | 'host' | 'nohost', number[]> = { plain: [], host: [], nohost: [] };
    for (let i = 0; i < 5; i++) {
      times.plain.push((await run({ env })).ms);
      times.host.push((await run({ host, env })).ms);
      times.nohost.push((await run({ host: null, probe: { url, token: 'x' }, env })).ms);
    }
    const m = { plain: median(times.plain), host: median(times.host), nohost: median(times.nohost) };
    // The probe adds its load time (~10 ms) and, with a host, the exit handshake (~1 ms); anything
    // that kept the loop alive (a ref'd timer or socket) would add hundreds of ms or hang.
    assert.ok(m.host - m.plain < 250 && m.nohost - m.plain < 250, `median exit ms: ${JSON.stringify(m)}`);
  });

  it('no url at all: the probe stays inert (no watchdog thread), output unchanged', async () => {
    const env = { EXIT_MODE: 'natural', BLOCK_MS: '50', DELAY_MS: '600' };
    const threads = async (o: SpawnOptions): Promise<{ n: number; out: string; err: string; code: number | null }> => {
      const p = spawnProbed(EXIT, [], { ...o, env });
      await p.waitForOutput(/start/);
      await sleep(300);
      const n = readdirSync(`/proc/${p.pid}/task`).length;
      const e = await p.exited;
      return { n, out: p.stdout, err: p.stderr, code: e.code };
    };
    const plain = await threads({});
    const inert = await threads({ host: null, probe: {} });
    const active = await threads({ host });
    assert.equal(inert.code, 0);
    assert.equal(inert.out, plain.out);
    assert.equal(inert.err, plain.err);
    assert.equal(inert.n, plain.n, 'an inert probe starts no thread');
    assert.ok(active.n > plain.n, 'the same check sees the watchdog thread of an active probe');
  });

  it('permission model without --allow-worker: lag-only mode, a notice, lag and exact stall durations', async () => {
    const env = { EXIT_MODE: 'natural', DELAY_MS: '400', BLOCK_MS: '150' };
    const p = spawnProbed(EXIT, [], { host, nodeArgs: ['--experimental-permission', '--allow-fs-read=*'], env });
    const e = await p.exited;
    assert.equal(e.code, 0, p.stderr);
    assert.equal(p.stdout, 'start natural\nblocked\n');
    await waitFor(() => host.disconnected.includes(p.pid), 3000, 'disconnect');
    await sleep(20);
    host.recording.flush();
    assert.equal(host.connections.find((c) => c.hello.pid === p.pid)?.hello.mode, 'lag-only');
    const notice = host.messages('notice', p.pid)[0]?.msg;
    assert.ok(notice && notice.level === 'warn' && /lag-only/.test(notice.message), JSON.stringify(notice));
    const stalls = host.stalls(p.pid);
    assert.equal(stalls.length, 1, JSON.stringify(stalls));
    assert.ok(stalls[0].durationMs >= 148 && stalls[0].durationMs < 260, `${stalls[0].durationMs}`);
    assert.equal(stalls[0].culprit, null);
    const lag = host.recording.lagSamples.filter((l) => l.pid === p.pid);
    assert.ok(lag.length >= 3, `${lag.length} lag samples`);
  });
});
