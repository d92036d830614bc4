import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DebugAdapterPauses, subtractPauses } from '../../src/host/debuggerPauses';
import { ThreadPauses } from '../../src/probe/pauses';
import type { PauseRange } from '../../src/shared/protocol/model';
import { stall } from './samples';

const target = { pid: 100, threadId: 0 };
const event = (name: string, body: Record<string, unknown> = {}) => ({ type: 'event', event: name, body });
const response = (command: string, success = true) => ({ type: 'response', command, success });

function clock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('stopped … continue response is one closed pause of the session\'s target', () => {
  const c = clock();
  const p = new DebugAdapterPauses('s1', c.now);
  const opened = p.fromAdapter(event('stopped', { reason: 'breakpoint', threadId: 1 }), target);
  assert.deepEqual(opened, { id: 's1#1', pid: 100, threadId: 0, startMs: 1000, endMs: null, reason: 'breakpoint' });
  assert.equal(p.paused, true);
  c.advance(1000);
  assert.equal(p.fromAdapter(event('output', { output: 'x' }), target), undefined);
  assert.equal(p.fromAdapter(response('stackTrace'), target), undefined, 'inspecting the stack does not resume');
  const closed = p.fromAdapter(response('continue'), target);
  assert.deepEqual(closed, { id: 's1#1', pid: 100, threadId: 0, startMs: 1000, endMs: 2000, reason: 'breakpoint' });
  assert.equal(p.paused, false);
});

test('stepping is a series of pauses; a `continued` event and a second `stopped` behave', () => {
  const c = clock();
  const p = new DebugAdapterPauses('s', c.now);
  p.fromAdapter(event('stopped', { reason: 'breakpoint' }), target);
  assert.equal(p.fromAdapter(event('stopped', { reason: 'exception' }), target), undefined, 'already paused: same pause');
  c.advance(10);
  assert.equal(p.fromAdapter(response('next'), target)?.endMs, 1010);
  c.advance(5);
  assert.equal(p.fromAdapter(event('stopped', { reason: 'step' }), target)?.id, 's#2');
  c.advance(5);
  assert.equal(p.fromAdapter(event('continued', {}), target)?.endMs, 1020);
  assert.equal(p.fromAdapter(response('continue'), target), undefined, 'nothing open');
});

test('a failed continue does not end the pause; termination does', () => {
  const c = clock();
  const p = new DebugAdapterPauses('s', c.now);
  p.fromAdapter(event('stopped', { reason: 'pause' }), target);
  assert.equal(p.fromAdapter(response('continue', false), target), undefined);
  c.advance(7);
  assert.equal(p.fromAdapter(event('terminated'), target)?.endMs, 1007);
  p.fromAdapter(event('stopped'), target);
  assert.equal(p.end(target)?.endMs, 1007);
});

test('a pause whose target is learned late is reported once known', () => {
  const c = clock();
  const p = new DebugAdapterPauses('s', c.now);
  assert.equal(p.fromAdapter(event('stopped', { reason: 'breakpoint' }), undefined), undefined);
  c.advance(300);
  assert.deepEqual(p.fromAdapter(response('continue'), target), { id: 's#1', pid: 100, threadId: 0, startMs: 1000, endMs: 1300, reason: 'breakpoint' });
});

test('garbage from the adapter is ignored', () => {
  const p = new DebugAdapterPauses('s');
  for (const m of [null, 42, 'stopped', [], { type: 'event' }, { type: 'event', event: 'stopped', body: 'x' }]) p.fromAdapter(m, target);
  assert.equal(p.paused, true, 'the last one is still a stopped event (with a malformed body)');
});

const T0 = 1_700_000_000_000;
const pause = (startOffset: number, endOffset: number | null, over: Partial<PauseRange> = {}): PauseRange => ({
  id: 'p', pid: 100, threadId: 0, startMs: T0 + startOffset, endMs: endOffset === null ? null : T0 + endOffset, ...over,
});

test('a stall inside a pause is not a stall', () => {
  const s = stall({ startMs: T0 - 5, durationMs: 1010 });
  assert.equal(subtractPauses(s, [pause(0, 1000)], 50), undefined);
  assert.equal(subtractPauses({ ...s, ongoing: true, durationMs: 300 }, [pause(0, null)], 50, T0 + 400), undefined, 'still paused');
});

test('the part of a stall after (or before) a pause that alone exceeds the threshold stays a stall', () => {
  const after = subtractPauses(stall({ startMs: T0 - 5, durationMs: 1305 }), [pause(0, 1000)], 50);
  assert.deepEqual([after?.startMs, after?.durationMs], [T0 + 1000, 300]);
  const before = subtractPauses(stall({ startMs: T0 - 200, durationMs: 700, ongoing: true }), [pause(0, 500)], 50);
  assert.deepEqual([before?.startMs, before?.durationMs, before?.ongoing], [T0 - 200, 200, undefined]);
  assert.equal(subtractPauses(stall({ startMs: T0 - 5, durationMs: 1030 }), [pause(0, 1000)], 50), undefined, '25 ms left over is noise');
});

test('pauses of other processes or threads, and pauses that do not overlap, change nothing', () => {
  const s = stall({ startMs: T0, durationMs: 300 });
  assert.equal(subtractPauses(s, [pause(0, 1000, { pid: 101 })], 50), s);
  assert.equal(subtractPauses(s, [pause(0, 1000, { threadId: 2 })], 50), s);
  assert.equal(subtractPauses(s, [pause(300, 900), pause(-500, 0)], 50), s, 'touching is not overlapping');
});

test('two pauses in one stall are both taken out', () => {
  const s = stall({ startMs: T0, durationMs: 2000 });
  assert.equal(subtractPauses(s, [pause(10, 900), pause(920, 1990)], 50), undefined, "20 ms between two pauses is noise");
  const left = subtractPauses(s, [pause(10, 900), pause(950, 1500)], 50);
  assert.deepEqual([left?.startMs, left?.durationMs], [T0 + 1500, 500]);
});

test('the probe and the extension apply one pause rule: the same spans give the same remainder', () => {
  const probe = new ThreadPauses();
  probe.pause(T0 + 10, 'breakpoint');
  probe.resume(T0 + 900);
  probe.pause(T0 + 950, 'step');
  probe.resume(T0 + 1500);
  const host = [pause(10, 900), pause(950, 1500)];
  for (const [start, end] of [[0, 2000], [0, 1000], [-300, 600], [1400, 1600], [2000, 2300], [-100, 980]]) {
    const s = subtractPauses(stall({ startMs: T0 + start, durationMs: end - start }), host, 50);
    const r = probe.remainder(T0 + start, T0 + end, 50, T0 + 5000);
    assert.deepEqual(s && [s.startMs, s.startMs + s.durationMs], r && [r.startMs, r.endMs], `busy ${start}..${end}`);
  }
  // An open pause lasts until now on both sides.
  probe.pause(T0 + 3000, 'breakpoint');
  assert.equal(probe.remainder(T0 + 2990, T0 + 3200, 50, T0 + 3200), undefined);
  assert.deepEqual(probe.remainder(T0 + 2900, T0 + 3200, 50, T0 + 3200), { startMs: T0 + 2900, endMs: T0 + 3000, endsAtPause: true });
});
