import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import { ProbeServer } from '../../src/core/probeServer';
import type { Recording } from '../../src/core/recording';
import { RecordingHub } from '../../src/host/recordingHub';
import type { ProbeToHost } from '../../src/shared/protocol/probeMessages';
import { hello, helloV1, lag, stall } from './samples';

/** A real probe server with the hub routing into it, and a way to play a probe over a real socket. */
async function setup(fn: (ctx: { hub: RecordingHub; server: ProbeServer; probe: (key: string, over?: Parameters<typeof hello>[0], v1?: Parameters<typeof helloV1>[0]) => Promise<Probe> }) => Promise<void>) {
  const server = await ProbeServer.start();
  const hub = new RecordingHub({ thresholdMs: () => 50 });
  const detach = hub.attach(server);
  const sockets: WebSocket[] = [];
  try {
    await fn({
      hub,
      server,
      probe: async (key, over = {}, v1) => {
        const ws = new WebSocket(server.url);
        sockets.push(ws);
        await once(ws, 'open');
        const welcomed = once(ws, 'message');
        const token = server.issueToken(key);
        ws.send(JSON.stringify(v1 ? helloV1({ token, ...v1 }) : hello({ token, ...over })));
        await welcomed;
        return new Probe(ws);
      },
    });
  } finally {
    for (const ws of sockets) ws.terminate();
    detach();
    hub.dispose();
    await server.close();
  }
}

class Probe {
  constructor(readonly ws: WebSocket) {}
  send(msg: ProbeToHost): void {
    this.ws.send(JSON.stringify(msg));
  }
}

/** Waits until `rec` satisfies `probe` (messages cross a real socket). */
async function until<T>(what: string, probe: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('each probe session has its own recording; the first probe to connect puts it on screen', async () => {
  await setup(async ({ hub, probe }) => {
    const shown: Array<Recording | undefined> = [];
    hub.on('current', (r) => shown.push(r));
    const a = hub.prepareSession('A', 'Launch A', ['node', 'a.js']);
    const b = hub.prepareSession('B', 'Launch B', ['node', 'b.js']);
    assert.equal(hub.current, undefined, 'nothing on screen before anything ran');
    const pa = await probe('A', { pid: 10 });
    await until('A on screen', () => hub.current === a);
    pa.send({ type: 'stall', stall: stall({ id: '10.0.1', pid: 10 }) });
    const pb = await probe('B', { pid: 20 });
    pb.send({ type: 'lag', samples: [lag({ pid: 20 })] });
    await until('B on screen', () => hub.current === b);
    await until('the data in its recording', () => a.getStall('10.0.1') && b.lagSamples.length === 1);
    assert.deepEqual(a.processes.map((p) => p.pid), [10]);
    assert.deepEqual(b.processes.map((p) => p.pid), [20]);
    assert.equal(b.stalls.length, 0, 'A\'s stall did not leak into B');
    assert.deepEqual(shown, [a, b]);
  });
});

test('a debugger pause explains a stall away; a stall announced before the pause was known is taken back', async () => {
  await setup(async ({ hub, probe }) => {
    const rec = hub.prepareSession('S', 'S', []);
    const p = await probe('S', { pid: 10 });
    const T = 1_700_000_000_000;
    hub.addPause('S', { id: 'dap#1', pid: 10, threadId: 0, startMs: T, endMs: T + 1000 });
    p.send({ type: 'stall', stall: stall({ id: '10.0.1', pid: 10, startMs: T - 3, durationMs: 1004 }) });
    // Announced while ongoing, then ended short at a pause the probe itself saw (js-debug's own pauses).
    p.send({ type: 'stall', stall: stall({ id: '10.0.2', pid: 10, startMs: T + 5000, durationMs: 60, ongoing: true }) });
    await until('the ongoing stall', () => rec.getStall('10.0.2'));
    const removed = once(rec, 'removed');
    p.send({ type: 'stall', stall: stall({ id: '10.0.2', pid: 10, startMs: T + 5000, durationMs: 2 }) });
    assert.deepEqual((await removed)[0], ['10.0.2']);
    p.send({ type: 'stall', stall: stall({ id: '10.0.3', pid: 10, startMs: T + 9000, durationMs: 120 }) });
    await until('the real stall', () => rec.getStall('10.0.3'));
    assert.deepEqual(rec.stalls.map((s) => s.id), ['10.0.3']);
    assert.equal(hub.suppressedStalls, 2);
  });
});

test('a v1 worker\'s connection closing does not end its process; the main thread\'s does', async () => {
  await setup(async ({ hub, probe }) => {
    const rec = hub.prepareSession('S', 'S', []);
    const main = await probe('S', {}, { pid: 10, threadId: 0 });
    const worker = await probe('S', {}, { pid: 10, threadId: 3 });
    worker.ws.close();
    await once(worker.ws, 'close');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(rec.processes[0].endedAtMs, undefined);
    main.ws.close();
    await until('the process to end', () => rec.processes[0].endedAtMs !== undefined);
  });
});

test('ending a session keeps it on screen, not live; clearing a finished one empties the screen', async () => {
  await setup(async ({ hub, probe, server }) => {
    const rec = hub.prepareSession('S', 'S', []);
    const p = await probe('S', { pid: 10 });
    p.send({ type: 'stall', stall: stall({ id: '10.0.1', pid: 10 }) });
    await until('the stall', () => rec.stalls.length === 1);
    const live = once(hub, 'live');
    hub.endSession('S');
    assert.equal((await live)[0], rec);
    assert.equal(rec.live, false);
    assert.equal(hub.current, rec);
    assert.equal(hub.session('S'), undefined);
    // A probe that outlives its session cannot write into the finished recording.
    p.send({ type: 'stall', stall: stall({ id: '10.0.9', pid: 10 }) });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(rec.stalls.length, 1);
    hub.clear();
    assert.equal(hub.current, undefined);
    assert.ok(server.url);
  });
});

test('clearing a live session empties it and keeps recording', async () => {
  await setup(async ({ hub, probe }) => {
    const rec = hub.prepareSession('S', 'S', []);
    const p = await probe('S', { pid: 10 });
    p.send({ type: 'stall', stall: stall({ id: '10.0.1', pid: 10 }) });
    await until('the first stall', () => rec.stalls.length === 1);
    hub.clear();
    assert.equal(hub.current, rec);
    assert.equal(rec.stalls.length, 0);
    p.send({ type: 'stall', stall: stall({ id: '10.0.2', pid: 10 }) });
    await until('the next stall', () => rec.stalls.length === 1);
  });
});

test('follow() hears the recording on screen, and only it, across switches', async () => {
  await setup(async ({ hub, probe }) => {
    const heard: string[] = [];
    const unfollow = hub.follow({
      current: (r) => heard.push(`current ${r?.title ?? 'none'}`),
      delta: (d) => heard.push(`delta ${d.stalls?.map((s) => s.id).join(',') ?? '-'}`),
      removed: (ids) => heard.push(`removed ${ids.join(',')}`),
      ended: (r) => heard.push(`ended ${r.title}`),
    });
    const a = hub.prepareSession('A', 'A', []);
    hub.prepareSession('B', 'B', []);
    hub.showSession('A');
    const pa = await probe('A', { pid: 10 });
    pa.send({ type: 'stall', stall: stall({ id: '10.0.1', pid: 10 }) });
    await until('A\'s stall delta', () => heard.includes('delta 10.0.1'));
    a.removeStall('10.0.1');
    hub.showSession('B');
    a.upsertStall(stall({ id: '10.0.2', pid: 10 })); // A is off screen now
    a.flush();
    hub.endSession('A'); // not on screen: no `ended`
    hub.endSession('B');
    unfollow();
    hub.showSession('B');
    assert.deepEqual(heard.filter((h) => !h.startsWith('delta -')), ['current none', 'current A', 'delta 10.0.1', 'removed 10.0.1', 'current B', 'ended B']);
  });
});

test('a new session does not throw the finished recording away: it is kept under recent, said once, and can be shown again', async () => {
  await setup(async ({ hub, probe }) => {
    const shelved: string[] = [];
    hub.on('shelved', (r, by) => shelved.push(`${r.title} → ${by?.title ?? 'none'}`));
    const a = hub.prepareSession('A', 'Launch A', []);
    const pa = await probe('A', { pid: 10 });
    pa.send({ type: 'stall', stall: stall({ id: '10.0.1', pid: 10 }) });
    await until('A\'s stall', () => a.stalls.length === 1);
    hub.endSession('A');
    const b = hub.prepareSession('B', 'Launch B', []);
    await probe('B', { pid: 20 });
    await until('B on screen', () => hub.current === b);
    assert.deepEqual(hub.recent, [a]);
    assert.deepEqual(shelved, ['Launch A → Launch B']);
    assert.equal(a.stalls.length, 1, 'kept whole, not disposed');
    hub.open(a);
    assert.equal(hub.current, a);
    assert.deepEqual(hub.recent, [], 'on screen again, so no longer under recent (B is live, off screen)');
    // A finished session that never had a probe leaves nothing behind; clearing lets go for good.
    hub.prepareSession('C', 'Launch C', []);
    hub.showSession('C');
    hub.endSession('C');
    hub.open(a);
    assert.deepEqual(hub.recent, [], 'the empty recording C was let go');
    hub.clear();
    assert.equal(hub.current, undefined);
    assert.deepEqual(hub.recent, []);
  });
});
