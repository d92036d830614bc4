/**
 * `stallscope run -- npm start` and the process tree it starts: npm, its `sh -c`, a nested `sh -c`
 * and the real server. Whatever stops `run` (SIGTERM, SIGINT without a terminal) or however the
 * command ends, once `run` has exited no process it started is alive and the port is free.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { processTable } from '../../src/cli/processTree';
import { CLI, FIXTURES, ensureBuilt, startCli, type CliResult, type CliRun } from './cliHarness';

const APP = path.join(FIXTURES, 'npmApp');
// npm must not spend the test asking the registry whether it is up to date.
const NPM_ENV = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

interface AppTree {
  port: number;
  serverPid: number;
  /** The process group of the server: the command's own, or on a terminal the terminal's foreground group. */
  pgid: number;
}

interface Started extends AppTree {
  cli: CliRun;
}

async function startApp(script: string): Promise<Started> {
  const cli = startCli(['run', '--quiet', '--', 'npm', 'run', '--silent', script], { cwd: APP, env: NPM_ENV });
  await cli.waitForStdout(/LISTENING \d+ \d+/, 30_000);
  const [, port, pid] = /LISTENING (\d+) (\d+)/.exec(cli.stdoutText())!;
  const serverPid = Number(pid);
  const pgid = processTable().find((p) => p.pid === serverPid)?.pgid;
  assert.ok(pgid, `the server (pid ${serverPid}) is alive`);
  return { cli, port: Number(port), serverPid, pgid };
}

function within(done: Promise<CliResult>, ms: number, what: string): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: stallscope run did not exit within ${ms / 1000} s`)), ms)));
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !processTable().every((p) => p.pid !== pid); // a zombie is not alive
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function assertNothingLeft(a: AppTree, r: CliResult, started: readonly number[] = []): Promise<void> {
  const members = processTable().filter((p) => p.pgid === a.pgid || started.includes(p.pid));
  assert.deepEqual(members, [], `processes of the command's group still alive after run exited; stderr: ${r.stderr}`);
  assert.equal(alive(a.serverPid), false, 'the server is not left running');
  assert.equal(await portFree(a.port), true, `port ${a.port} is free`);
}

describe('stallscope run: the whole process tree', () => {
  before(() => {
    ensureBuilt();
    assert.ok(fs.existsSync(path.join(APP, 'package.json')));
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} to run (no terminal) stops npm start's whole tree, server included`, async () => {
      const a = await startApp('start');
      // npm, its sh -c, the nested sh -c and node: the command has its own group and all of them are in it.
      const members = processTable().filter((p) => p.pgid === a.pgid);
      assert.ok(members.length >= 3, `npm, sh and node share the command's group: ${JSON.stringify(members)}`);
      assert.notEqual(a.pgid, processTable().find((p) => p.pid === a.cli.child.pid)?.pgid, 'the command is not in stallscope\'s own group');
      a.cli.child.kill(signal);
      const r = await within(a.cli.done, 20_000, signal);
      await assertNothingLeft(a, r);
      assert.doesNotMatch(r.stderr, /SIGKILL/, 'a server that honours the signal is not killed hard');
    });
  }

  it('a server that ignores SIGTERM is killed after the grace period, and run says so', async () => {
    const a = await startApp('stubborn');
    const t0 = Date.now();
    a.cli.child.kill('SIGTERM');
    const r = await within(a.cli.done, 20_000, 'stubborn');
    await assertNothingLeft(a, r);
    assert.ok(Date.now() - t0 >= 4000, 'the tree got its grace period first');
    assert.match(r.stderr, new RegExp(`still running 5 s after it was stopped \\(pid [\\d, ]*\\b${a.serverPid}\\b[\\d, ]*\\): killed \\(SIGKILL\\)`));
  });

  it('a command that exits leaving its server in the background: run stops the server before it returns', async () => {
    const a = await startApp('background');
    const r = await within(a.cli.done, 20_000, 'background');
    await assertNothingLeft(a, r);
    assert.match(r.stderr, new RegExp(`the command exited but left 1 process running \\(pid ${a.serverPid}\\); stopping it \\(SIGTERM\\)`));
    assert.equal(r.code, 0, 'the exit code is the command\'s own');
  });

  // On a terminal the command stays in the terminal's foreground group (Ctrl-C, Ctrl-Z reach it
  // directly). util-linux `script` gives stallscope a real pseudo-terminal.
  const onTerminal = process.platform === 'linux' ? false : 'needs a Linux pseudo-terminal (util-linux script)';

  it('on a terminal, Ctrl-C reaches the whole tree once (not doubled by stallscope), and nothing is left', { skip: onTerminal }, async () => {
    const t = startOnTerminal('graceful');
    const a = await t.started;
    assert.equal(processTable().find((p) => p.pid === a.stallscopePid)?.pgid, a.pgid, 'the command shares the terminal\'s foreground group with stallscope');
    t.type('\u0003');
    const r = await within(t.done, 20_000, 'Ctrl-C');
    assert.equal((r.stderr.match(/got SIGINT/g) ?? []).length, 1, `the server got one SIGINT: ${r.stderr}`);
    await assertNothingLeft(a, r, a.descendants);
  });

  it('on a terminal, SIGTERM to run stops every process it started, found by parent and by probe', { skip: onTerminal }, async () => {
    const t = startOnTerminal('start');
    const a = await t.started;
    process.kill(a.stallscopePid, 'SIGTERM');
    const r = await within(t.done, 20_000, 'SIGTERM on a terminal');
    await assertNothingLeft(a, r, a.descendants);
  });
});

interface OnTerminal {
  started: Promise<AppTree & { stallscopePid: number; descendants: number[] }>;
  done: Promise<CliResult>;
  type(text: string): void;
}

function startOnTerminal(script: string): OnTerminal {
  const env: NodeJS.ProcessEnv = { ...process.env, ...NPM_ENV, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  const command = `${process.execPath} ${CLI} run --quiet -- npm run --silent ${script}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: APP, env, stdio: 'pipe' });
  let out = '';
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.from(out), stderr: out /* a terminal has one stream */ })));
  const started = new Promise<AppTree & { stallscopePid: number; descendants: number[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no LISTENING on the terminal within 30 s: ${out}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+) (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const serverPid = Number(m[2]);
      const table = processTable();
      const under = (root: number): number[] => table.filter((p) => p.ppid === root).flatMap((p) => [p.pid, ...under(p.pid)]);
      const descendants = under(child.pid!);
      // Not the shell `script` started, which may fork rather than exec (its command line names the CLI too).
      const stallscopePid = descendants.find((pid) => cmdline(pid).includes(CLI) && executable(pid) === fs.realpathSync(process.execPath));
      assert.ok(stallscopePid, 'stallscope runs under script');
      const pgid = table.find((p) => p.pid === serverPid)!.pgid;
      resolve({ port: Number(m[1]), serverPid, pgid, stallscopePid, descendants: under(stallscopePid) });
    });
  });
  return { started, done, type: (text) => child.stdin.write(text) };
}

function executable(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
