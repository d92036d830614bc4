import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayPath, formatDuration } from '../../src/cli/format';
import { colorEnabled, makeStyle } from '../../src/cli/style';
import { formatSummary, stallsOverBudget } from '../../src/cli/summary';
import { causeText } from '../../src/shared/phrases';
import type { ProcessInfo, Stall } from '../../src/shared/protocol/model';
import type { Report } from '../../src/shared/protocol/report';
import { frame, stall } from './samples';

function proc(pid: number, threads = [{ id: 0 }]): ProcessInfo {
  return { pid, ppid: 1, argv: ['node'], cwd: '/app', runtime: { name: 'node', version: '20.0.0' }, mode: 'full', startedAtMs: 0, threads };
}
function report(stalls: Stall[], processes = [proc(100)]): Report {
  return { version: 1, pid: 100, command: ['node', 'server.js'], startedAt: '2026-01-01T00:00:00.000Z', stalls, lag: [], processes };
}
const base = { cwd: '/app', wallMs: 12_345, thresholdMs: 50 };

test('durations read naturally at every scale', () => {
  assert.equal(formatDuration(4.25), '4.3 ms');
  assert.equal(formatDuration(212.4), '212 ms');
  assert.equal(formatDuration(1620), '1.62 s');
  assert.equal(formatDuration(12_345), '12.3 s');
  assert.equal(formatDuration(125_000), '2 min 05 s');
});

test('paths inside the working directory are shown relative, others as they are', () => {
  assert.equal(displayPath('/app/src/a.ts', '/app'), 'src/a.ts');
  assert.equal(displayPath('/other/a.ts', '/app'), '/other/a.ts');
  assert.equal(displayPath('/application/a.ts', '/app'), '/application/a.ts');
  assert.equal(displayPath('node:fs', '/app'), 'node:fs');
});

test('a run without stalls says so in one line', () => {
  const text = formatSummary(report([]), base);
  assert.equal(text, 'stallscope: no stalls ≥ 50 ms in 12.3 s (1 process)\n');
});

test('a run where no probe connected says why, instead of "no stalls"', () => {
  const text = formatSummary(report([], []), { ...base, wallMs: 80 });
  assert.match(text, /no probe reported in 80 ms: the probe loads into Node\.js processes through NODE_OPTIONS and into Python asyncio programs through PYTHONPATH, and "node" started none/);
});

test('culprits are ranked by total blocked time with file:line, function, handler, count, max, total', () => {
  const report1 = frame({ file: '/app/src/report.ts', line: 31, function: 'buildReport' });
  const hash = frame({ file: '/app/src/hash.ts', line: 12, function: 'hashPassword' });
  const stalls = [
    stall({ id: 'a', culprit: report1, durationMs: 200 }),
    stall({ id: 'b', culprit: report1, durationMs: 150 }),
    stall({ id: 'c', culprit: hash, durationMs: 300, handler: { kind: 'http', label: 'POST /login' }, cause: { kind: 'native', api: 'pbkdf2Sync' } }),
    stall({ id: 'd', culprit: null, frames: [frame({ file: '/lib/x.js', line: 3, function: 'parse' })], durationMs: 60, handler: { kind: 'timer', label: 'setTimeout' } }),
  ];
  const text = formatSummary(report(stalls, [proc(100, [{ id: 0 }, { id: 1 }])]), { ...base, reportPath: '/app/out/r.json' });
  const lines = text.split('\n');
  assert.equal(lines[0], 'stallscope: 4 stalls ≥ 50 ms in 12.3 s, 710 ms blocked in total (1 process, 2 threads)');
  assert.match(lines[2], /^\s+total\s+max\s+count\s+culprit$/);
  assert.match(lines[3], /^\s+350 ms\s+200 ms\s+2\s+src\/report\.ts:31 {2}buildReport$/);
  assert.match(lines[4], /^\s+GET \/report · JavaScript on the CPU$/);
  assert.match(lines[5], /^\s+300 ms\s+300 ms\s+1\s+src\/hash\.ts:12 {2}hashPassword$/);
  assert.match(lines[6], /^\s+POST \/login · sync native call: pbkdf2Sync$/);
  assert.match(lines[7], /60 ms\s+60 ms\s+1\s+\(no frame in your code; top of stack: \/lib\/x\.js:3 parse\)/);
  assert.match(text, /\n {2}report {2}out\/r\.json\n$/);
  // Columns line up: the culprit column starts at the same offset in every row.
  const col = (l: string) => l.search(/src\/|\(no frame/);
  assert.equal(col(lines[3]), col(lines[5]));
  assert.equal(col(lines[3]), col(lines[7]));
});

test('a stall with no frame of the user\'s names the innermost dependency frame, as its package names the file', () => {
  const frames = [
    frame({ file: '/usr/lib/python3.11/dataclasses.py', line: 1256, function: 'is_dataclass' }),
    frame({ file: '/app/.venv/lib/python3.11/site-packages/fastapi/encoders.py', line: 220, function: 'jsonable_encoder' }),
    frame({ file: '/app/.venv/lib/python3.11/site-packages/fastapi/routing.py', line: 150, function: 'serialize_response' }),
  ];
  const nested = [frame({ file: '/app/node_modules/a/node_modules/@scope/b/lib/x.js', line: 9, function: 'walk' })];
  const text = (f: typeof frames) => formatSummary(report([stall({ id: 'a', culprit: null, frames: f, durationMs: 90 })]), base);
  assert.match(text(frames), /\(no frame in your code; in a dependency: fastapi\/encoders\.py:220 jsonable_encoder\)/);
  assert.match(text(nested), /\(no frame in your code; in a dependency: @scope\/b\/lib\/x\.js:9 walk\)/);
});

test('more culprits than the top N are folded into one line', () => {
  const stalls = Array.from({ length: 8 }, (_, i) => stall({ id: String(i), culprit: frame({ line: i + 1 }), durationMs: 100 + i }));
  const text = formatSummary(report(stalls), { ...base, top: 5 });
  assert.match(text, /… 3 more culprits: 3 stalls, 303 ms/);
  assert.equal(text.match(/report\.ts:\d+/g)?.length, 5);
});

test('worker threads, several processes, drops and refusals are named', () => {
  const stalls = [
    stall({ id: 'w', pid: 100, thread: { id: 2, name: 'resize-worker' }, durationMs: 90 }),
    stall({ id: 'c', pid: 101, culprit: frame({ line: 99 }), durationMs: 80 }),
  ];
  const text = formatSummary(report(stalls, [proc(100), proc(101)]), { ...base, probeDropped: 3, refusedConnections: 1, refusedFrames: 2 });
  assert.match(text, /GET \/report · JavaScript on the CPU · in resize-worker · pid 100/);
  assert.match(text, /pid 101/);
  assert.match(text, /2 processes/);
  assert.match(text, /probes dropped 3 messages/);
  assert.match(text, /refused 1 connection and 2 frames/);
});

test('--fail-on-stall lists the stalls that broke the budget, longest first, or confirms none did', () => {
  const stalls = [stall({ id: 'a', durationMs: 120 }), stall({ id: 'b', durationMs: 100 }), stall({ id: 'c', durationMs: 480, handler: { kind: 'http', label: 'GET /slow' } })];
  assert.deepEqual(stallsOverBudget(stalls, 100).map((s) => s.id), ['c', 'a'], 'strictly longer than the budget');
  const text = formatSummary(report(stalls), { ...base, failOnStallMs: 100 });
  assert.match(text, /✗ 2 stalls longer than 100 ms \(--fail-on-stall\):\n {4}480 ms {2}src\/report\.ts:42 buildReport · GET \/slow · pid 100\n {4}120 ms/);
  assert.match(formatSummary(report(stalls), { ...base, failOnStallMs: 500 }), /✓ no stall longer than 500 ms/);
});

test('colour only on a TTY, never with NO_COLOR, FORCE_COLOR wins', () => {
  assert.equal(colorEnabled({ isTTY: true }, {}), true);
  assert.equal(colorEnabled({ isTTY: false }, {}), false);
  assert.equal(colorEnabled({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.equal(colorEnabled({ isTTY: true }, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count');
  assert.equal(colorEnabled({ isTTY: true }, { TERM: 'dumb' }), false);
  assert.equal(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' }), true);
  assert.equal(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' }), false);
  const coloured = formatSummary(report([stall()]), { ...base, style: makeStyle(true) });
  const plainText = formatSummary(report([stall()]), base);
  assert.ok(coloured.includes('\u001b['));
  assert.ok(!plainText.includes('\u001b['));
  // eslint-disable-next-line no-control-regex
  assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plainText, 'colour changes nothing but colour');
});

test('causes are described in words, the same for every runtime', () => {
  assert.equal(causeText({ kind: 'native', api: 'readFileSync' }), 'sync native call: readFileSync');
  assert.equal(causeText({ kind: 'native' }), 'sync native call');
  assert.equal(causeText({ kind: 'gc' }), 'garbage collection');
  assert.equal(causeText(undefined), 'unknown');
  assert.equal(causeText({ kind: 'python' }), 'Python on the CPU');
  assert.equal(causeText({ kind: 'native', api: 'hashlib.pbkdf2_hmac', holdsGil: true }), 'sync native call holding the GIL: hashlib.pbkdf2_hmac');
  assert.equal(causeText({ kind: 'native', api: 'time.sleep', holdsGil: false }), 'sync native call: time.sleep');
  assert.equal(causeText({ kind: 'gil', thread: { id: 7, name: 'cruncher' } }), 'the GIL, held by thread cruncher');
  assert.equal(causeText({ kind: 'gil' }), 'the GIL, held by another thread');
});

test('the summary says what the worst stall that held up requests did to them', () => {
  const victims = [
    { label: 'GET /slow', delayedMs: 640, state: 'in-flight' as const, count: 34 },
    { label: 'GET /health', delayedMs: 600, state: 'queued' as const, count: 3 },
  ];
  const text = formatSummary(report([stall({ id: 'a', durationMs: 640, handler: { kind: 'http', label: 'GET /slow' }, victims }), stall({ id: 'b', durationMs: 90 })]), base);
  assert.match(text, /\n\n {2}the longest stall \(640 ms in GET \/slow\) delayed 37 requests, 3 of them GET \/health\n/);
  const notLongest = formatSummary(report([stall({ id: 'a', durationMs: 100, handler: null, victims }), stall({ id: 'b', durationMs: 900 })]), base);
  assert.match(notLongest, /\n {2}a stall \(100 ms\) delayed 37 requests, 34 of them GET \/slow, 3 of them GET \/health\n/);
  assert.doesNotMatch(formatSummary(report([stall({ id: 'a' })]), base), /delayed/);
});
