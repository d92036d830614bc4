/**
 * The probe's options, read once from STALLSCOPE_OPTIONS and normalised. A malformed value never
 * throws: it makes the probe inert (no url = nowhere to report = do nothing).
 */
import { PROBE_OPTIONS_ENV, clampThreshold, type GcMode, type ProbeOptions, type RequestContextMode } from '../shared/protocol/options';

// The threshold rule has one home, shared with the host; the probe's modules import it from here.
export { clampThreshold };

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
