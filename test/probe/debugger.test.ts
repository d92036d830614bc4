/**
 * A real breakpoint: the fixture runs under --inspect, a CDP client (behaving like VS Code's
 * js-debug: Runtime + Debugger enabled) sets a breakpoint, holds the pause and resumes. The loop
 * stood still, but that is a pause, not a stall: the probe must report a `pause` and no stall, and
 * must still report the real block that comes later, or right after Continue in the same call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { basename, join } from 'node:path';
import WebSocket from 'ws';
import { FIXTURES, ProbeHost, ensureProbeBuilt, expectedLocation, sleep, spawnProbed, stallFor, waitFor, type Probed } from './harness';

class Cdp {
  private id = 0;
  private readonly pending = new Map<number, (r: unknown) => void>();
  readonly events: Array<{ method: string; params: Record<string, unknown> }> = [];
  onEvent: ((method: string, params: Record<string, unknown>) => void) | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString()) as { id?: number; method?: string; params?: Record<string, unknown>; result?: unknown };
      if (m.id !== undefined) {
        this.pending.get(m.id)?.(m.result);
        this.pending.delete(m.id);
      } else if (m.method) {
        this.events.push({ method: m.method, params: m.params ?? {} });
        this.onEvent?.(m.method, m.params ?? {});
      }
    });
  }

  static async connect(url: string): Promise<Cdp> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((res, rej) => ws.once('open', res).once('error', rej));
    return new Cdp(ws);
  }

  send<T = unknown>(method: string, params: object = {}): Promise<T> {
    const id = ++this.id;
    return new Promise((res) => {
      this.pending.set(id, res as (r: unknown) => void);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

/** Connects to the fixture's inspector, sets a breakpoint on `tag`, holds the first pause `holdMs`, then resumes. */
async function holdBreakpoint(p: Probed, file: string, tag: string, holdMs: number): Promise<{ cdp: Cdp; pausedAt: number; resumedAt: number }> {
  const wsUrl = (await waitFor(() => /ws:\/\/\S+/.exec(p.stderr), 10_000, 'the inspector url'))[0];
  const cdp = await Cdp.connect(wsUrl);
  await cdp.send('Runtime.enable');
  await cdp.send('Debugger.enable');
  const bp = await cdp.send<{ breakpointId: string }>('Debugger.setBreakpointByUrl', {
    lineNumber: expectedLocation(file, tag).line - 1,
    urlRegex: `${basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
  });
  let pausedAt = 0;
  let resumedAt = 0;
  cdp.onEvent = (method, params) => {
    if (method !== 'Debugger.paused' || pausedAt) return;
    assert.ok((params.hitBreakpoints as string[]).length > 0, 'paused by our breakpoint');
    pausedAt = Date.now();
    void (async () => {
      await sleep(holdMs);
      await cdp.send('Debugger.removeBreakpoint', { breakpointId: bp.breakpointId });
      resumedAt = Date.now();
      await cdp.send('Debugger.resume');
    })();
  };
  await waitFor(() => resumedAt, 10_000, 'the breakpoint to be hit and released');
  return { cdp, pausedAt, resumedAt };
}

describe('probe under a debugger', () => {
  let host: ProbeHost;
  before(async () => {
    ensureProbeBuilt();
    host = await ProbeHost.start();
  });
  after(() => host.close());

  it('a breakpoint held for 400 ms is a pause, not a stall; a later block is still a stall', async () => {
    const file = join(FIXTURES, 'breakpoint.js');
    const p = spawnProbed(file, [], { host, nodeArgs: ['--inspect=127.0.0.1:0'] });
    let cdp: Cdp | undefined;
    try {
      const held = await holdBreakpoint(p, file, 'bp', 400);
      cdp = held.cdp;
      const { pausedAt, resumedAt } = held;
      // Detach before the program ends: Node waits for an attached debugger at exit.
      await waitFor(() => p.truth().length > 0, 10_000, 'the real block after the pause');
      cdp.close();
      cdp = undefined;
      const exit = await p.exited;
      assert.equal(exit.code, 0, p.stderr);
      await waitFor(() => host.disconnected.includes(p.pid), 3000, 'disconnect');
      host.recording.flush();

      const pauses = host.recording.pauses.filter((x) => x.pid === p.pid);
      assert.equal(pauses.length, 1, JSON.stringify(pauses));
      const pause = pauses[0];
      assert.equal(pause.threadId, 0);
      assert.ok(pause.endMs !== null);
      assert.ok(Math.abs(pause.startMs - pausedAt) < 100, `pause start ${pause.startMs - pausedAt} ms off`);
      assert.ok(Math.abs(pause.endMs - resumedAt) < 100, `pause end ${pause.endMs - resumedAt} ms off`);
      const open = host.messages('pause', p.pid).find((m) => m.msg.pause.endMs === null);
      assert.ok(open && open.atMs < resumedAt, 'the pause was reported while it lasted');

      const stalls = host.stalls(p.pid);
      assert.deepEqual(
        stalls.filter((s) => s.startMs < pause.endMs! && s.startMs + s.durationMs > pause.startMs),
        [],
        'a stall overlapping the debugger pause',
      );
      assert.deepEqual(host.messages('stall', p.pid).filter((m) => m.atMs >= pausedAt && m.atMs <= resumedAt + 50), [], 'not even an ongoing one');
      const t = p.truth().find((x) => x.kind === 'after-bp')!;
      const s = stallFor(stalls, t);
      assert.ok(s, 'the real block after the pause was not reported');
      assert.deepEqual(s.culprit && { file: s.culprit.file, line: s.culprit.line, column: s.culprit.column }, expectedLocation(file, 'after-bp'));
    } finally {
      cdp?.close();
      p.kill();
    }
  });

  it('a block right after Continue, in the call that hit the breakpoint, is a stall; the pause is not lag', async () => {
    const file = join(FIXTURES, 'breakpoint-continue.js');
    const p = spawnProbed(file, [], { host, nodeArgs: ['--inspect=127.0.0.1:0'] });
    let cdp: Cdp | undefined;
    try {
      const held = await holdBreakpoint(p, file, 'bp', 600);
      cdp = held.cdp;
      await waitFor(() => p.truth().length > 0, 10_000, 'the block after Continue');
      cdp.close();
      cdp = undefined;
      const exit = await p.exited;
      assert.equal(exit.code, 0, p.stderr);
      await waitFor(() => host.disconnected.includes(p.pid), 3000, 'disconnect');
      host.recording.flush();

      const pauses = host.recording.pauses.filter((x) => x.pid === p.pid);
      assert.equal(pauses.length, 1, JSON.stringify(pauses));
      const pause = pauses[0];
      assert.ok(pause.endMs !== null && Math.abs(pause.endMs - held.resumedAt) < 100, `pause end ${pause.endMs! - held.resumedAt} ms off`);
      const t = p.truth().find((x) => x.kind === 'after-continue')!;
      const stalls = host.stalls(p.pid);
      const s = stallFor(stalls, t);
      assert.ok(s, `the block after Continue was not reported: ${JSON.stringify(stalls)}`);
      assert.deepEqual(s.culprit && { file: s.culprit.file, line: s.culprit.line, column: s.culprit.column }, expectedLocation(file, 'after-continue'));
      assert.ok(s.startMs >= pause.endMs! - 1, `the stall starts ${pause.endMs! - s.startMs} ms before the pause ended`);
      assert.ok(Math.abs(s.durationMs - t.durationMs) < 25, `stall ${s.durationMs} ms vs the block's ${t.durationMs} ms`);
      assert.deepEqual(
        stalls.filter((x) => x.startMs < pause.endMs! - 1 && x.startMs + x.durationMs > pause.startMs + 1),
        [],
        'a stall overlapping the debugger pause',
      );
      // The beat after the pause was 600 ms late; the lag series shows the block, not the pause.
      const lag = host.messages('lag', p.pid).flatMap((m) => m.msg.samples);
      const worst = Math.max(...lag.map((x) => x.maxMs));
      assert.ok(worst >= t.durationMs * 0.8 && worst < 400, `the worst lag sample is ${worst} ms (block ${t.durationMs} ms, pause 600 ms)`);
    } finally {
      cdp?.close();
      p.kill();
    }
  });

  it("the probe's own thread tells a debugger what it is", async () => {
    const p = spawnProbed(join(FIXTURES, 'breakpoint.js'), [], { host, nodeArgs: ['--inspect=127.0.0.1:0'] });
    let cdp: Cdp | undefined;
    try {
      const wsUrl = (await waitFor(() => /ws:\/\/\S+/.exec(p.stderr), 10_000, 'the inspector url'))[0];
      cdp = await Cdp.connect(wsUrl);
      // What js-debug does to list a process's threads (each attached worker is a thread in the Call Stack).
      await cdp.send('NodeWorker.enable', { waitForDebuggerOnStart: false });
      const c = cdp;
      const attached = await waitFor(() => c.events.find((e) => e.method === 'NodeWorker.attachedToWorker'), 10_000, 'the watchdog thread to be announced');
      const title = (attached.params.workerInfo as { title: string }).title;
      assert.match(title, /^\[worker \d+\] Stallscope watchdog \(stall probe, not your code\)$/);
    } finally {
      cdp?.close();
      p.kill();
    }
  });
});
