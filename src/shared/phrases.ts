/**
 * How Stallscope says things: a duration, a cause, a handler, a victim list, a stall, a thread, a
 * path. One home for every phrase, so the CLI, the editor (inline text and hover), the status bar
 * and the timeline say the same thing the same way. Pure (no DOM, no Node, no vscode).
 *
 * Strings built here from the user's program stay untrusted: callers render them as text.
 */
import { packageOf } from './codeOrigin';
import { longestOngoing, type Cause, type Frame, type Handler, type ProcessInfo, type Runtime, type Stall } from './protocol/model';
import { summarizeVictims } from './victims';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `0.4 ms`, `212 ms`, `1.62 s`, `12.3 s`, `2 min 05 s`: precise where it matters, short where it does not. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
}

/** Wall-clock time of day with milliseconds, in the user's time zone: `14:03:07.250`. */
export function formatClock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Offset from the start of the session: `+1:02.345`, `+1:02:03`. */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  const abs = Math.abs(ms);
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = (abs % 60_000) / 1000;
  if (h) return `${sign}${h}:${pad(m)}:${pad(Math.floor(s))}`;
  return `${sign}${m}:${s.toFixed(3).padStart(6, '0')}`;
}

/** `3 stalls`, `1 process`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What blocked the loop: `JavaScript on the CPU`, `Python on the CPU`, `sync native call: pbkdf2Sync`,
 * `sync native call holding the GIL: hashlib.pbkdf2_hmac`, `garbage collection`,
 * `the GIL, held by thread cruncher`.
 */
export function causeText(cause: Cause | undefined): string {
  if (!cause) return 'unknown';
  const api = cause.api ? `: ${cause.api}` : '';
  switch (cause.kind) {
    case 'js':
      return `JavaScript on the CPU${api}`;
    case 'python':
      return `Python on the CPU${api}`;
    case 'native':
      return `sync native call${cause.holdsGil ? ' holding the GIL' : ''}${api}`;
    case 'gc':
      return 'garbage collection';
    case 'gil':
      return cause.thread ? `the GIL, held by thread ${cause.thread.name ?? cause.thread.id}` : 'the GIL, held by another thread';
  }
}

/** A handler as a person reads it: the route pattern, and the requested path beside it when it says more. */
export function handlerText(handler: Handler): string {
  if (handler.kind === 'http' && handler.route && handler.path && handler.path !== handler.route) return `${handler.label} (${handler.path})`;
  return handler.label;
}

/**
 * "delayed 37 requests, 3 of them GET /health": the requests other than the stall's own handler are
 * the news (a slow endpoint delaying itself is expected; delaying the health check is not).
 * Undefined when the stall delayed no request.
 */
export function victimsPhrase(stall: Pick<Stall, 'victims' | 'handler'>): string | undefined {
  const s = summarizeVictims(stall.victims);
  if (!s.total) return undefined;
  const head = `delayed ${plural(s.total, 'request')}`;
  if (s.groups.length === 1) return `${head} (${s.total > 1 ? 'all ' : ''}${s.groups[0].label})`;
  const own = stall.handler?.label;
  const others = s.groups.filter((g) => g.label !== own);
  const named = others.slice(0, 2).map((g) => `${g.count} of them ${g.label}`);
  return `${head}, ${named.join(', ')}${others.length > 2 ? ', …' : ''}`;
}

/**
 * "14 requests of GET /hash back to back, ~150 ms each": a long stall that was many handlers in one
 * loop turn (queued requests, each blocking in turn) rather than one slow call. The label with the
 * most requests is named; others are counted. Undefined unless at least two handlers ran.
 */
export function backToBackPhrase(stall: Pick<Stall, 'backToBack'>): string | undefined {
  const runs = [...(stall.backToBack ?? [])].sort((a, b) => b.count - a.count);
  const total = runs.reduce((n, r) => n + r.count, 0);
  if (total < 2) return undefined;
  const top = runs[0];
  const each = top.eachMs !== undefined && top.count > 1 ? `, ~${formatDuration(top.eachMs)} each` : '';
  const head = top.count > 1 ? `${top.count} requests of ${top.label} back to back${each}` : `${plural(total, 'request')} back to back`;
  const rest = total - top.count;
  return top.count > 1 && rest > 0 ? `${head} (+${plural(rest, 'other request')})` : head;
}

/** One line naming a stall, for aria-labels, lists and notifications: `812 ms stall in GET /report at report.js:42`. */
export function stallSummary(stall: Stall, durationMs = stall.durationMs): string {
  const parts = [`${formatDuration(durationMs)}${stall.ongoing ? ' ongoing' : ''} stall`];
  if (stall.handler) parts.push(`in ${stall.handler.label}`);
  if (stall.culprit) parts.push(`at ${frameLocation(stall.culprit)}`);
  return parts.join(' ');
}

/**
 * `its event loop is blocked: 5.01 s ongoing stall in GET /x at app.py:15 (sync native call holding the GIL)`:
 * said where a program does not answer or does not stop, if a stall going on is why. Undefined otherwise.
 */
export function blockedNowText(stalls: readonly Stall[], nowMs: number): string | undefined {
  const hung = longestOngoing(stalls);
  return hung && `its event loop is blocked: ${stallSummary(hung, nowMs - hung.startMs)} (${causeText(hung.cause)})`;
}

/** How the probe gets into a program: said where no probe reported. */
export const PROBE_REACH = 'the probe loads into Node.js processes through NODE_OPTIONS and into Python asyncio programs through PYTHONPATH';

/** What stands in for the culprit of a stall without a frame in the user's code. */
export function noCulpritText(stall: Pick<Stall, 'frames'>): string {
  return stall.frames.length ? 'no frame in your code' : 'no stack captured';
}

/** `Node 22.4.0`, `Python 3.12.3`. */
export function runtimeText(runtime: Runtime): string {
  return `${runtime.name === 'python' ? 'Python' : 'Node'} ${runtime.version}`;
}

export function threadLabel(threadId: number, name?: string): string {
  if (threadId === 0) return 'main thread';
  return name ? `${name} (worker ${threadId})` : `worker ${threadId}`;
}

/** `main thread · pid 4242 (server.js)` */
export function stallThreadText(stall: Stall, process?: ProcessInfo): string {
  const where = process ? `pid ${stall.pid} (${shortArgv(process.argv, 32)})` : `pid ${stall.pid}`;
  return `${threadLabel(stall.thread.id, stall.thread.name)} · ${where}`;
}

export interface SplitPath {
  base: string;
  /** The last two folders, `…/src/routes`; empty for runtime ids such as `node:fs`. */
  dir: string;
  /** The whole folder path, for a tooltip. */
  fullDir: string;
}

/** Splits `/home/u/app/src/routes/report.js` into `report.js` and `…/src/routes` (POSIX or Windows paths). */
export function splitPath(file: string): SplitPath {
  if (file.startsWith('node:')) return { base: file, dir: '', fullDir: '' };
  const parts = file.split(/[\\/]/);
  const base = parts.pop() ?? file;
  const fullDir = parts.join('/');
  const folders = parts.filter((p) => p !== '');
  // In a dependency, the package says more than its folders: `express` rather than `…/lib/router`.
  const pkg = packageOf(file);
  if (pkg && pkg.path.includes('/')) return { base, dir: `${pkg.folder}/${pkg.name}`, fullDir };
  const dir = folders.length > 2 ? `…/${folders.slice(-2).join('/')}` : fullDir;
  return { base, dir, fullDir };
}

/**
 * `in a dependency: fastapi/encoders.py:259 jsonable_encoder`, for a stall with none of the user's frames: its
 * innermost frame in a dependency (the library code the user called, rather than the standard library's
 * `dataclasses.py` it was in); undefined without one.
 */
export function dependencyText(frames: readonly Frame[]): string | undefined {
  for (const f of frames) {
    const dependency = packageOf(f.file);
    if (dependency) return `in a dependency: ${dependency.path}:${f.line} ${functionName(f)}`;
  }
  return undefined;
}

/** `report.js:42` */
export function frameLocation(frame: Frame): string {
  return `${splitPath(frame.file).base}:${frame.line}`;
}

export function functionName(frame: Frame): string {
  return frame.function || '(anonymous)';
}

/** Node options that take a value as the next argument. */
const VALUE_FLAGS = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-e', '--eval', '-p', '--print', '--env-file', '--conditions', '-C', '--inspect-port', '--title']);

/**
 * `server.js --port 3000` from `['/usr/bin/node', '--enable-source-maps', '/srv/app/server.js', '--port', '3000']`:
 * the script's name and its arguments, without Node's own options.
 */
export function shortArgv(argv: readonly string[], maxLength = 48): string {
  let i = 1;
  while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '--') i += VALUE_FLAGS.has(argv[i]) ? 2 : 1;
  if (argv[i] === '--') i++;
  const rest = argv.slice(i);
  const text = rest.length ? [splitPath(rest[0]).base, ...rest.slice(1)].join(' ') : argv[0] ? splitPath(argv[0]).base : 'node';
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
