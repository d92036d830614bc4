import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SESSION_MARKER, injectProbe, shouldInject, type LaunchConfig } from '../../src/host/debugConfig';
import { clampThreshold } from '../../src/shared/protocol/options';
import { PROBE_OPTIONS_ENV } from '../../src/shared/protocol/options';

const PROBE = '/ext/dist/probe.js';
const launch = (over: Partial<LaunchConfig> = {}): LaunchConfig => ({ type: 'pwa-node', request: 'launch', name: 'app', program: '/app/server.js', ...over });
const inject = (c: LaunchConfig) => injectProbe(c, { probePath: PROBE, sessionId: 'sess-1', options: { url: 'ws://127.0.0.1:9/', token: 't0k', thresholdMs: 50 } });

test('opt-in by the launch attribute or the setting; "stallscope": false always wins', () => {
  assert.deepEqual(shouldInject(launch({ stallscope: true }), false), { inject: true });
  assert.deepEqual(shouldInject(launch(), true), { inject: true });
  assert.equal(shouldInject(launch(), false).inject, false);
  assert.equal(shouldInject(launch({ stallscope: false }), true).inject, false);
  for (const type of ['node', 'pwa-node', 'node-terminal']) assert.equal(shouldInject(launch({ type, stallscope: true }), false).inject, true, type);
});

test('never injects into what cannot or must not take it', () => {
  const refused: Array<[LaunchConfig, RegExp]> = [
    [launch({ type: 'chrome', stallscope: true }), /not a Node or Python debug type/],
    [launch({ request: 'attach', stallscope: true }), /attach/],
    [launch({ stallscope: true, __pendingTargetId: 'abc' }), /child session/],
    [launch({ stallscope: true, [SESSION_MARKER]: 'sess-0' }), /already injected/],
  ];
  for (const [config, reason] of refused) {
    const d = shouldInject(config, true);
    assert.equal(d.inject, false);
    assert.match((d as { reason: string }).reason, reason);
  }
});

test('appends the probe to the launch config\'s own NODE_OPTIONS and passes the options as one JSON env var', () => {
  const original = launch({ env: { NODE_OPTIONS: '--max-old-space-size=4096', PORT: '3000' } });
  const frozen = structuredClone(original);
  const out = inject(original);
  const env = out.env as Record<string, string>;
  assert.equal(env.NODE_OPTIONS, `--max-old-space-size=4096 --require "${PROBE}"`);
  assert.equal(env.PORT, '3000');
  assert.deepEqual(JSON.parse(env[PROBE_OPTIONS_ENV]), { url: 'ws://127.0.0.1:9/', token: 't0k', thresholdMs: 50, sessionId: 'sess-1' });
  assert.equal(out[SESSION_MARKER], 'sess-1');
  assert.deepEqual(original, frozen, 'the input is not modified');
});

test('does not copy the extension host\'s NODE_OPTIONS (js-debug appends those itself)', () => {
  const saved = process.env.NODE_OPTIONS;
  process.env.NODE_OPTIONS = '--trace-warnings';
  try {
    assert.equal((inject(launch()).env as Record<string, string>).NODE_OPTIONS, `--require "${PROBE}"`);
  } finally {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  }
});

test('keeps null ("unset") and unusual values in env as the user wrote them', () => {
  const out = inject(launch({ env: { DEBUG: null, PORT: 3000, NODE_OPTIONS: null } }));
  const env = out.env as Record<string, unknown>;
  assert.equal(env.DEBUG, null);
  assert.equal(env.PORT, 3000);
  assert.equal(env.NODE_OPTIONS, `--require "${PROBE}"`);
});

test('finds NODE_OPTIONS under any case (Windows env keys) and injects once', () => {
  const out = inject(launch({ env: { Node_Options: '--trace-warnings' } }));
  const env = out.env as Record<string, string>;
  assert.equal(env.Node_Options, `--trace-warnings --require "${PROBE}"`);
  assert.equal(env.NODE_OPTIONS, undefined);
  const twice = injectProbe({ ...out, [SESSION_MARKER]: undefined }, { probePath: PROBE, sessionId: 's2', options: {} });
  assert.equal((twice.env as Record<string, string>).Node_Options, `--trace-warnings --require "${PROBE}"`);
});

test('adds the probe to skipFiles, keeping js-debug\'s default or the user\'s list', () => {
  assert.deepEqual(inject(launch()).skipFiles, ['<node_internals>/**', PROBE]);
  assert.deepEqual(inject(launch({ skipFiles: ['${workspaceFolder}/node_modules/**'] })).skipFiles, ['${workspaceFolder}/node_modules/**', PROBE]);
  assert.deepEqual(inject(launch({ skipFiles: [PROBE] })).skipFiles, [PROBE]);
  const win = injectProbe(launch(), { probePath: 'C:\\Ext\\dist\\probe.js', sessionId: 's', options: {} });
  assert.deepEqual(win.skipFiles, ['<node_internals>/**', 'C:/Ext/dist/probe.js']);
  assert.match((win.env as Record<string, string>).NODE_OPTIONS, /--require "C:\/Ext\/dist\/probe\.js"/);
});

test('the threshold setting is clamped to what the probe accepts', () => {
  assert.equal(clampThreshold(50), 50);
  assert.equal(clampThreshold(1), 10);
  assert.equal(clampThreshold(1e9), 60_000);
  assert.equal(clampThreshold('80'), 50);
  assert.equal(clampThreshold(Number.NaN), 50);
  assert.equal(clampThreshold(33.4), 33);
});
