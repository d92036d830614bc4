/**
 * A command that does not stop when interrupted, because its event loop is blocked and its signal
 * handler cannot run: `run` says so (with the stall going on and its line) and kills it when
 * interrupted again, and not before.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES, ensureBuilt, startCli, tagLine } from './cliHarness';

before(() => ensureBuilt());

test('interrupted while its loop is blocked: run tells what holds the command, and a second interrupt kills it', async () => {
  const cli = startCli(['run', '--', process.execPath, 'stuck.js']);
  await cli.waitForStdout(/BLOCKING/);
  let stderr = '';
  cli.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const sent = Date.now();
  cli.child.kill('SIGINT');
  const told = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      if (/has not exited/.test(stderr)) {
        clearInterval(timer);
        resolve(Date.now());
      } else if (Date.now() - sent > 20_000) {
        clearInterval(timer);
        reject(new Error(`no word from run: ${stderr}`));
      }
    }, 50);
  });
  assert.ok(told - sent >= 2900, 'not before the command had its time to stop');
  const line = tagLine(path.join(FIXTURES, 'stuck.js'), 'stuck');
  assert.match(
    stderr,
    new RegExp(`stallscope: the command has not exited 3 s after SIGINT; its event loop is blocked: [\\d.]+ s ongoing stall (in \\S+ )?at stuck\\.js:${line} \\(JavaScript on the CPU\\)\\. Interrupt again \\(Ctrl-C\\) to kill it\\.`),
  );
  assert.equal(cli.child.exitCode, null, 'still running: told, not killed');
  cli.child.kill('SIGINT');
  const r = await cli.done;
  assert.equal(r.code, 128 + os.constants.signals.SIGKILL, r.stderr);
  assert.match(r.stderr, /killing the command \(SIGKILL\)/);
  assert.doesNotMatch(r.stdout.toString(), /graceful shutdown/);
  assert.match(r.stderr, new RegExp(`stuck\\.js:${line}`), 'the summary has the stall, closed at the kill');
});
