import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hungStall, liveP99, statusSummary } from '../../src/host/statusSummary';
import { lag, stall } from './samples';

const NOW = 1_700_000_010_000;

test('live p99 is the worst of each thread\'s latest recent sample', () => {
  const samples = [
    lag({ pid: 1, threadId: 0, atMs: NOW - 1500, p99Ms: 90 }), // older sample of thread 1:0
    lag({ pid: 1, threadId: 0, atMs: NOW - 100, p99Ms: 4 }),
    lag({ pid: 1, threadId: 2, atMs: NOW - 200, p99Ms: 12 }),
    lag({ pid: 2, threadId: 0, atMs: NOW - 150, p99Ms: 7 }),
  ];
  assert.equal(liveP99(samples, NOW), 12);
  assert.equal(liveP99([lag({ atMs: NOW - 60_000, p99Ms: 500 })], NOW), undefined, 'a thread that went quiet stops counting');
  assert.equal(liveP99([], NOW), undefined);
});

test('the status text', () => {
  const samples = [lag({ atMs: NOW - 100, p99Ms: 3.25 })];
  const text = (recording: { live: boolean; stallCount: number; lag: typeof samples }) => statusSummary({ recording }, NOW)?.text;
  assert.equal(text({ live: true, stallCount: 1, lag: samples }), '$(pulse) p99 3.3 ms · 1 stall');
  assert.equal(text({ live: true, stallCount: 2, lag: [] }), '$(pulse) p99 – · 2 stalls');
  assert.equal(text({ live: false, stallCount: 0, lag: samples }), '$(history) 0 stalls · ended', 'a finished recording does not pass for a live one');
  assert.match(statusSummary({ recording: { live: true, stallCount: 0, lag: [] } }, NOW)!.tooltip, /Click to open the timeline/);
  assert.equal(statusSummary({ recording: { live: true, stallCount: 1, lag: samples } }, NOW)!.ariaLabel, 'Stallscope: event-loop lag p99 3.3 ms, 1 stall');
  assert.equal(statusSummary({}, NOW), undefined, 'nothing to say: hidden');
});

test('a debug session without the probe is "not watching", and a click offers the probe; a live probe session wins', () => {
  const finished = { live: false, stallCount: 20, lag: [] };
  const s = statusSummary({ recording: finished, unwatchedSession: 'Plain server' }, NOW)!;
  assert.equal(s.text, '$(debug-disconnect) Stallscope: not watching');
  assert.equal(s.action, 'debugWithProbe');
  assert.match(s.tooltip, /"Plain server" runs without the stall probe/);
  assert.equal(statusSummary({ unwatchedSession: 'Plain server' }, NOW)?.action, 'debugWithProbe');
  const live = statusSummary({ recording: { live: true, stallCount: 3, lag: [] }, unwatchedSession: 'Other' }, NOW)!;
  assert.equal(live.text, '$(pulse) p99 – · 3 stalls');
  assert.equal(live.action, 'showTimeline');
});

test('a loop blocked for a second or more stands out in place of the lag, which stopped with it; a shorter one does not', () => {
  const at = { file: '/srv/app/search.py', line: 19, column: 1, function: 'validate' };
  const hang = stall({ id: 'h', ongoing: true, startMs: NOW - 12_300, durationMs: 11_000, culprit: at, handler: { kind: 'http', label: 'GET /validate/{email}' }, cause: { kind: 'native', holdsGil: true } });
  const brief = stall({ id: 'b', ongoing: true, startMs: NOW - 300, durationMs: 250 });
  const ended = stall({ id: 'e', startMs: NOW - 60_000, durationMs: 30_000 });
  assert.equal(hungStall([brief, ended], NOW), undefined, 'an ongoing stall younger than a second, or one that ended, is no hang');
  assert.equal(hungStall([brief, hang, ended], NOW), hang);
  const s = statusSummary({ recording: { live: true, stallCount: 3, lag: [], hung: hang } }, NOW)!;
  assert.equal(s.text, '$(warning) blocked 12.3 s · search.py:19');
  assert.equal(s.alarm, true);
  assert.equal(s.ariaLabel, 'Stallscope: an event loop has been blocked for 12.3 s, at search.py:19');
  assert.equal(s.tooltip, 'Stallscope: 12.3 s ongoing stall in GET /validate/{email} at search.py:19 (sync native call holding the GIL). Click to open the timeline.');
  assert.equal(statusSummary({ recording: { live: true, stallCount: 3, lag: [] } }, NOW)!.alarm, undefined);
});
