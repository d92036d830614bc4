/**
 * Runs the real built CLI (dist/cli.js, with the real dist/probe.js beside it) as a child process.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const PROBE = path.join(ROOT, 'dist', 'probe.js');
export const FIXTURES = path.join(__dirname, 'fixtures');

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** `npm test` builds first; a direct `node --test test/cli/...` run rebuilds when the bundles are stale. */
export function ensureBuilt(): void {
  const src = Math.max(newest(path.join(ROOT, 'src')));
  const built = (f: string) => fs.existsSync(f) && fs.statSync(f).mtimeMs >= src;
  if (built(CLI) && built(PROBE) && built(path.join(ROOT, 'dist', 'checkWorker.js'))) return;
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Resolves when stdout has shown `re`. */
  waitForStdout(re: RegExp, timeoutMs?: number): Promise<void>;
  /** stdout so far. */
  stdoutText(): string;
}

export function startCli(args: string[], o: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliRun {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...o.env };
  delete env.FORCE_COLOR;
  delete env.NODE_OPTIONS; // the test runner's own (tsx) must not leak into the programs under test
  const child = spawn(process.execPath, [CLI, ...args], { cwd: o.cwd ?? FIXTURES, env, stdio: 'pipe' });
  const out: Buffer[] = [];
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    out.push(d);
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d) => (err += d));
  if (o.input !== undefined) child.stdin.end(o.input);
  else child.stdin.end();
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err })),
  );
  const waitForStdout = (re: RegExp, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (re.test(Buffer.concat(out).toString())) {
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} on stdout; stderr: ${err}`)), timeoutMs);
      waiters.push(check);
      check();
    });
  return { child, done, waitForStdout, stdoutText: () => Buffer.concat(out).toString() };
}

export function runCli(args: string[], o: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return startCli(args, o).done;
}

/** 1-based line of the `// @tag` marker in a fixture. */
export function tagLine(file: string, tag: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`// @${tag}`) && new RegExp(`// @${tag}\\b`).test(l));
  if (i < 0) throw new Error(`no // @${tag} in ${file}`);
  return i + 1;
}

export function truths(stderr: string): Array<{ startMs: number; durationMs: number }> {
  return [...stderr.matchAll(/^TRUTH (.*)$/gm)].map((m) => JSON.parse(m[1]));
}
