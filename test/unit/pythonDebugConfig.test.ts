import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delimiter, join } from 'node:path';
import { SESSION_MARKER, injectProbe, shouldInject, type LaunchConfig } from '../../src/host/debugConfig';
import { pythonProbeDir } from '../../src/core/probeEnv';
import { injectPythonProbe, pythonCommandOf } from '../../src/host/pythonDebugConfig';
import { PROBE_OPTIONS_ENV } from '../../src/shared/protocol/options';

const PROBE = join('/ext', 'dist', 'probe.js');
const PY_DIR = join('/ext', 'dist', 'python');
const OPTIONS = { url: 'ws://127.0.0.1:9/', token: 't0k', thresholdMs: 50 };
const launch = (over: Partial<LaunchConfig> = {}): LaunchConfig => ({ type: 'debugpy', request: 'launch', name: 'api', program: '/app/main.py', ...over });
const envOf = (c: LaunchConfig) => c.env as Record<string, string | null>;

test('debugpy and python launches are injected when they opt in; the Node-wide setting does not opt them in', () => {
  for (const type of ['debugpy', 'python']) {
    assert.deepEqual(shouldInject(launch({ type, stallscope: true }), false), { inject: true }, type);
    const d = shouldInject(launch({ type }), true);
    assert.equal(d.inject, false, type);
    assert.match((d as { reason: string }).reason, /not opted in \("stallscope": true\)/);
  }
  assert.equal(shouldInject(launch({ stallscope: false }), true).inject, false);
  assert.equal(shouldInject(launch({ request: 'attach', stallscope: true }), true).inject, false);
  assert.equal(shouldInject(launch({ stallscope: true, [SESSION_MARKER]: 'sess-0' }), true).inject, false);
});

test('the probe folder goes first on PYTHONPATH, the config\'s own PYTHONPATH is kept after it', () => {
  const original = launch({ env: { PYTHONPATH: ['/app/src', '/app/lib'].join(delimiter), PORT: '8000' } });
  const frozen = structuredClone(original);
  const out = injectProbe(original, { probePath: PROBE, sessionId: 'sess-1', options: OPTIONS });
  assert.equal(envOf(out).PYTHONPATH, [PY_DIR, '/app/src', '/app/lib'].join(delimiter));
  assert.equal(envOf(out).PORT, '8000');
  assert.deepEqual(JSON.parse(envOf(out)[PROBE_OPTIONS_ENV]!), { ...OPTIONS, sessionId: 'sess-1' });
  assert.equal(out[SESSION_MARKER], 'sess-1');
  assert.equal(out.program, '/app/main.py');
  assert.deepEqual(original, frozen, 'the input is not modified');
  assert.equal(envOf(out).NODE_OPTIONS, undefined, 'nothing of the Node probe leaks into a Python launch');
});

test('with no PYTHONPATH in the config, the inherited one is kept (debugpy replaces variables, it does not merge them)', () => {
  const out = injectPythonProbe(launch(), { probeDir: PY_DIR, sessionId: 's', options: OPTIONS }, { PYTHONPATH: '/home/me/py' });
  assert.equal(envOf(out).PYTHONPATH, [PY_DIR, '/home/me/py'].join(delimiter));
  const bare = injectPythonProbe(launch(), { probeDir: PY_DIR, sessionId: 's', options: OPTIONS }, {});
  assert.equal(envOf(bare).PYTHONPATH, PY_DIR);
});

test('a PYTHONPATH the user unset (null) stays unset apart from the probe; odd values and other keys pass through', () => {
  const out = injectPythonProbe(launch({ env: { PYTHONPATH: null, DEBUG: null, WORKERS: 2 } }), { probeDir: PY_DIR, sessionId: 's', options: OPTIONS }, { PYTHONPATH: '/inherited' });
  const env = out.env as Record<string, unknown>;
  assert.equal(env.PYTHONPATH, PY_DIR);
  assert.equal(env.DEBUG, null);
  assert.equal(env.WORKERS, 2);
});

test('Windows-style env keys: the existing PythonPath key is extended, not doubled', () => {
  const out = injectPythonProbe(launch({ env: { PythonPath: 'C:\\app' } }), { probeDir: PY_DIR, sessionId: 's', options: OPTIONS }, {});
  assert.deepEqual(Object.keys(out.env as object).filter((k) => k.toUpperCase() === 'PYTHONPATH'), ['PythonPath']);
  assert.equal(envOf(out).PythonPath, [PY_DIR, 'C:\\app'].join(delimiter));
});

test('injecting twice does not put the folder on PYTHONPATH twice, nor the rule in twice', () => {
  const once = injectPythonProbe(launch(), { probeDir: PY_DIR, sessionId: 's', options: OPTIONS }, { PYTHONPATH: '/x' });
  const twice = injectPythonProbe(once, { probeDir: PY_DIR, sessionId: 's', options: OPTIONS }, {});
  assert.equal(envOf(twice).PYTHONPATH, [PY_DIR, '/x'].join(delimiter));
  assert.deepEqual(twice.rules, [{ path: PY_DIR, include: false }]);
});

test('debugpy rules keep the probe out of stepping, after the user\'s own rules', () => {
  const userRule = { module: 'requests', include: true };
  const out = injectProbe(launch({ stallscope: true, rules: [userRule] }), { probePath: PROBE, sessionId: 's', options: OPTIONS });
  assert.deepEqual(out.rules, [userRule, { path: PY_DIR, include: false }]);
  assert.equal(pythonProbeDir(PROBE), PY_DIR);
});

test('Node launches get no debugpy rules', () => {
  const out = injectProbe({ type: 'pwa-node', request: 'launch', name: 'n', program: '/a.js' }, { probePath: PROBE, sessionId: 's', options: OPTIONS });
  assert.equal(out.rules, undefined);
});

test('the recording is titled with the command a user would type', () => {
  assert.deepEqual(pythonCommandOf(launch({ python: '/v/bin/python', args: ['--port', '8000'] })), ['/v/bin/python', '/app/main.py', '--port', '8000']);
  assert.deepEqual(pythonCommandOf(launch({ program: undefined, module: 'uvicorn', args: ['app:app', '--reload'] })), ['python', '-m', 'uvicorn', 'app:app', '--reload']);
  assert.deepEqual(pythonCommandOf(launch({ program: undefined, module: 'uvicorn', args: 'app:app' })), ['python', '-m', 'uvicorn', 'app:app']);
});
