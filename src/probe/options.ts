/**
 * The probe's options, read once from STALLSCOPE_OPTIONS and normalised. A malformed value never
 * throws: it makes the probe inert (no url = nowhere to report = do nothing).
 */
import { DEFAULT_THRESHOLD_MS, MAX_THRESHOLD_MS, MIN_THRESHOLD_MS, PROBE_OPTIONS_ENV, type GcMode, type ProbeOptions, type RequestContextMode } from '../shared/protocol';

/** worker_threads environment-data key under which the main thread passes its options to workers. */
export const OPTIONS_ENV_DATA = 'stallscope.options';

export interface ResolvedOptions {
  url: string | undefined;
  token: string;
  sessionId: string | undefined;
  thresholdMs: number;
  stacks: boolean;
  lagIntervalMs: number;
  /** Main-thread heartbeat period: fast enough that a normal beat gap stays well under the threshold. */
  heartbeatMs: number;
  requestContext: RequestContextMode;
  gc: GcMode;
}

export function clampThreshold(ms: unknown): number {
  const n = typeof ms === 'number' && Number.isFinite(ms) ? ms : DEFAULT_THRESHOLD_MS;
  return Math.min(MAX_THRESHOLD_MS, Math.max(MIN_THRESHOLD_MS, n));
}

/** 10 ms by default; a fifth of the threshold when the threshold is low, so a 10 ms threshold still sees 5 beats. */
export function heartbeatFor(thresholdMs: number): number {
  return Math.min(10, Math.max(2, thresholdMs / 5));
}

export function resolveOptions(raw: string | undefined): ResolvedOptions {
  let o: ProbeOptions = {};
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) o = parsed as ProbeOptions;
  } catch {
    o = {};
  }
  const url = typeof o.url === 'string' && /^wss?:\/\//.test(o.url) ? o.url : undefined;
  const thresholdMs = clampThreshold(o.thresholdMs);
  const lag = typeof o.lagIntervalMs === 'number' && Number.isFinite(o.lagIntervalMs) ? o.lagIntervalMs : 100;
  return {
    url,
    token: typeof o.token === 'string' ? o.token : '',
    sessionId: typeof o.sessionId === 'string' ? o.sessionId : undefined,
    thresholdMs,
    stacks: o.stacks !== false,
    lagIntervalMs: Math.min(10_000, Math.max(20, lag)),
    heartbeatMs: heartbeatFor(thresholdMs),
    requestContext: o.requestContext === 'always' ? 'always' : 'on-demand',
    gc: o.gc === 'always' ? 'always' : 'on-demand',
  };
}

export function readOptions(): ResolvedOptions {
  return resolveOptions(process.env[PROBE_OPTIONS_ENV]);
}
