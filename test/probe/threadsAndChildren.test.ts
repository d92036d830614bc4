/**
 * Worker threads and child processes under the real probe. A worker's stall is detected by the
 * process's one watchdog through the worker's own heartbeat and captured through the inspector's
 * NodeWorker domain; a forked child inherits the probe and reports on its own connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { FIXTURES, ProbeHost, ensureProbeBuilt, expectedLocation, spawnProbed, stallFor, waitFor } from './harness';

describe('probe in worker threads and children', () => {
  let host: ProbeHost;
  before(async () => {
    ensureProbeBuilt();
    host = await ProbeHost.start();
  });
  after(() => host.close());

  it('a worker thread: its threadId and name, the culprit in the worker code, the main thread quiet', async () => {
    const p = spawnProbed(join(FIXTURES, 'worker.js'), [], { host });
    const exit = await p.exited;
    assert.equal(exit.code, 0, p.stderr);
    await waitFor(() => host.disconnected.includes(p.pid), 3000, 'disconnect');
    host.recording.flush();
    const t = p.truth().find((x) => x.kind === 'worker');
    assert.ok(t, `no truth: ${p.stderr}`);
    const threadId = t.threadId as number;
    assert.ok(threadId > 0);
    assert.match(p.stdout, new RegExp(`worker ${threadId} exited 0`));
    const s = stallFor(host.stalls(p.pid), t);
    assert.ok(s, `no stall for the worker; stalls ${JSON.stringify(host.stalls(p.pid).map((x) => x.thread))}`);
    assert.equal(s.thread.id, threadId);
    assert.equal(s.thread.name, 'cruncher');
    assert.match(s.id, new RegExp(`^${p.pid}\\.${threadId}\\.1$`));
    const err = s.durationMs - t.durationMs;
    assert.ok(err >= -0.5 && err <= 100, `reported ${s.durationMs} vs true ${t.durationMs}`);
    const file = join(FIXTURES, 'worker-blocker.js');
    assert.deepEqual(s.culprit && { file: s.culprit.file, line: s.culprit.line, column: s.culprit.column }, expectedLocation(file, 'worker'));
    assert.deepEqual(s.handler, { kind: 'timer', label: 'setTimeout' });
    // The thread was announced, and it left.
    const threads = host.messages('thread', p.pid).map((m) => m.msg);
    assert.deepEqual(threads.find((m) => m.state === 'online')?.thread, { id: threadId, name: 'cruncher' });
    assert.ok(threads.some((m) => m.state === 'exit' && m.thread.id === threadId), 'no exit message for the worker');
    assert.ok(host.recording.processes.find((x) => x.pid === p.pid)?.threads.some((x) => x.id === threadId));
    // Our own watchdog thread is never reported, and the main thread did not stall.
    assert.deepEqual(
      host.stalls(p.pid).filter((x) => x.thread.id !== threadId),
      [],
    );
    assert.ok(threads.every((m) => m.thread.id === threadId), `unexpected threads: ${JSON.stringify(threads)}`);
    const lag = host.recording.lagSamples.filter((l) => l.pid === p.pid && l.threadId === threadId);
    assert.ok(lag.length >= 3, 'the worker has its own lag series');
  });

  it('a forked child: its own connection, pid and ppid; its stall under its pid', async () => {
    const p = spawnProbed(join(FIXTURES, 'fork-parent.js'), [], { host });
    const exit = await p.exited;
    assert.equal(exit.code, 0, p.stderr);
    const m = /parent (\d+) forked (\d+)/.exec(p.stdout);
    assert.ok(m, p.stdout);
    const childPid = Number(m[2]);
    assert.equal(Number(m[1]), p.pid);
    assert.match(p.stdout, /child exited 0/);
    await waitFor(() => host.disconnected.includes(p.pid) && host.disconnected.includes(childPid), 3000, 'both to disconnect');
    host.recording.flush();
    const hellos = host.connections.map((c) => c.hello);
    const parent = hellos.find((h) => h.pid === p.pid);
    const child = hellos.find((h) => h.pid === childPid);
    assert.ok(parent && child, `hellos: ${JSON.stringify(hellos.map((h) => [h.pid, h.ppid]))}`);
    assert.equal(parent.ppid, process.pid);
    assert.equal(child.ppid, p.pid);
    assert.deepEqual(child.runtime, { name: 'node', version: process.versions.node });
    const t = p.truth().find((x) => x.kind === 'fork');
    assert.ok(t);
    assert.equal(t.pid, childPid);
    assert.equal(t.ppid, p.pid);
    const s = stallFor(host.stalls(childPid), t);
    assert.ok(s, 'no stall for the child');
    assert.equal(s.pid, childPid);
    assert.deepEqual(s.thread, { id: 0 });
    assert.match(s.id, new RegExp(`^${childPid}\\.0\\.`));
    assert.deepEqual(
      s.culprit && { file: s.culprit.file, line: s.culprit.line, column: s.culprit.column },
      expectedLocation(join(FIXTURES, 'fork-child.js'), 'fork'),
    );
    assert.deepEqual(host.stalls(p.pid), [], 'the parent did not stall');
  });
});
