/**
 * The probe's options: one env var (STALLSCOPE_OPTIONS) of JSON, the same for every runtime's probe,
 * and the one threshold rule both ends apply.
 */

/** The one env var that carries the probe's options (JSON of ProbeOptions). */
export const PROBE_OPTIONS_ENV = 'STALLSCOPE_OPTIONS';

export const DEFAULT_THRESHOLD_MS = 50;
export const MIN_THRESHOLD_MS = 10;
export const MAX_THRESHOLD_MS = 60_000;

/**
 * A threshold as every side uses it: whole milliseconds within MIN..MAX, the default when it is not a
 * number (a VS Code setting only warns about out-of-range values; an env var may hold anything).
 */
export function clampThreshold(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_THRESHOLD_MS;
  return Math.min(MAX_THRESHOLD_MS, Math.max(MIN_THRESHOLD_MS, Math.round(value)));
}

export interface ProbeOptions {
  /** ws://127.0.0.1:PORT/ of the host. Absent: the probe measures but has nowhere to send (it stays quiet). */
  url?: string;
  token?: string;
  thresholdMs?: number;
  /** An id the host chose for the run or debug session, echoed in hello so the host can match connections. */
  sessionId?: string;
  /** Capture stacks (default true). false = detection and lag only. */
  stacks?: boolean;
  /** Interval of the lag series (default 100 ms = 10 Hz). */
  lagIntervalMs?: number;
  /** When HTTP requests are carried across awaits (default `on-demand`). */
  requestContext?: RequestContextMode;
  /**
   * When GC pauses are recorded (to tell a stall caused by GC): `always`, or `on-demand` (default)
   * from the first stall a look could not explain. Recording costs CPU and grows V8's young
   * generation, which is why it is not on from the start.
   */
  gc?: GcMode;
}

export type GcMode = 'always' | 'on-demand';

/**
 * `always`: every request is tracked across awaits and timers from the start, so every stall it
 * causes is named by it. `on-demand`: only the handler's synchronous code is named for free; tracking
 * across awaits (AsyncLocalStorage, a per-request cost) starts after the first stall that needed it.
 */
export type RequestContextMode = 'always' | 'on-demand';
