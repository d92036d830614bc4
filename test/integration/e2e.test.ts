/**
 * The VS Code layer: builds the in-editor mocha suite, starts real VS Code (code-server, installed
 * by scripts/e2e/install.sh) on 127.0.0.1, drives its workbench in headless Chromium, and reports
 * each test of the suite here. See test/integration/suite/stallscope.test.ts for what is tested.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { replyDir } from './driverProtocol';
import { e2eHome, startCodeServer } from './harness/codeServer';
import { runInBrowser } from './harness/browserDriver';

const ROOT = path.resolve(__dirname, '../..');
/**
 * What the VSIX ships (the .vscodeignore allow-list), copied out of the working tree: VS Code runs
 * exactly these files, so a file missing from the package fails here, and a rebuild of dist/
 * during the run cannot change the extension under test.
 */
const SHIPPED = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/extension.js', 'dist/probe.js', 'dist/checkWorker.js', 'dist/webview.js', 'dist/timeline.css', 'dist/python', 'docs/timeline-in-vscode.png', 'media'];
const OUT = path.join(ROOT, 'out/integration');
const SHOTS = path.join(ROOT, 'out/screenshots');
/** Tests the suite must report; fewer means it stopped early or lost some. */
const MIN_TESTS = 30;

test('Stallscope in real VS Code (code-server + headless Chromium)', { timeout: 600_000 }, async (t) => {
  const extension = path.join(e2eHome(ROOT), 'extension');
  fs.rmSync(extension, { recursive: true, force: true });
  for (const file of SHIPPED) {
    assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} is missing${file.startsWith('dist/') ? ': run `node esbuild.mjs` first' : ''}`);
    fs.cpSync(path.join(ROOT, file), path.join(extension, file), { recursive: true });
  }
  fs.rmSync(OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'suite/index.ts'), path.join(__dirname, 'suite/stallscope.test.ts'), path.join(__dirname, 'suite/findability.test.ts')],
    outdir: OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });

  const started = Date.now();
  // The launch config sets FIXTURE_UNSET_ME to null ("unset"): the debuggee must not inherit this value.
  const server = await startCodeServer({ root: ROOT, env: { FIXTURE_UNSET_ME: 'inherited-from-the-editor' } });
  let run: Awaited<ReturnType<typeof runInBrowser>> | undefined;
  try {
    run = await runInBrowser({
      url: server.url,
      extensionPath: extension,
      testsPath: path.join(OUT, 'index.js'),
      workspace: path.join(__dirname, 'workspace'),
      replyDir: replyDir(OUT),
      shotDir: SHOTS,
      runDir: server.runDir,
      timeoutMs: 480_000,
      onLine: (line) => console.log(`  [vscode] ${line}`),
    });
  } finally {
    await server.stop();
    for (const pid of run?.debuggeePids ?? []) killIfAlive(pid);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);

  for (const r of run.results) {
    await t.test(`${r.title} (${r.durationMs} ms in VS Code)`, { skip: r.state === 'pending' ? 'skipped by the suite' : false }, () => {
      if (r.state === 'failed') assert.fail(r.error ?? 'failed');
    });
  }
  const passed = run.results.filter((r) => r.state === 'passed').length;
  const failed = run.results.filter((r) => r.state === 'failed').length;
  const skipped = run.results.filter((r) => r.state === 'pending').length;
  console.log(`e2e: ${passed} passed, ${failed} failed, ${skipped} skipped in real VS Code (${seconds} s; screenshots: ${run.screenshots.map((s) => path.relative(ROOT, s)).join(', ') || 'none'}; logs: ${path.relative(ROOT, server.runDir)})`);
  assert.equal(run.exitCode, 0, `the suite exited with ${run.exitCode} (full log: ${path.join(server.runDir, 'workbench.log')})`);
  assert.equal(skipped, 0, 'with the browser driver attached nothing may be skipped');
  assert.ok(run.results.length >= MIN_TESTS, `the suite reported ${run.results.length} tests, expected at least ${MIN_TESTS}`);
});

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited with its debug session, as it should
  }
}
