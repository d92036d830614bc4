/**
 * Runs real Python programs under the real built CLI (`node dist/cli.js run -- …`), so the Python
 * probe is loaded exactly as users get it: dist/python first on PYTHONPATH, options in
 * STALLSCOPE_OPTIONS, the host's probe server on loopback. Reads the JSON report it writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Stall } from '../../src/shared/protocol/model';
import type { Report } from '../../src/shared/protocol/report';
import { ROOT, VENV_PYTHON, ensurePythonTools, lineOf } from './fixtures-tools/pythonEnv';

export { ROOT, VENV_PYTHON, ensurePythonTools, lineOf };
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const APPS = path.join(__dirname, 'apps');
export const FASTAPI_APP = path.join(APPS, 'fastapi_app.py');
export const PYENV = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions');
export const PY39 = path.join(PYENV, '3.9.18', 'bin', 'python');
export const PY313 = path.join(PYENV, '3.13.0', 'bin', 'python');
export const PY38 = path.join(PYENV, '3.8.18', 'bin', 'python');

export interface Truth {
  name: string;
  startMs: number;
  durationMs: number;
}

export interface ProbedRun {
  child: ChildProcess;
  /** stdout + stderr so far (the CLI's and the program's). */
  output(): string;
  stdout(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the CLI's exit once the command ended and the report was written. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to the CLI (passed on to the command), then the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  report(): Report;
  truths(): Truth[];
}

/** A clean environment for the program: no inherited probe variables, no test-runner NODE_OPTIONS. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...extra };
  delete env.NODE_OPTIONS;
  delete env.STALLSCOPE_OPTIONS;
  if (!('PYTHONPATH' in extra)) delete env.PYTHONPATH;
  delete env.FORCE_COLOR;
  return env;
}

export function runProbed(command: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; cliArgs?: string[] } = {}): ProbedRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stallscope-py-'));
  const out = path.join(dir, 'report.json');
  const child = spawn(process.execPath, [CLI, 'run', '-q', '-o', out, ...(o.cliArgs ?? []), '--', ...command], {
    cwd: o.cwd ?? APPS,
    env: cleanEnv(o.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let all = '';
  let stdout = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer, isOut: boolean) => {
    all += d.toString();
    if (isOut) stdout += d.toString();
    for (const w of waiters) w();
  };
  child.stdout!.on('data', (d: Buffer) => onData(d, true));
  child.stderr!.on('data', (d: Buffer) => onData(d, false));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const waitFor = (re: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(all);
        if (m) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${re}; output:\n${all}`));
      }, timeoutMs);
      waiters.add(check);
      check();
      void done.then(() => {
        if (waiters.has(check)) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`the run ended before ${re}; output:\n${all}`));
        }
      });
    });
  return {
    child,
    output: () => all,
    stdout: () => stdout,
    waitFor,
    done,
    stop: () => {
      child.kill('SIGTERM');
      return done;
    },
    report: () => JSON.parse(fs.readFileSync(out, 'utf8')) as Report,
    truths: () => [...all.matchAll(/^TRUTH (.*)$/gm)].map((m) => JSON.parse(m[1]) as Truth),
  };
}

/**
 * uvicorn under the probe (`python -m uvicorn fastapi_app:app --port 0 <args>`, or `command`), ready
 * to serve: its port (from its own log line) answers GET /health,
 * and every server process it starts (`--workers N`: N of them) has finished its start-up — the
 * supervisor prints its port before its spawned workers have even imported the app, and a worker
 * still starting when a test stops the run has had no chance to report.
 */
export async function startUvicorn(
  args: string[],
  o: { python?: string; env?: NodeJS.ProcessEnv; command?: string[] } = {},
): Promise<{ run: ProbedRun; port: number }> {
  const run = runProbed(o.command ?? [o.python ?? VENV_PYTHON, '-m', 'uvicorn', 'fastapi_app:app', '--port', '0', ...args], { env: o.env });
  const m = await run.waitFor(/Uvicorn running on http:\/\/127\.0\.0\.1:(\d+)/);
  const port = Number(m[1]);
  const workers = args.includes('--workers') ? Number(args[args.indexOf('--workers') + 1]) : 1;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const started = run.output().split('Application startup complete').length - 1;
    try {
      if (started >= workers && (await get(port, '/health')).status === 200) break;
    } catch {
      // workers not serving yet
    }
    if (Date.now() > deadline) throw new Error(`uvicorn never answered on ${port} (${started} of ${workers} started):\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // The probe of the last one to start looks for its listening socket within its first 50 ms.
  await new Promise((r) => setTimeout(r, 300));
  return { run, port };
}

/** One GET on a fresh connection: its status and how long it took. */
export function get(port: number, p: string, timeoutMs = 30_000): Promise<{ status: number; ms: number; body: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${p} timed out`)));
    req.on('error', (err) => reject(new Error(`GET ${p}: ${err.message}`)));
  });
}

/** The stall whose time span covers the truth's (the stall holds the whole callback around the call). */
export function stallFor(stalls: Stall[], t: Truth): Stall | undefined {
  return stalls.find((s) => s.startMs <= t.startMs + 5 && s.startMs + s.durationMs >= t.startMs + t.durationMs - 5);
}

/** Whether a process is still there. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every pid of the run's tree the report knows, and the CLI's own child. */
export function treePids(run: ProbedRun): number[] {
  const pids = new Set<number>(run.report().processes?.map((p) => p.pid) ?? []);
  return [...pids];
}
