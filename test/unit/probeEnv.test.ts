import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendRequire, quoteNodeOption, withProbe } from '../../src/core/probeEnv';
import { PROBE_OPTIONS_ENV } from '../../src/shared/protocol/options';

test("the user's NODE_OPTIONS are kept and the probe is appended", () => {
  const env = withProbe({ NODE_OPTIONS: '--max-old-space-size=4096 --enable-source-maps', PATH: '/bin' }, '/opt/ss/dist/probe.js', {
    url: 'ws://127.0.0.1:1/',
    token: 't',
    thresholdMs: 20,
  });
  assert.equal(env.NODE_OPTIONS, '--max-old-space-size=4096 --enable-source-maps --require "/opt/ss/dist/probe.js"');
  assert.equal(env.PATH, '/bin');
  assert.deepEqual(JSON.parse(env[PROBE_OPTIONS_ENV] as string), { url: 'ws://127.0.0.1:1/', token: 't', thresholdMs: 20 });
});

test('no NODE_OPTIONS: just the require; the input env is not modified', () => {
  const input = { HOME: '/root' };
  const env = withProbe(input, '/p.js', {});
  assert.equal(env.NODE_OPTIONS, '--require "/p.js"');
  assert.deepEqual(input, { HOME: '/root' });
});

test('the probe is required once even when composed twice (a child of a probed process)', () => {
  const once = appendRequire('--inspect', '/p.js');
  assert.equal(appendRequire(once, '/p.js'), once);
  const env = withProbe(withProbe({}, '/p.js', { token: 'a' }), '/p.js', { token: 'b' });
  assert.equal(env.NODE_OPTIONS?.match(/--require/g)?.length, 1);
  assert.equal(JSON.parse(env[PROBE_OPTIONS_ENV] as string).token, 'b');
});

test('Windows-style env key casing is reused, not duplicated', () => {
  const env = withProbe({ Node_Options: '--trace-warnings' }, 'C:\\ss\\probe.js', {});
  assert.equal(env.Node_Options, '--trace-warnings --require "C:/ss/probe.js"');
  assert.equal('NODE_OPTIONS' in env, false);
});

test('paths with spaces and quotes are quoted the way Node parses NODE_OPTIONS', () => {
  assert.equal(quoteNodeOption('/a b/"c".js'), '"/a b/\\"c\\".js"');
  // Proof by Node itself: a probe at such a path really loads.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss env "q" '));
  try {
    const probe = path.join(dir, 'my "probe" file.js');
    fs.writeFileSync(probe, 'process.stdout.write("probe loaded;")');
    const env = withProbe({ ...process.env, NODE_OPTIONS: '--no-warnings' }, probe, {});
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write("app ran")'], { env, encoding: 'utf8' });
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'probe loaded;app ran');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
