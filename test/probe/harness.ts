/**
 * Test harness for the probe: a real ProbeServer + Recording (the same host pieces the CLI and the
 * extension use), real `node` processes started with the composed env (withProbe + dist/probe.js),
 * and helpers to read the fixtures' ground truth and expected culprit tags.
 *
 * Importable by the bench (see accuracy.ts): nothing here asserts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ProbeFeed } from '../../src/core/probeFeed';
import { ProbeServer, type ProbeConnection, type RefusalKind } from '../../src/core/probeServer';
import { withProbe, type Env } from '../../src/core/probeEnv';
import { Recording } from '../../src/core/recording';
import type { Stall } from '../../src/shared/protocol/model';
import type { ProbeOptions } from '../../src/shared/protocol/options';
import type { ProbeData } from '../../src/shared/protocol/probeMessages';

export const ROOT = resolve(__dirname, '..', '..');
export const PROBE = join(ROOT, 'dist', 'probe.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

function newestMtime(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return t;
}

/**
 * Builds dist/probe.js with the project's own esbuild.mjs if it is missing or older than its sources,
 * so the tests always run the bundle that ships. A failing build fails the tests, with its output.
 */
export function ensureProbeBuilt(): void {
  const sources = Math.max(newestMtime(join(ROOT, 'src', 'probe')), newestMtime(join(ROOT, 'src', 'shared')));
  if (existsSync(PROBE) && statSync(PROBE).mtimeMs >= sources) return;
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(PROBE)) throw new Error(`node esbuild.mjs failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

export interface Received {
  /** Host clock (epoch ms) when the message arrived. */
  atMs: number;
  pid: number;
  msg: ProbeData;
}

export class ProbeHost {
  readonly recording = new Recording({ flushMs: 10 });
  readonly connections: ProbeConnection[] = [];
  readonly received: Received[] = [];
  readonly disconnected: number[] = [];
  readonly refused: Array<{ kind: RefusalKind; detail: string }> = [];
  readonly token: string;

  private readonly feed: ProbeFeed;

  private constructor(readonly server: ProbeServer) {
    this.token = server.issueToken('test');
    // The recording is fed as the CLI and the extension feed theirs; the lists below are the test's own view.
    this.feed = new ProbeFeed(server, { recordingFor: () => this.recording });
    server.on('connection', (c) => this.connections.push(c));
    server.on('message', (c, m) => this.received.push({ atMs: Date.now(), pid: c.hello.pid, msg: m }));
    server.on('disconnect', (c) => this.disconnected.push(c.hello.pid));
    server.on('refused', (kind, detail) => this.refused.push({ kind, detail }));
  }

  static async start(): Promise<ProbeHost> {
    return new ProbeHost(await ProbeServer.start());
  }

  get url(): string {
    return this.server.url;
  }

  /** Final (not ongoing) stalls, optionally of one pid. */
  stalls(pid?: number): Stall[] {
    return this.recording.stalls.filter((s) => !s.ongoing && (pid === undefined || s.pid === pid));
  }

  messages<T extends Received['msg']['type']>(type: T, pid?: number): Array<Received & { msg: Extract<Received['msg'], { type: T }> }> {
    return this.received.filter((r) => r.msg.type === type && (pid === undefined || r.pid === pid)) as Array<
      Received & { msg: Extract<Received['msg'], { type: T }> }
    >;
  }

  async close(): Promise<void> {
    this.feed.dispose();
    this.recording.dispose();
    await this.server.close();
  }
}

export interface Truth {
  kind: string;
  startMs: number;
  durationMs: number;
  pid: number;
  [k: string]: unknown;
}

export interface SpawnOptions {
  /** The host to report to; null = probe injected without a url; undefined = no probe at all. */
  host?: ProbeHost | null;
  probe?: Partial<ProbeOptions>;
  env?: Env;
  nodeArgs?: string[];
  cwd?: string;
}

export class Probed {
  readonly child: ChildProcess;
  readonly truthFile: string;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  readonly startedAtMs = Date.now();

  constructor(script: string, args: string[], o: SpawnOptions) {
    this.truthFile = join(mkdtempSync(join(tmpdir(), 'stallscope-truth-')), 'truth.jsonl');
    let env: Env = { ...process.env, STALLSCOPE_TRUTH: this.truthFile, ...o.env };
    delete env.NODE_OPTIONS; // the test runner's own (tsx) must not leak into fixtures
    if (o.host !== undefined) {
      const options: ProbeOptions = { ...(o.host ? { url: o.host.url, token: o.host.token } : {}), thresholdMs: 50, ...o.probe };
      env = withProbe(env, PROBE, options);
    }
    this.child = spawn(process.execPath, [...(o.nodeArgs ?? []), script, ...args], {
      cwd: o.cwd ?? FIXTURES,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((res) => this.child.on('exit', (code, signal) => res({ code, signal, atMs: Date.now() })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  truth(): Truth[] {
    if (!existsSync(this.truthFile)) return [];
    return readFileSync(this.truthFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Truth);
  }

  /** Resolves with the first stdout match of `re`. */
  waitForOutput(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return waitFor(() => this.stdout.match(re) ?? undefined, timeoutMs, `output ${re} (stdout: ${this.stdout.slice(-300)} stderr: ${this.stderr.slice(-500)})`);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export function spawnProbed(script: string, args: string[] = [], o: SpawnOptions = {}): Probed {
  return new Probed(script, args, o);
}

export async function waitFor<T>(probe: () => T | undefined | false | null, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolveGet, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolveGet(body));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Expected {
  file: string;
  line: number;
  column: number;
}

/**
 * The culprit a fixture expects for `tag`: the line carrying `// @L:<tag>^<anchor>`, at the column of
 * the last occurrence of <anchor> in the code before the comment. Read from the source, never hard-coded.
 */
export function expectedLocation(file: string, tag: string): Expected {
  const lines = readFileSync(file, 'utf8').split('\n');
  const marker = new RegExp(`(?://|/\\*)\\s*@L:${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\^(\\S+)`);
  for (let i = 0; i < lines.length; i++) {
    const m = marker.exec(lines[i]);
    if (!m) continue;
    const code = lines[i].slice(0, m.index);
    const col = code.lastIndexOf(m[1]);
    if (col < 0) throw new Error(`${file}:${i + 1}: anchor "${m[1]}" not found before the tag`);
    return { file, line: i + 1, column: col + 1 };
  }
  throw new Error(`${file}: no tag @L:${tag}`);
}

/** The final stall whose time span overlaps the ground-truth block the most. */
export function stallFor(stalls: readonly Stall[], t: Truth): Stall | undefined {
  let best: Stall | undefined;
  let bestOverlap = 0;
  for (const s of stalls) {
    if (s.pid !== t.pid) continue;
    const overlap = Math.min(s.startMs + s.durationMs, t.startMs + t.durationMs) - Math.max(s.startMs, t.startMs);
    if (overlap > bestOverlap) {
      best = s;
      bestOverlap = overlap;
    }
  }
  return best;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
