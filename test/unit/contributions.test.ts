import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAUNCH_ATTRIBUTE, TIMELINE_VIEW_TYPE, allCommands, allConfig, nodeDebugTypes, pythonDebugTypes } from '../../src/host/contributions';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

test('package.json contributes exactly the commands and settings the code registers and reads', () => {
  assert.deepEqual(pkg.contributes.commands.map((c: { command: string }) => c.command).sort(), [...allCommands].sort());
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'Stallscope', c.command);
  assert.deepEqual(Object.keys(pkg.contributes.configuration.properties).sort(), [...allConfig].sort());
  const threshold = pkg.contributes.configuration.properties['stallscope.thresholdMs'];
  assert.deepEqual([threshold.type, threshold.minimum, threshold.maximum, threshold.default], ['number', 10, 60000, 50]);
  assert.match(threshold.markdownDescription, /milliseconds/);
});

test('the launch attribute is contributed to every Node debug type js-debug resolves', () => {
  const types = pkg.contributes.debuggers.map((d: { type: string }) => d.type);
  assert.deepEqual(types, [...nodeDebugTypes, ...pythonDebugTypes]);
  for (const d of pkg.contributes.debuggers) assert.equal(d.configurationAttributes.launch.properties[LAUNCH_ATTRIBUTE].type, 'boolean');
});

test('activation: on Node debug resolution and to restore the timeline after a reload', () => {
  for (const type of [...nodeDebugTypes, ...pythonDebugTypes]) assert.ok(pkg.activationEvents.includes(`onDebugResolve:${type}`), type);
  assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${TIMELINE_VIEW_TYPE}`));
  assert.equal(pkg.main, './dist/extension.js');
  assert.ok(fs.existsSync(path.join(ROOT, pkg.icon)), pkg.icon);
});

test('.vscodeignore is an allow-list of the bundles, media and docs', () => {
  const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(lines[0], '**', 'everything is excluded first');
  assert.deepEqual(lines.slice(1).sort(), ['!CHANGELOG.md', '!LICENSE', '!README.md', '!dist/checkWorker.js', '!dist/extension.js', '!dist/probe.js', '!dist/python/**', '!dist/timeline.css', '!dist/webview.js', '!docs/*.png', '!media/**', '!package.json']);
});
