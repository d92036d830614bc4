/**
 * The probe's pure pieces, in-process: options, load guards, frames and causes, source maps, pause
 * bookkeeping, and the transport against a real ProbeServer on a real socket.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { ProbeServer } from '../../src/core/probeServer';
import { PROTOCOL_VERSION } from '../../src/shared/protocol/constants';
import type { HelloMessage, ProbeToHost } from '../../src/shared/protocol/probeMessages';
import { isHelperProcess } from '../../src/probe/bootstrap';
import type { RawFrame } from '../../src/probe/callSites';
import { interpretCapture, toPath } from '../../src/probe/frames';
import { agreedLate, judgeLooks, nextSampleInMs, preferSamples, LATE_END_MS, type Look } from '../../src/probe/looks';
import { heartbeatFor, resolveOptions } from '../../src/probe/options';
import { ThreadPauses } from '../../src/probe/pauses';
import { requestLabel } from '../../src/probe/requestContext';
import { SourceMapResolver, lastSourceMappingUrl } from '../../src/probe/sourceMaps';
import { Transport } from '../../src/probe/transport';
import { cleanEnv } from '../../src/probe/watchdogSpawn';
import { waitFor } from '../probe/harness';

const PROBE_FILE = '/opt/stallscope/dist/probe.js';
const f = (file: string, line: number, column: number, fn = 'f', extra: Partial<RawFrame> = {}): RawFrame => ({
  fn,
  file,
  line,
  column,
  type: '',
  method: '',
  async: false,
  ...extra,
});
const builtin = (type: string, fn: string): RawFrame => ({ fn, file: '', line: 0, column: 0, type, method: fn, async: false });
const look = (frames: RawFrame[], atHr: number, delayMs: number, exact = true, label = 'GET /a'): Look => ({
  result: { t: atHr, threadId: 0, stale: false, frames, handler: { kind: 'http', label } },
  atHr,
  delayMs,
  exact,
});

describe('probe pieces', () => {
  it('options: clamped threshold, heartbeat under a fifth of it, junk is inert', () => {
    assert.equal(resolveOptions(JSON.stringify({ url: 'ws://127.0.0.1:1/', thresholdMs: 1 })).thresholdMs, 10);
    assert.equal(resolveOptions(JSON.stringify({ url: 'ws://127.0.0.1:1/', thresholdMs: 1e9 })).thresholdMs, 60_000);
    assert.equal(resolveOptions('{').url, undefined);
    assert.equal(resolveOptions(JSON.stringify({ url: 'http://x' })).url, undefined, 'only ws(s) urls');
    assert.equal(resolveOptions(undefined).thresholdMs, 50);
    assert.equal(heartbeatFor(50), 10);
    assert.equal(heartbeatFor(10), 2);
    assert.equal(heartbeatFor(20), 4);
  });

  it('guards: npm/yarn/node-gyp helpers are skipped, user scripts are not', () => {
    for (const argv1 of [
      '/usr/lib/node_modules/npm/bin/npm-cli.js',
      '/usr/local/bin/npx',
      '/home/u/.cache/node/corepack/yarn/4.0.0/yarn.js',
      'C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js',
      '/app/node_modules/node-gyp/bin/node-gyp.js',
      '/app/node_modules/.bin/pnpm',
    ]) {
      assert.equal(isHelperProcess(['node', argv1]), true, argv1);
    }
    for (const argv1 of ['/app/server.js', '/app/npm-stats.js', '/app/node_modules/.bin/next']) {
      assert.equal(isHelperProcess(['node', argv1]), false, argv1);
    }
    assert.equal(isHelperProcess(['node']), false);
  });

  it("cleanEnv: drops the probe's --require and options, keeps the user's", () => {
    const env = cleanEnv(
      { NODE_OPTIONS: '--max-old-space-size=512 --require "/opt/stallscope/dist/probe.js" -r /app/other.js', STALLSCOPE_OPTIONS: '{}', PATH: '/bin' },
      PROBE_FILE,
    );
    assert.deepEqual(env, { NODE_OPTIONS: '--max-old-space-size=512 -r /app/other.js', PATH: '/bin' });
    assert.deepEqual(cleanEnv({ NODE_OPTIONS: '--require "/opt/stallscope/dist/probe.js"' }, PROBE_FILE), {});
  });

  it('request labels: method and path, no query or fragment', () => {
    assert.equal(requestLabel({ method: 'POST', url: '/orders?id=1#x' }), 'POST /orders');
    assert.equal(requestLabel({ method: 'GET', url: '' }), 'GET /');
  });

  it('frames: file:// to paths, builtins left out, the culprit skips node:, node_modules and the probe', () => {
    const raw = [
      builtin('JSON', 'parse'),
      f(PROBE_FILE, 10, 5, 'wrap'),
      f('node:internal/fs/utils', 3, 1, 'x'),
      f('/app/node_modules/lib/index.js', 7, 2, 'libFn'),
      f(pathToFileURL('/app/src/my file.mjs').href, 12, 9, 'handler'),
      f('/app/src/main.js', 3, 1, '', { async: true, method: 'm' }),
    ];
    const it1 = interpretCapture(raw, PROBE_FILE, undefined, false);
    assert.deepEqual(it1.culprit, { file: '/app/src/my file.mjs', line: 12, column: 9, function: 'handler' });
    assert.deepEqual(
      it1.frames.map((x) => x.file),
      ['node:internal/fs/utils', '/app/node_modules/lib/index.js', '/app/src/my file.mjs', '/app/src/main.js'],
    );
    assert.equal(it1.frames[3].function, 'async m');
    assert.equal(toPath('node:fs'), 'node:fs');
  });

  it("frames: WebAssembly is never the culprit: the user's line that called into it is, and Node's own wasm (type stripping) has none", () => {
    const wasm = (col: number) => f('wasm://wasm/00ad0bc6', 1, col, '');
    const called = interpretCapture([wasm(2176309), wasm(1200), f('/app/src/image.ts', 14, 7, 'resize')], PROBE_FILE, undefined, false);
    assert.deepEqual(called.culprit, { file: '/app/src/image.ts', line: 14, column: 7, function: 'resize' });
    assert.equal(called.frames[0].file, 'wasm://wasm/00ad0bc6', 'the wasm frames stay on the stack');
    const stripping = interpretCapture([wasm(2176309), f('node:internal/deps/amaro/dist/index', 232, 3, 'transformSync'), f('node:internal/modules/typescript', 60, 1, 'parseTypeScript')], PROBE_FILE, undefined, false);
    assert.equal(stripping.culprit, null);
  });

  it('causes: node sync API named as called, Atomics.wait, builtins, and late captures', () => {
    const user = f('/app/a.js', 5, 3, 'handler');
    // zlib's gzipSync is internally `syncBufferWrapper`: the method name is what the user called.
    const gzip = [f('node:zlib', 1, 1, 'processChunkSync'), f('node:zlib', 2, 1, 'syncBufferWrapper', { method: 'gzipSync' }), user];
    assert.deepEqual(interpretCapture(gzip, PROBE_FILE, undefined, false).cause, { kind: 'native', api: 'gzipSync' });
    // A late capture with the node API still on the stack is still the call site.
    const pbkdf2 = [f('node:internal/crypto/pbkdf2', 1, 1, 'pbkdf2Sync'), user];
    const late = interpretCapture(pbkdf2, PROBE_FILE, undefined, true);
    assert.deepEqual(late.cause, { kind: 'native', api: 'pbkdf2Sync' });
    assert.equal(late.culprit?.line, 5);
    assert.deepEqual(interpretCapture([builtin('Atomics', 'wait'), user], PROBE_FILE, undefined, false).cause, { kind: 'native', api: 'Atomics.wait' });
    assert.deepEqual(interpretCapture([builtin('JSON', 'stringify'), user], PROBE_FILE, undefined, false).cause, { kind: 'js', api: 'JSON.stringify' });
    assert.deepEqual(interpretCapture([user], PROBE_FILE, undefined, false).cause, { kind: 'js' });
    // Late, after JSON.parse returned: the stack shows the next code. No culprit beats a wrong one.
    const after = interpretCapture([f('/app/a.js', 9, 1, 'next'), user], PROBE_FILE, undefined, true);
    assert.deepEqual(after, { frames: [], culprit: null, cause: { kind: 'native' } });
  });

  it('looks: prompt ones are trusted, late ones only with the blocking call on the stack, a second look takes over', () => {
    const user = f('/app/a.js', 5, 3, 'handler');
    const next = f('/app/a.js', 9, 1, 'next');
    // Prompt, inside a long block: trusted, also while it goes on.
    assert.equal(judgeLooks(look([user], 100, 0.4), undefined, 300, PROBE_FILE, undefined).it?.culprit?.line, 5);
    assert.equal(judgeLooks(look([user], 100, 0.4), undefined, undefined, PROBE_FILE, undefined).it?.culprit?.line, 5);
    // Slow (0.9 ms) and the stall ended right after: late, and the stack is what ran next.
    assert.equal(judgeLooks(look([next], 100, 0.9), undefined, 102, PROBE_FILE, undefined).it?.culprit, null);
    // Slow only because the thread waited for a CPU (runqueue time already taken out): trusted.
    assert.equal(judgeLooks(look([user], 100, 0.5), undefined, 102, PROBE_FILE, undefined).it?.culprit?.line, 5);
    // Without the OS's runqueue figure, a slow look followed by more blocking is trusted...
    assert.equal(judgeLooks(look([user], 100, 30, false), undefined, 400, PROBE_FILE, undefined).it?.culprit?.line, 5);
    // ...with it, it is late; a prompt second look inside the continued block takes over.
    const second = look([f('/app/b.js', 2, 2, 'more')], 150, 0.3);
    assert.equal(judgeLooks(look([next], 100, 30), second, 400, PROBE_FILE, undefined).it?.culprit?.file, '/app/b.js');
    assert.equal(judgeLooks(look([next], 100, 30), undefined, 400, PROBE_FILE, undefined).it?.culprit, null);
    // While it goes on, a late look is not shown.
    assert.equal(judgeLooks(look([next], 100, 30), undefined, undefined, PROBE_FILE, undefined).it, undefined);
    // Under a debugger every look is slow (its interrupt handling is on the thread's clock): a look the block
    // outlasted is trusted, shown while it goes on; one the block ended right after is still late.
    assert.equal(judgeLooks(look([user], 100, 56), undefined, 400, PROBE_FILE, undefined, true).it?.culprit?.line, 5);
    assert.equal(judgeLooks(look([user], 100, 56), undefined, undefined, PROBE_FILE, undefined, true).it?.culprit?.line, 5);
    assert.equal(judgeLooks(look([next], 100, 56), undefined, 102, PROBE_FILE, undefined, true).it?.culprit, null);
    // A prompt look without user code at the very end ran in the next task: discarded.
    assert.equal(judgeLooks(look([f('node:internal/worker/io', 1, 1)], 300, 0.3), undefined, 300.5, PROBE_FILE, undefined).discardFirst, true);
  });

  it('when every look was late, two that found the thread on the same line at different moments name it', () => {
    const spin = (at: number) => look([builtin('Date', 'now'), f('/app/b.ts', 13, 3, 'crunch'), f('/app/b.ts', 19, 3)], at, 9);
    const next = (at: number) => look([f('/app/b.ts', 20, 3, 'record')], at, 40);
    // A busy loop on a loaded machine: every look 9 ms late, all on line 13, 20 ms apart.
    const agreed = agreedLate([spin(60), spin(80), spin(100)], PROBE_FILE, undefined);
    assert.equal(agreed?.it.culprit?.line, 13);
    assert.equal(agreed?.look.atHr, 80, 'the later look of the first pair');
    // A call V8 could not interrupt holds every look until it returns: they run at one moment, and prove nothing.
    assert.equal(agreedLate([spin(60), spin(60.2), spin(60.4)], PROBE_FILE, undefined), undefined);
    // Looks that disagree name nothing; one look alone names nothing.
    assert.equal(agreedLate([next(60), spin(80)], PROBE_FILE, undefined), undefined);
    assert.equal(agreedLate([spin(60)], PROBE_FILE, undefined), undefined);
    assert.ok(LATE_END_MS <= 20);
  });

  it('later looks outvote the first one, a tie keeps it, looks without a culprit do not vote', () => {
    const write = [f('node:_http_outgoing', 1, 1, 'end'), f('/app/s.js', 25, 9, '/sync')];
    const hashing = (at: number, delayMs: number, label = 'GET /sync') =>
      look([f('node:internal/crypto/pbkdf2', 78, 3, 'pbkdf2Sync'), f('/app/s.js', 21, 17, 'hash'), f('/app/s.js', 25, 11, '/sync')], at, delayMs, true, label);
    const base = (l: Look) => judgeLooks(l, undefined, 600, PROBE_FILE, undefined).it;
    // Ten queued requests hashing in one turn; the first look landed on a response being written.
    const first = base(look(write, 60, 0.1));
    assert.equal(first?.culprit?.line, 25);
    // Late looks (each waited for a hash to end) still have pbkdf2Sync's wrapper on the stack: they vote.
    const samples = [hashing(120, 30, 'GET /sync #2'), hashing(160, 12), look(write, 200, 0.2), hashing(260, 40)];
    const better = preferSamples(first, samples, 600, PROBE_FILE, undefined);
    assert.equal(better?.it.culprit?.line, 21);
    assert.equal(better?.it.cause.kind, 'native');
    assert.equal(better?.look, samples[0], 'the stack and handler of the first look that saw it');
    // A tie keeps the first look's culprit (a loop calling a helper, seen in each about as often).
    assert.equal(preferSamples(first, [hashing(120, 30), look(write, 200, 0.2), hashing(260, 40)], 600, PROBE_FILE, undefined), undefined);
    assert.equal(preferSamples(first, [hashing(120, 30)], 600, PROBE_FILE, undefined), undefined);
    // A first look without a culprit is filled in by any later one that has one.
    const none = base(look([f('node:_http_server', 1, 1, 'parserOnIncoming')], 60, 0.1));
    assert.equal(none?.culprit, null);
    assert.equal(preferSamples(none, [hashing(120, 30)], 600, PROBE_FILE, undefined)?.it.culprit?.line, 21);
    // Late looks without the blocking call's wrapper show what ran next: they do not vote.
    const next = look([f('/app/s.js', 40, 1, 'next')], 120, 30);
    assert.equal(preferSamples(none, [next, { ...next, atHr: 200 }], 600, PROBE_FILE, undefined), undefined);
    assert.equal(preferSamples(first, [next, { ...next, atHr: 200 }], 600, PROBE_FILE, undefined), undefined);
    // The spacing: a third of the stall's age, never under LATE_END_MS.
    assert.equal(nextSampleInMs(30), LATE_END_MS);
    assert.equal(nextSampleInMs(300), 100);
  });

  it('source maps: inline and file maps resolve; broken, missing and absent ones keep the generated location', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stallscope-maps-'));
    const src = join(dir, 'orig.ts');
    writeFileSync(src, 'const a: number = 1;\nexport function slow(): number {\n  let x = 0;\n  for (let i = 0; i < 10; i++) x += a;\n  return x;\n}\n');
    for (const sourcemap of ['linked', 'inline'] as const) {
      const out = join(dir, `out-${sourcemap}.js`);
      buildSync({ entryPoints: [src], outfile: out, format: 'cjs', sourcemap, logLevel: 'silent' });
      const r = new SourceMapResolver(dir);
      const gen = { file: out, line: 0, column: 0 };
      // Find the generated line of the loop to map back.
      const text = readFileSync(out, 'utf8');
      const lines = text.split('\n');
      gen.line = lines.findIndex((l) => l.includes('for (let i')) + 1;
      gen.column = lines[gen.line - 1].indexOf('for (let i') + 1;
      assert.deepEqual(r.original(gen), { file: src, line: 4, column: 3 });
    }
    const broken = join(dir, 'broken.js');
    writeFileSync(broken, 'x();\n//# sourceMappingURL=broken.js.map\n');
    writeFileSync(join(dir, 'broken.js.map'), '{"version":3,');
    const missing = join(dir, 'missing.js');
    writeFileSync(missing, 'x();\n//# sourceMappingURL=nowhere.js.map\n');
    const none = join(dir, 'none.js');
    writeFileSync(none, 'x();\n');
    const r = new SourceMapResolver(dir);
    for (const file of [broken, missing, none, '/does/not/exist.js', 'node:fs']) {
      assert.equal(r.original({ file, line: 1, column: 1 }), undefined, file);
    }
    assert.equal(r.failures.length, 2, r.failures.join('\n'));
    assert.equal(lastSourceMappingUrl('a\n//# sourceMappingURL=one.map\nb\n//# sourceMappingURL=two.map\n'), 'two.map');
    assert.equal(lastSourceMappingUrl('const s = "sourceMappingURL=fake";'), undefined);
  });

  it('pauses: overlap queries and one open pause at a time', () => {
    const p = new ThreadPauses();
    assert.ok(p.pause(100, 'other'));
    assert.equal(p.pause(110, 'other'), undefined);
    assert.ok(p.paused);
    assert.ok(p.overlapping(50, 120));
    assert.ok(p.resume(300));
    assert.equal(p.paused, false);
    assert.ok(p.overlapping(250, 400));
    assert.equal(p.overlapping(301, 400), undefined);
    assert.equal(p.overlapping(0, 99), undefined);
  });

  it('transport: buffers while connecting (bounded, oldest dropped), reports drops after welcome', async () => {
    const server = await ProbeServer.start();
    const token = server.issueToken('t');
    const got: ProbeToHost[] = [];
    server.on('message', (_c, m) => got.push(m));
    const hello: HelloMessage = {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      token,
      pid: process.pid,
      ppid: process.ppid,
      argv: [],
      cwd: '/',
      runtime: { name: 'node', version: process.version },
      mode: 'full',
      startedAtMs: Date.now(),
    };
    const t = new Transport({ url: server.url, hello, maxBuffer: 3 });
    for (let i = 0; i < 10; i++) t.send({ type: 'notice', pid: process.pid, level: 'info', message: `m${i}` });
    t.start();
    try {
      await waitFor(() => got.length >= 4, 5000, 'the buffered messages');
      assert.deepEqual(got[0], { type: 'dropped', pid: process.pid, count: 7 });
      assert.deepEqual(
        got.slice(1).map((m) => (m.type === 'notice' ? m.message : m.type)),
        ['m7', 'm8', 'm9'],
      );
      assert.equal(t.current, 'open');
    } finally {
      t.close();
      await server.close();
    }
  });

  it('transport: a refusal is final; a host that never answers is given up on', async () => {
    const server = await ProbeServer.start();
    const hello: HelloMessage = {
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      token: 'wrong',
      pid: 1,
      ppid: 0,
      argv: [],
      cwd: '/',
      runtime: { name: 'node', version: 'v20' },
      mode: 'full',
      startedAtMs: 0,
    };
    const states: string[] = [];
    const refused = new Transport({ url: server.url, hello, onState: (s) => states.push(s) });
    refused.start();
    await waitFor(() => refused.current === 'quiet', 5000, 'quiet after refusal');
    assert.equal(server.refusals['bad-token'], 1);
    await server.close();
    const url = server.url; // now closed: nobody listens
    const gone = new Transport({ url, hello, maxInitialAttempts: 3 });
    gone.start();
    await waitFor(() => gone.current === 'quiet', 5000, 'quiet after 3 failed attempts');
    gone.send({ type: 'notice', pid: 1, level: 'info', message: 'dropped silently' });
    assert.equal(gone.current, 'quiet');
  });
});
