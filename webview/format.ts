/**
 * Text for the timeline: durations, times, paths, causes and lane labels. Pure (no DOM), so the
 * unit tests and the layout modules share it. Every string built here from the user's program is
 * still untrusted: callers put it on screen with textContent only.
 */
import type { Cause, Frame, ProcessInfo, Stall } from '../src/shared/protocol';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s === 60 ? `${min + 1} min` : s ? `${min} min ${s} s` : `${min} min`;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

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

export interface SplitPath {
  base: string;
  /** The last two folders, `…/src/routes`; empty for `node:` ids. */
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
  const nm = folders.lastIndexOf('node_modules');
  if (nm >= 0 && folders[nm + 1]) {
    const pkg = folders[nm + 1].startsWith('@') && folders[nm + 2] ? `${folders[nm + 1]}/${folders[nm + 2]}` : folders[nm + 1];
    return { base, dir: `node_modules/${pkg}`, fullDir };
  }
  const dir = folders.length > 2 ? `…/${folders.slice(-2).join('/')}` : fullDir;
  return { base, dir, fullDir };
}

/** `report.js:42` */
export function frameLocation(frame: Frame): string {
  return `${splitPath(frame.file).base}:${frame.line}`;
}

export function functionName(frame: Frame): string {
  return frame.function || '(anonymous)';
}

export function causeText(cause: Cause | undefined): string {
  if (!cause) return 'unknown';
  switch (cause.kind) {
    case 'js':
      return cause.api ? `JavaScript on the CPU: ${cause.api}` : 'JavaScript on the CPU';
    case 'native':
      return cause.api ? `sync native call: ${cause.api}` : 'sync native call';
    case 'gc':
      return 'garbage collection';
  }
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

export function threadLabel(threadId: number, name?: string): string {
  if (threadId === 0) return 'main thread';
  return name ? `${name} (worker ${threadId})` : `worker ${threadId}`;
}

/** `main thread · pid 4242 (server.js)` */
export function stallThreadText(stall: Stall, process?: ProcessInfo): string {
  const where = process ? `pid ${stall.pid} (${shortArgv(process.argv, 32)})` : `pid ${stall.pid}`;
  return `${threadLabel(stall.thread.id, stall.thread.name)} · ${where}`;
}

/** One line naming a stall, for aria-labels and the list: `812 ms stall in GET /report at report.js:42`. */
export function stallSummary(stall: Stall, durationMs = stall.durationMs): string {
  const parts = [`${formatDuration(durationMs)}${stall.ongoing ? ' ongoing' : ''} stall`];
  if (stall.handler) parts.push(`in ${stall.handler.label}`);
  if (stall.culprit) parts.push(`at ${frameLocation(stall.culprit)}`);
  return parts.join(' ');
}
