#!/usr/bin/env node
// `npm test`: builds, type-checks and lints, installs what the layers need on a fresh machine
// (Debian's Chromium for the webview, code-server for the VS Code layer), then runs every
// layer in ONE node:test run so the closing summary counts everything.
//
//   node scripts/test.mjs [layer ...]    layers: unit probe cli check apps testing python pack webview integration (default: all)
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ALL = ['unit', 'probe', 'cli', 'check', 'apps', 'testing', 'python', 'pack', 'webview', 'integration'];
const args = process.argv.slice(2);
const layers = args.length ? args : ALL;
for (const l of layers) if (!ALL.includes(l)) fail(`unknown test layer "${l}" (known: ${ALL.join(', ')})`);

function fail(msg) {
  console.error(`test: ${msg}`);
  process.exit(2);
}
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', ...opts });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  return r.status ?? 1;
}
function step(name, cmd, argv) {
  console.log(`\n── ${name}`);
  const code = run(cmd, argv);
  if (code !== 0) fail(`${name} failed (exit ${code})`);
}
function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures') out.push(...testFiles(p));
    } else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

step('build', process.execPath, ['esbuild.mjs']);
if (!args.length) {
  step('typecheck', 'npx', ['tsc', '--noEmit', '-p', '.']);
  step('typecheck webview', 'npx', ['tsc', '--noEmit', '-p', 'webview']);
  step('typecheck e2e suite', 'npx', ['tsc', '--noEmit', '-p', 'test/integration/suite']);
  step('lint', 'npx', ['eslint', '.']);
}
// check parses its JUnit output with Chromium's DOMParser.
if (['webview', 'integration', 'check'].some((l) => layers.includes(l))) step('chromium', 'bash', ['scripts/ensure-chromium.sh']);
if (layers.includes('integration')) step('code-server', 'bash', ['scripts/e2e/install.sh']);
// The python layer runs real FastAPI/uvicorn/pytest/debugpy from pinned venvs (git-ignored).
if (layers.includes('python')) step('python venvs', 'bash', ['scripts/ensure-python.sh']);

// Integration tests live in test/integration/*.test.ts (node side, drives code-server); the suite that runs
// INSIDE VS Code lives in test/integration/suite and is built by the e2e runner, not run here directly.
const files = layers.flatMap((l) => (l === 'integration' ? testFiles('test/integration').filter((f) => !f.includes('/suite/')) : testFiles(join('test', l))));
if (!files.length) fail('no test files found');
console.log(`\n── node:test (${files.length} files: ${layers.join(', ')})`);
const code = run(process.execPath, [
  '--import', 'tsx',
  '--test', '--test-concurrency=1', '--test-reporter=spec', '--test-timeout=900000',
  ...files,
]);
process.exit(code);
