/**
 * Real framework apps (test/apps/fixtures), started the way their users start them, under the real
 * built CLI. Their dependencies resolve from the repository's node_modules (pinned devDependencies);
 * the TypeScript ones are compiled by the real `tsc` with source maps, once, when their sources are
 * newer than their build.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Stall } from '../../src/shared/protocol/model';
import { parseReport, type Report } from '../../src/shared/protocol/report';
import { ROOT, startCli, tagLine, type CliResult } from '../cli/cliHarness';

export { ensureBuilt } from '../cli/cliHarness';

export const APPS = path.join(__dirname, 'fixtures');
export const app = (name: string, ...rest: string[]): string => path.join(APPS, name, ...rest);

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/** `tsc -p <app>` unless its build is newer than its sources and tsconfig. */
export function compileTs(name: string): Promise<void> {
  const dir = app(name);
  const build = path.join(dir, 'build');
  const sources = Math.max(newest(path.join(dir, 'src')), fs.statSync(path.join(dir, 'tsconfig.json')).mtimeMs);
  if (fs.existsSync(build) && newest(build) >= sources) return Promise.resolve();
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tsc -p ${dir} failed (${code}): ${out}`))));
  });
}

export function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ss-apps-')), name);
}

export function readReport(file: string): Report {
  const parsed = parseReport(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.ok) throw new Error(`bad report ${file}: ${parsed.error}`);
  return parsed.report;
}

export interface Requested {
  status: number;
  body: string;
}

export async function get(url: string): Promise<Requested> {
  const r = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  return { status: r.status, body: await r.text() };
}

export interface AppRun {
  result: CliResult;
  report: Report;
  /** What each request answered, in order. */
  answers: Requested[];
}

/** Between the requests of a group: the later ones arrive while the first blocks. */
const STAGGER_MS = 100;

/**
 * `stallscope run --out … -- <command>` in the app's folder; once the app says `listening on <url>`,
 * GETs each path in turn (a group of paths together, STAGGER_MS apart), then `shutdownPath`, which
 * makes the app exit by itself.
 */
export async function runApp(name: string, command: string[], paths: Array<string | string[]>, shutdownPath = '/shutdown', env?: NodeJS.ProcessEnv): Promise<AppRun> {
  const out = tmpFile('report.json');
  const run = startCli(['run', '--quiet', '--out', out, '--', ...command], { cwd: app(name), env });
  const answers: Requested[] = [];
  try {
    await run.waitForStdout(/listening on http:\/\/[\d.]+:\d+/, 60_000);
    const base = /listening on (http:\/\/[\d.]+:\d+)/.exec(run.stdoutText())![1];
    for (const p of paths) {
      if (typeof p === 'string') answers.push(await get(base + p));
      else answers.push(...(await Promise.all(p.map((q, i) => new Promise((r) => setTimeout(r, i * STAGGER_MS)).then(() => get(base + q))))));
    }
    await get(base + shutdownPath);
  } catch (e) {
    run.child.kill('SIGKILL');
    throw e;
  }
  const result = await run.done;
  return { result, report: readReport(out), answers };
}

/**
 * Node 24 (installed from npm by scripts/ensure-node24.sh, as for code-server): what only a newer
 * Node has, type stripping and an AsyncLocalStorage without async hooks, is tested on the real thing.
 */
export function node24(): string {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'ensure-node24.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/ensure-node24.sh failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

/** How a failed assertion shows the stalls it looked at. */
export function describeStalls(stalls: readonly Stall[]): string {
  return JSON.stringify(
    stalls.map((s) => ({ ms: Math.round(s.durationMs), handler: s.handler, culprit: s.culprit && `${s.culprit.file}:${s.culprit.line}`, cause: s.cause })),
    null,
    1,
  );
}

/** 1-based line of the `// @block` marker: where the app blocks. */
export const blockLine = (file: string): number => tagLine(file, 'block');
