import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveP99, statusSummary } from '../../src/host/statusSummary';
import { lag } from './samples';

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
  assert.equal(statusSummary({ live: true, stallCount: 1, lag: samples }, NOW).text, '$(pulse) p99 3.3 ms · 1 stall');
  assert.equal(statusSummary({ live: true, stallCount: 2, lag: [] }, NOW).text, '$(pulse) p99 – · 2 stalls');
  assert.equal(statusSummary({ live: false, stallCount: 0, lag: samples }, NOW).text, '$(pulse) p99 – · 0 stalls', 'no live lag for a finished recording');
  assert.match(statusSummary({ live: true, stallCount: 0, lag: [] }, NOW).tooltip, /Click to open the timeline/);
  assert.equal(statusSummary({ live: true, stallCount: 1, lag: samples }, NOW).ariaLabel, 'Stallscope: event-loop lag p99 3.3 ms, 1 stall');
});
