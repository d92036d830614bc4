import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LAG_BATCH, MAX_STACK_FRAMES, PROTOCOL_VERSION, REPORT_VERSION } from '../../src/shared/protocol/constants';
import { httpRequestLabel, isFrame, isLagSample, isStall } from '../../src/shared/protocol/model';
import { helloMessage, isHello, isHostToProbe, isProbeToHost, normalizeHello } from '../../src/shared/protocol/probeMessages';
import { parseReport } from '../../src/shared/protocol/report';
import { isWebviewToHost } from '../../src/shared/protocol/webviewMessages';
import { frame, hello, helloV1, lag, stall, withField } from './samples';

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

test('a v1 hello is refused for each malformed field', () => {
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
    assert.equal(isHello(withField(helloV1(), field, value)), false, `${field} = ${JSON.stringify(value)} must be refused`);
  }
});

test('a v2 hello names its runtime; each malformed field is refused', () => {
  assert.ok(isHello(hello()));
  assert.ok(isHello(hello({ runtime: { name: 'python', version: '3.12.3' } })));
  const bad: [string, unknown][] = [
    ['runtime', undefined],
    ['runtime.name', 'ruby'],
    ['runtime.version', 'v'.repeat(65)],
    ['argv', Array.from({ length: 257 }, () => 'x')],
    ['protocolVersion', 0],
    ['mode', 'turbo'],
  ];
  for (const [field, value] of bad) {
    assert.equal(isHello(withField(hello(), field, value)), false, `${field} = ${JSON.stringify(value)} must be refused`);
  }
});

test('a v1 hello is read as a v2 one: its Node version becomes the runtime, its thread id goes', () => {
  const h = normalizeHello(helloV1({ nodeVersion: 'v18.19.0', threadId: 0 }));
  assert.deepEqual(h.runtime, { name: 'node', version: 'v18.19.0' });
  assert.equal('threadId' in h || 'nodeVersion' in h, false);
  assert.equal(normalizeHello(hello()).runtime.name, 'node');
});

test('the hello builder cuts the command line to what the guard accepts', () => {
  const h = helloMessage({
    token: 't',
    pid: 1,
    ppid: 0,
    argv: Array.from({ length: 300 }, () => 'a'.repeat(2000)),
    cwd: '/',
    runtime: { name: 'node', version: '22.4.0' },
    mode: 'full',
    startedAtMs: 1.23456,
  });
  assert.equal(h.protocolVersion, PROTOCOL_VERSION);
  assert.equal(h.argv.length, 256);
  assert.equal(h.argv[0].length, 1024);
  assert.equal(h.startedAtMs, 1.23);
  assert.equal('sessionId' in h, false);
  assert.ok(isHello(h));
});

test('runtime-neutral shapes: route/path handlers, python/gil causes, worker-pool lag pass; malformed ones do not', () => {
  assert.ok(isStall(stall({ handler: { kind: 'http', label: 'GET /items/{item_id}', route: '/items/{item_id}', path: '/items/7' } })));
  assert.ok(isStall(stall({ handler: { kind: 'task', label: 'Task-3 (crunch)' } })));
  assert.ok(isStall(stall({ handler: { kind: 'callback', label: 'call_soon' } })));
  assert.ok(isStall(stall({ cause: { kind: 'python' } })));
  assert.ok(isStall(stall({ cause: { kind: 'native', api: 'hashlib.pbkdf2_hmac', holdsGil: true } })));
  assert.ok(isStall(stall({ cause: { kind: 'gil', thread: { id: 4242, name: 'cruncher' } } })));
  assert.equal(isStall(stall({ cause: { kind: 'gil', thread: { id: -1 } } })), false);
  assert.equal(isStall(stall({ cause: { kind: 'native', holdsGil: 'yes' as unknown as boolean } })), false);
  assert.equal(isStall(stall({ handler: { kind: 'http', label: 'GET /', route: 7 as unknown as string } })), false);
  const pool = { name: 'anyio', capacity: 40, busyMax: 40, waitingMax: 12, waitedMaxMs: 830 };
  assert.ok(isLagSample(lag({ pool })));
  assert.equal(isLagSample(lag({ pool: { ...pool, busyMax: -1 } })), false);
});

test('a report written before protocol v2 reads back with its processes\' runtime', () => {
  const old = {
    version: REPORT_VERSION,
    pid: 100,
    command: ['node', 'a.js'],
    startedAt: new Date(0).toISOString(),
    stalls: [],
    lag: [],
    processes: [{ pid: 100, ppid: 1, argv: [], cwd: '/', nodeVersion: 'v20.1.0', mode: 'full', startedAtMs: 0, threads: [{ id: 0 }] }],
  };
  const r = parseReport(old);
  assert.ok(r.ok, r.ok ? '' : r.error);
  assert.deepEqual(r.report.processes?.[0].runtime, { name: 'node', version: 'v20.1.0' });
  assert.equal('nodeVersion' in r.report.processes![0], false);
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

test('a report may carry its endpoint check; a malformed one is named', () => {
  const base = { version: REPORT_VERSION, pid: 1, command: [], startedAt: new Date(0).toISOString(), stalls: [], lag: [] };
  const check = { baseUrl: 'http://127.0.0.1:3000', thresholdMs: 50, budgetMs: 100, canary: null, canaryIdleP99Ms: null, startedAtMs: 0, status: 'done', endpoints: [] };
  const ok = parseReport({ ...base, check });
  assert.ok(ok.ok && ok.report.check?.baseUrl === 'http://127.0.0.1:3000');
  assert.deepEqual(parseReport({ ...base, check: { ...check, status: 'exploded' } }), { ok: false, error: '"check" is malformed' });
});
