/**
 * Starting the watchdog thread, and the contract between it and the thread that started it: what it
 * is handed (WatchdogData) and the messages both ways. Used by the main thread's probe and by
 * `stallscope/testing`, which runs the same watchdog in process.
 */
import { Worker } from 'node:worker_threads';
import { removeRequire } from '../shared/nodeOptions';
import type { BackToBack, ListeningServer, Victim } from '../shared/protocol/model';
import { PROBE_OPTIONS_ENV } from '../shared/protocol/options';
import { observeGc, type Heartbeat } from './heartbeat';
import type { ResolvedOptions } from './options';

/** In the watchdog's workerData: the probe file is also the watchdog's script, and this tells it its role. */
export const WATCHDOG_MARKER = 'stallscope.watchdog.v1';
/**
 * The watchdog's thread name. A debugger lists every worker thread, this one too (VS Code's Call
 * Stack shows `[worker 1] <name>`): js-debug attaches to each worker the inspector announces and
 * has no way to leave one out, so the name says what it is.
 */
export const WATCHDOG_THREAD_NAME = 'Stallscope watchdog (stall probe, not your code)';

export interface WatchdogData {
  sab: SharedArrayBuffer;
  /**
   * `stallscope/testing`: no host; messages go to the parent thread (parentPort), which also asks
   * for flushes; no user worker threads are watched and the heartbeat never parks.
   */
  inProcess?: { snapshotKey: string };
  epochOffset: number;
  options: ResolvedOptions;
  argv: string[];
  cwd: string;
  probeFile: string;
  startedAtMs: number;
  /** Why stacks cannot be captured (lag-only), if so. */
  lagOnlyReason?: string;
}

/** Messages the main thread's probe posts to the watchdog. */
export type MainToWatchdog =
  | { type: 'listening'; server: Omit<ListeningServer, 'pid'> }
  | { type: 'notice'; level: 'info' | 'warn'; message: string }
  /** The requests held up by the stall that began after the heartbeat `prevBeat` (see requestLog). */
  | { type: 'victims'; prevBeat: number; victims: Victim[]; backToBack?: BackToBack[] }
  /** In process (stallscope/testing): a new threshold, and a request to report everything seen so far. */
  | { type: 'configure'; thresholdMs: number }
  | { type: 'flush'; id: number };

/** What the watchdog posts to the parent thread: `unpark` (the probe), the rest in process (stallscope/testing), besides its stalls. */
export type WatchdogToParent = { type: 'ready' } | { type: 'flushed'; id: number } | { type: 'unpark' };

export function isWatchdogToParent(m: unknown): m is WatchdogToParent {
  const type = m && typeof m === 'object' ? (m as { type?: unknown }).type : undefined;
  return type === 'ready' || type === 'unpark' || (type === 'flushed' && typeof (m as { id?: unknown }).id === 'number');
}

/** The env for our own worker: no probe options, no --require of the probe (belt and braces; the marker guards). */
export function cleanEnv(env: NodeJS.ProcessEnv, probeFile: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  delete out[PROBE_OPTIONS_ENV];
  for (const key of Object.keys(out)) {
    if (key.toUpperCase() !== 'NODE_OPTIONS') continue;
    const cleaned = removeRequire(out[key], probeFile);
    if (cleaned) out[key] = cleaned;
    else delete out[key];
  }
  return out;
}

/** What the watchdog needs to know; with `gc: 'always'`, GC pauses are recorded from now on. */
export function prepareWatchdog(hb: Heartbeat, epochOffset: number, options: ResolvedOptions, script: string): WatchdogData {
  if (options.gc === 'always') observeGc(hb.writer, epochOffset);
  return { sab: hb.sab, epochOffset, options, argv: process.argv.slice(), cwd: safeCwd(), probeFile: script, startedAtMs: performance.timeOrigin };
}

/**
 * The watchdog thread, running `script` with `data` under `marker` in its workerData (how the script
 * knows its role). Throws where workers are not allowed (the permission model).
 */
export function spawnWatchdog(script: string, marker: string, data: WatchdogData, name: string): Worker {
  return new Worker(script, {
    workerData: { [marker]: data },
    execArgv: [],
    env: cleanEnv(process.env, script),
    stdout: false,
    stderr: false,
    // The watchdog holds little: bound its heap so its footprint stays small.
    resourceLimits: { maxOldGenerationSizeMb: 48 },
    name,
  } as ConstructorParameters<typeof Worker>[1]);
}

function safeCwd(): string {
  try {
    return process.cwd();
  } catch {
    return '';
  }
}
