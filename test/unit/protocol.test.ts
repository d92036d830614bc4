import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_LAG_BATCH,
  MAX_STACK_FRAMES,
  REPORT_VERSION,
  httpRequestLabel,
  isFrame,
  isHello,
  isHostToProbe,
  isLagSample,
  isProbeToHost,
  isStall,
  isWebviewToHost,
  parseReport,
} from '../../src/shared/protocol';
import { frame, hello, lag, stall, withField } from './samples';

test('a well-formed stall, hello and lag sample pass their guards', () => {
  assert.ok(isStall(stall()));
  assert.ok(isStall(stall({ culprit: null, handler: null, cause: undefined })));
  assert.ok(isStall({ ...stall(), ongoing: true, detectedMs: 1_700_000_000_060, victims: [{ label: 'GET /health', delayedMs: 80 }] }));
  assert.ok(isStall(stall({ culprit: frame({ generated: { file: '/app/dist/report.js', line: 100, column: 3 } }) })));
  assert.ok(isHello(hello()));
  assert.ok(isLagSample(lag()));
});

test('a stall is refused for each malformed field', () => {
  const bad: [string, unknown][] = [
    ['id', 42],
    ['id', 'x'.repeat(129)],
    ['pid', -1],
    ['pid', 1.5],
    ['thread', undefined],
    ['thread.id', -1],
    ['thread.name', 7],
    ['startMs', 'yesterday'],
    ['startMs', Number.NaN],
    ['durationMs', -5],
    ['durationMs', Infinity],
    ['ongoing', 'yes'],
    ['detectedMs', '1'],
    ['culprit', undefined],
    ['culprit.line', 0],
    ['culprit.column', 0],
    ['culprit.file', null],
    ['culprit.function', 3],
    ['culprit.generated', { file: '/a.js', line: 0, column: 1 }],
    ['frames', 'none'],
    ['frames', Array.from({ length: MAX_STACK_FRAMES + 1 }, () => frame())],
    ['frames', [{ file: '/a.js', line: 1 }]],
    ['handler', { kind: 'carrier-pigeon', label: 'x' }],
    ['handler', { kind: 'http' }],
    ['handler', undefined],
    ['cause', { kind: 'cosmic-ray' }],
    ['cause', { kind: 'native', api: 5 }],
    ['victims', [{ label: 'GET /', delayedMs: -1 }]],
  ];
  for (const [field, value] of bad) {
    assert.equal(isStall(withField(stall(), field, value)), false, `${field} = ${JSON.stringify(value)} must be refused`);
  }
  // Not an object at all.
  for (const v of [null, undefined, 'stall', 3, [stall()]]) assert.equal(isStall(v), false);
});

test('frames keep the 1-based rule: line/column 0 are V8 positions that were not converted', () => {
  assert.ok(isFrame(frame({ line: 1, column: 1 })));
  assert.equal(isFrame(frame({ line: 0 })), false);
  assert.equal(isFrame(frame({ column: 0 })), false);
});

test('a hello is refused for each malformed field', () => {
  const bad: [string, unknown][] = [
    ['protocolVersion', 0],
    ['token', 5],
    ['token', 'x'.repeat(513)],
    ['pid', '100'],
    ['ppid', undefined],
    ['threadId', -1],
    ['argv', 'node app.js'],
    ['argv', [1, 2]],
    ['cwd', undefined],
    ['nodeVersion', 'v'.repeat(65)],
    ['mode', 'turbo'],
    ['startedAtMs', null],
    ['sessionId', 12],
  ];
  for (const [field, value] of bad) {
    assert.equal(isHello(withField(hello(), field, value)), false, `${field} = ${JSON.stringify(value)} must be refused`);
  }
});

test('probe frames: every known type accepted when well formed, unknown types refused', () => {
  const good = [
    hello(),
    { type: 'thread', pid: 1, thread: { id: 2, name: 'worker' }, state: 'online' },
    { type: 'lag', samples: [lag()] },
    { type: 'stall', stall: stall() },
    { type: 'pause', pause: { id: 'p1', pid: 1, threadId: 0, startMs: 1, endMs: null } },
    { type: 'listening', server: { pid: 1, protocol: 'http', address: '127.0.0.1', port: 8080 } },
    { type: 'notice', pid: 1, level: 'warn', message: 'lag-only mode' },
    { type: 'dropped', pid: 1, count: 3 },
  ];
  for (const m of good) assert.ok(isProbeToHost(m), `${m.type} must pass`);
  const bad = [
    { type: 'thread', pid: 1, thread: { id: 2 }, state: 'sleeping' },
    { type: 'lag', samples: Array.from({ length: MAX_LAG_BATCH + 1 }, () => lag()) },
    { type: 'lag', samples: [withField(lag(), 'elu', 'high')] },
    { type: 'stall', stall: withField(stall(), 'durationMs', -1) },
    { type: 'pause', pause: { id: 'p1', pid: 1, threadId: 0, startMs: 1 } },
    { type: 'listening', server: { pid: 1, protocol: 'gopher', address: '127.0.0.1', port: 70 } },
    { type: 'listening', server: { pid: 1, protocol: 'http', address: '127.0.0.1', port: 70000 } },
    { type: 'notice', pid: 1, level: 'error', message: 'x' },
    { type: 'notice', pid: 1, level: 'info', message: 'x'.repeat(2049) },
    { type: 'dropped', pid: 1, count: -1 },
    { type: 'shutdown' },
    { stall: stall() },
    'hello',
    null,
  ];
  for (const m of bad) assert.equal(isProbeToHost(m), false, `${JSON.stringify(m).slice(0, 80)} must be refused`);
});

test('host-to-probe and webview-to-host guards', () => {
  assert.ok(isHostToProbe({ type: 'welcome', protocolVersion: 1 }));
  assert.ok(isHostToProbe({ type: 'configure', thresholdMs: 20 }));
  assert.equal(isHostToProbe({ type: 'configure', thresholdMs: 5 }), false);
  assert.equal(isHostToProbe({ type: 'configure', thresholdMs: 60_001 }), false);
  assert.ok(isWebviewToHost({ type: 'revealFrame', stallId: 'a', frameIndex: 3 }));
  assert.equal(isWebviewToHost({ type: 'revealFrame', stallId: 'a', frameIndex: MAX_STACK_FRAMES }), false);
  assert.equal(isWebviewToHost({ type: 'revealFrame', stallId: 'a', frameIndex: -1 }), false);
  assert.equal(isWebviewToHost({ type: 'runCommand', command: 'rm -rf /' }), false);
});

test('parseReport accepts a report and names what is wrong in a broken one', () => {
  const good = { version: REPORT_VERSION, pid: 100, command: ['node', 'a.js'], startedAt: '2026-01-01T00:00:00.000Z', stalls: [stall()], lag: [lag()] };
  const ok = parseReport(good);
  assert.ok(ok.ok);
  const cases: [unknown, RegExp][] = [
    [[], /not a JSON object/],
    [{ ...good, version: 2 }, /unsupported report version 2/],
    [{ ...good, pid: 'x' }, /"pid"/],
    [{ ...good, command: 'node a.js' }, /"command"/],
    [{ ...good, startedAt: 'last tuesday' }, /"startedAt"/],
    [{ ...good, stalls: {} }, /"stalls" must be an array/],
    [{ ...good, stalls: [stall(), { id: 1 }] }, /stalls\[1\] is not a valid stall/],
    [{ ...good, lag: [lag(), lag({ p99Ms: Number.NaN })] }, /lag\[1\]/],
    [{ ...good, processes: [{ pid: 1 }] }, /"processes"/],
    [{ ...good, pauses: 'none' }, /"pauses"/],
    [{ ...good, servers: [{ pid: 1, protocol: 'http', address: 'x', port: -1 }] }, /"servers"/],
  ];
  for (const [input, re] of cases) {
    const r = parseReport(input);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, re);
  }
});

test('victims: state and count are optional and checked; the HTTP label is method + path without query', () => {
  const v = (victim: unknown) => isStall({ ...stall(), victims: [victim] });
  assert.ok(v({ label: 'GET /health', delayedMs: 80 }));
  assert.ok(v({ label: 'GET /health', delayedMs: 80, state: 'queued', count: 3 }));
  assert.ok(v({ label: 'GET /health', delayedMs: 80, state: 'in-flight' }));
  assert.equal(v({ label: 'GET /health', delayedMs: 80, state: 'waiting' }), false);
  assert.equal(v({ label: 'GET /health', delayedMs: 80, count: 0 }), false);
  assert.equal(v({ label: 'GET /health', delayedMs: 80, count: 1.5 }), false);
  assert.equal(httpRequestLabel('POST', '/orders?dry=1#x'), 'POST /orders');
  assert.equal(httpRequestLabel(undefined, ''), 'GET /');
  assert.equal(httpRequestLabel('GET', `/${'a'.repeat(300)}`).length, 200);
});
