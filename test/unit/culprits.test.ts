import { test } from 'node:test';
import assert from 'node:assert/strict';
import { culpritKey, groupByCulprit } from '../../src/core/culprits';
import { frame, stall } from './samples';

const report = frame({ file: '/app/report.ts', line: 10, function: 'buildReport' });
const hash = frame({ file: '/app/hash.ts', line: 3, function: 'hash' });

const stalls = [
  stall({ id: '1', culprit: report, durationMs: 100, handler: { kind: 'http', label: 'GET /report' } }),
  stall({ id: '2', culprit: { ...report, column: 99 }, durationMs: 300, handler: { kind: 'http', label: 'GET /export' } }),
  stall({ id: '3', culprit: report, durationMs: 50, handler: { kind: 'http', label: 'GET /export' } }),
  stall({ id: '4', culprit: hash, durationMs: 420, handler: { kind: 'http', label: 'POST /login' } }),
  stall({ id: '5', culprit: null, durationMs: 60, handler: null }),
  stall({ id: '6', culprit: hash, durationMs: 10, handler: { kind: 'http', label: 'POST /login' } }),
];

test('stalls on the same file:line (any column) form one group with count, total, max, ids', () => {
  const groups = groupByCulprit(stalls);
  const r = groups.find((g) => g.key === '/app/report.ts:10');
  assert.ok(r);
  assert.equal(r.count, 3);
  assert.equal(r.totalMs, 450);
  assert.equal(r.maxMs, 300);
  assert.deepEqual(r.stallIds, ['1', '2', '3']);
  assert.deepEqual(r.handlers, ['GET /export', 'GET /report'], 'most frequent handler first');
});

test('groups rank by total, count or max; stalls without a culprit share "(unknown)"', () => {
  assert.deepEqual(groupByCulprit(stalls, 'total').map((g) => g.key), ['/app/report.ts:10', '/app/hash.ts:3', '(unknown)']);
  assert.deepEqual(groupByCulprit(stalls, 'max').map((g) => g.key), ['/app/hash.ts:3', '/app/report.ts:10', '(unknown)']);
  assert.deepEqual(groupByCulprit(stalls, 'count').map((g) => g.key), ['/app/report.ts:10', '/app/hash.ts:3', '(unknown)']);
  const unknown = groupByCulprit(stalls).find((g) => g.key === '(unknown)');
  assert.equal(unknown?.culprit, null);
  assert.deepEqual(unknown?.handlers, []);
  assert.equal(culpritKey(null), '(unknown)');
  assert.deepEqual(groupByCulprit([]), []);
});
