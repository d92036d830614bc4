import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recording, type RecordingDelta } from '../../src/core/recording';
import { parseReport } from '../../src/shared/protocol/report';
import { hello, lag, stall } from './samples';

test('a stall sent at detection and again at its end is one stall, in its final state', () => {
  const rec = new Recording();
  rec.addProcess(hello());
  rec.apply({ type: 'stall', stall: { ...stall({ durationMs: 60 }), ongoing: true } });
  rec.apply({ type: 'stall', stall: stall({ durationMs: 180 }) });
  assert.equal(rec.stalls.length, 1);
  assert.equal(rec.stalls[0].durationMs, 180);
  assert.equal(rec.stalls[0].ongoing, undefined);
});

test('a stall still ongoing when its process dies is closed at the time of death, other processes untouched', () => {
  const rec = new Recording();
  rec.addProcess(hello({ pid: 100 }));
  rec.addProcess(hello({ pid: 200, ppid: 100 }));
  const t0 = 1_700_000_000_000;
  rec.upsertStall({ ...stall({ id: 'a', pid: 100, startMs: t0, durationMs: 60 }), ongoing: true });
  rec.upsertStall({ ...stall({ id: 'b', pid: 200, startMs: t0, durationMs: 60 }), ongoing: true });
  rec.endProcess(100, t0 + 900);
  assert.equal(rec.getStall('a')?.durationMs, 900);
  assert.equal(rec.getStall('a')?.ongoing, undefined);
  assert.equal(rec.getStall('b')?.ongoing, true);
  assert.equal(rec.processes.find((p) => p.pid === 100)?.endedAtMs, t0 + 900);
  // Ending twice changes nothing (the first end time stands).
  rec.endProcess(100, t0 + 5000);
  assert.equal(rec.getStall('a')?.durationMs, 900);
  // The session ends with process 200's probe silent (killed while hung): its stall ends with the session.
  rec.end(t0 + 7000);
  assert.deepEqual([rec.live, rec.endedAt?.getTime()], [false, t0 + 7000]);
  assert.deepEqual([rec.getStall('b')?.ongoing, rec.getStall('b')?.durationMs], [undefined, 7000]);
  assert.equal(rec.processes.find((p) => p.pid === 200)?.endedAtMs, t0 + 7000);
  assert.equal(rec.processes.find((p) => p.pid === 100)?.endedAtMs, t0 + 900, 'an ended process keeps its end');
});

test('toReport has the documented shape, no ongoing flags, and round-trips through JSON, parseReport and fromReport', () => {
  const rec = new Recording({ command: ['node', 'server.js'], thresholdMs: 50 }, new Date('2026-03-01T10:00:00.000Z'));
  rec.addProcess(hello({ pid: 100 }));
  rec.addProcess(hello({ pid: 101, ppid: 100 }));
  rec.apply({ type: 'thread', pid: 100, thread: { id: 1, name: 'resizer' }, state: 'online' });
  rec.upsertStall(stall({ id: '100.0.1', startMs: 2 }));
  rec.upsertStall({ ...stall({ id: '101.0.1', pid: 101, startMs: 1 }), ongoing: true });
  rec.apply({ type: 'lag', samples: [lag(), lag({ atMs: 1_700_000_000_200 })] });
  rec.apply({ type: 'listening', server: { pid: 100, protocol: 'http', address: '127.0.0.1', port: 3000 } });
  rec.apply({ type: 'listening', server: { pid: 100, protocol: 'http', address: '127.0.0.1', port: 3000 } });
  rec.apply({ type: 'pause', pause: { id: 'p', pid: 100, threadId: 0, startMs: 5, endMs: 9 } });
  rec.apply({ type: 'dropped', pid: 101, count: 4 });
  rec.exitCode = 0;
  rec.endedAt = new Date('2026-03-01T10:00:05.000Z');

  const report = rec.toReport();
  assert.equal(report.version, 1);
  assert.equal(report.pid, 100);
  assert.deepEqual(report.command, ['node', 'server.js']);
  assert.equal(report.startedAt, '2026-03-01T10:00:00.000Z');
  assert.deepEqual(report.stalls.map((s) => s.id), ['101.0.1', '100.0.1'], 'stalls in start order');
  assert.ok(report.stalls.every((s) => !('ongoing' in s)));
  assert.equal(report.lag.length, 2);
  assert.equal(report.servers?.length, 1);
  assert.equal(report.dropped, 4);
  assert.deepEqual(report.processes?.find((p) => p.pid === 100)?.threads, [{ id: 0 }, { id: 1, name: 'resizer' }]);

  const parsed = parseReport(JSON.parse(JSON.stringify(report)));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  const back = Recording.fromReport(parsed.report);
  assert.equal(back.live, false);
  assert.deepEqual(back.toReport(), report);
});

test('lag past maxLag is thinned in its older half, keeping the recent samples intact', () => {
  const rec = new Recording({ maxLag: 10 });
  rec.addLag(Array.from({ length: 11 }, (_, i) => lag({ atMs: i })));
  const at = rec.lagSamples.map((s) => s.atMs);
  assert.ok(at.length <= 10);
  assert.deepEqual(at.slice(-6), [5, 6, 7, 8, 9, 10], 'the newer half is untouched');
  assert.deepEqual(at.slice(0, -6), [0, 2, 4], 'the older half keeps every other sample');
  // Repeated growth stays bounded.
  for (let i = 0; i < 50; i++) rec.addLag([lag({ atMs: 100 + i })]);
  assert.ok(rec.lagSamples.length <= 10);
  assert.equal(rec.lagSamples[rec.lagSamples.length - 1].atMs, 149);
});

test('past maxStalls new stalls are counted as dropped, updates of known ones still apply', () => {
  const rec = new Recording({ maxStalls: 2 });
  rec.upsertStall(stall({ id: 'a' }));
  rec.upsertStall(stall({ id: 'b' }));
  rec.upsertStall(stall({ id: 'c' }));
  rec.upsertStall(stall({ id: 'a', durationMs: 999 }));
  assert.deepEqual(rec.stalls.map((s) => s.id).sort(), ['a', 'b']);
  assert.equal(rec.getStall('a')?.durationMs, 999);
  assert.equal(rec.dropped, 1);
});

test('deltas are batched and an id upserted twice in a batch is sent once, latest state', () => {
  const rec = new Recording();
  const deltas: RecordingDelta[] = [];
  rec.on('delta', (d) => deltas.push(d));
  rec.addProcess(hello());
  rec.upsertStall({ ...stall({ durationMs: 50 }), ongoing: true });
  rec.upsertStall(stall({ durationMs: 70 }));
  rec.addLag([lag()]);
  assert.equal(deltas.length, 0, 'nothing is sent synchronously');
  rec.flush();
  assert.equal(deltas.length, 1);
  assert.equal(deltas[0].stalls?.length, 1);
  assert.equal(deltas[0].stalls?.[0].durationMs, 70);
  assert.equal(deltas[0].processes?.length, 1);
  rec.flush();
  assert.equal(deltas.length, 1, 'an empty flush sends nothing');
  rec.dispose();
});

test('the root pid is the first process to say hello unless the host set it', () => {
  const rec = new Recording();
  rec.rootPid = 7;
  rec.addProcess(hello({ pid: 100 }));
  assert.equal(rec.toReport().pid, 7);
  const rec2 = new Recording();
  rec2.addProcess(hello({ pid: 100 }));
  rec2.addProcess(hello({ pid: 101 }));
  assert.equal(rec2.toReport().pid, 100);
});

test('a break the probe and the debug adapter both report is one pause: the probe\'s times, the adapter\'s reason', () => {
  const rec = new Recording({ flushMs: 1 });
  const T = 1_700_000_000_000;
  const sent: string[] = [];
  rec.on('delta', (d) => sent.push(...(d.pauses ?? []).map((p) => `${p.id} ${p.reason} ${p.endMs === null ? 'open' : p.endMs - T}`)));
  rec.apply({ type: 'pause', pause: { id: '100.0.p1', pid: 100, threadId: 0, startMs: T, endMs: null, reason: 'other' } });
  rec.upsertPause({ id: 'dap#1', pid: 100, threadId: 0, startMs: T + 40, endMs: null, reason: 'breakpoint' }, 'debugger');
  rec.upsertPause({ id: 'dap#1', pid: 100, threadId: 0, startMs: T + 40, endMs: T + 1030, reason: 'breakpoint' }, 'debugger');
  assert.deepEqual(rec.pauses, [{ id: '100.0.p1', pid: 100, threadId: 0, startMs: T, endMs: T + 1030, reason: 'breakpoint' }], 'the adapter\'s end stands in until the probe says it');
  rec.apply({ type: 'pause', pause: { id: '100.0.p1', pid: 100, threadId: 0, startMs: T, endMs: T + 1000, reason: 'other' } });
  assert.deepEqual(rec.pauses, [{ id: '100.0.p1', pid: 100, threadId: 0, startMs: T, endMs: T + 1000, reason: 'breakpoint' }]);
  rec.flush();
  assert.deepEqual(sent, ['100.0.p1 breakpoint 1000'], 'the webview hears of one pause');

  // Another thread's pause, a later break and a pause reported by one side only stay apart.
  rec.apply({ type: 'pause', pause: { id: '100.1.p1', pid: 100, threadId: 1, startMs: T + 10, endMs: T + 20, reason: 'other' } });
  rec.upsertPause({ id: 'dap#2', pid: 100, threadId: 0, startMs: T + 5000, endMs: T + 6000, reason: 'step' }, 'debugger');
  rec.apply({ type: 'pause', pause: { id: '100.0.p2', pid: 100, threadId: 0, startMs: T + 4990, endMs: T + 5990, reason: 'other' } });
  rec.apply({ type: 'pause', pause: { id: '100.0.p3', pid: 100, threadId: 0, startMs: T + 9000, endMs: T + 9100, reason: 'other' } });
  assert.deepEqual(
    rec.pauses.map((p) => `${p.id} ${p.threadId} ${p.startMs - T}..${p.endMs! - T} ${p.reason}`),
    ['100.0.p1 0 0..1000 breakpoint', '100.1.p1 1 10..20 other', 'dap#2 0 4990..5990 step', '100.0.p3 0 9000..9100 other'],
  );
});
