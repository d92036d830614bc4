/**
 * Entry point VS Code loads as `extensionTestsPath` (built to out/integration/index.js). Runs the
 * mocha suite inside the extension host and prints one machine-readable line per test, which the
 * driver turns into node:test results.
 */
import * as path from 'node:path';
import Mocha from 'mocha';
import { LOG_MARKER, RESULT_MARKER, type TestResult } from '../driverProtocol';

export function run(): Promise<void> {
  // E2E_GREP: run only the tests whose title matches (while working on some; the full run sets nothing).
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'dot', ...(process.env.E2E_GREP ? { grep: process.env.E2E_GREP } : {}) });
  mocha.addFile(path.resolve(__dirname, 'stallscope.test.js'));
  mocha.addFile(path.resolve(__dirname, 'findability.test.js'));
  return new Promise((resolve, reject) => {
    const started = new Map<string, number>();
    const report = (r: TestResult) => console.log(RESULT_MARKER + JSON.stringify(r));
    const runner = mocha.run((failures) => {
      console.log(`${LOG_MARKER}${passed} passed, ${failures} failed, ${pending} pending`);
      if (failures > 0) reject(new Error(`${failures} of ${passed + failures} tests failed`));
      else resolve();
    });
    let passed = 0;
    let pending = 0;
    runner.on('test', (t) => {
      started.set(t.fullTitle(), Date.now());
      console.log(`${LOG_MARKER}▶ ${t.title}`);
    });
    runner.on('pass', (t) => {
      passed++;
      const durationMs = Date.now() - (started.get(t.fullTitle()) ?? Date.now());
      console.log(`${LOG_MARKER}✔ ${t.title} (${durationMs} ms)`);
      report({ title: t.title, state: 'passed', durationMs });
    });
    runner.on('fail', (t, err: Error) => {
      const durationMs = Date.now() - (started.get(t.fullTitle()) ?? Date.now());
      console.log(`${LOG_MARKER}✘ ${t.title}: ${err.stack ?? err.message}`);
      report({ title: t.title, state: 'failed', durationMs, error: err.message });
    });
    runner.on('pending', (t) => {
      pending++;
      console.log(`${LOG_MARKER}- ${t.title} (pending)`);
      report({ title: t.title, state: 'pending', durationMs: 0 });
    });
  });
}
