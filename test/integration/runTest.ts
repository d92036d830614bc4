/**
 * The same in-editor suite under @vscode/test-electron, for machines that can download VS Code
 * (this one cannot; `npm run test:e2e` uses code-server instead). There is no browser driver
 * there: the steps that need a user's hands (quick pick, webview click, reading the page) are
 * reported as skipped, the rest runs.
 *
 *   node esbuild.mjs && npx esbuild test/integration/suite/index.ts test/integration/suite/stallscope.test.ts \
 *     --bundle --platform=node --format=cjs --external:vscode --external:mocha --outdir=out/integration
 *   npx tsx test/integration/runTest.ts
 */
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out/integration/index.js'),
    launchArgs: [path.join(__dirname, 'workspace'), '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
