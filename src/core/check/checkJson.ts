/**
 * `stallscope check --json`: the machine-readable verdicts, in the shape the issue fixed:
 * `{ version: 1, endpoints: [{ endpoint, verdict, maxStallMs, stalls, culprits, canaryP99Ms, canaryIdleP99Ms }] }`.
 * Durations are rounded to 0.1 ms; a canary figure is null when there was no canary (or no sample).
 * An endpoint whose requests failed under load also carries `error` (the run then exits 2).
 */
import { endpointName } from './endpoint';
import type { CheckResult } from './runCheck';
import type { Verdict } from './verdict';

export const CHECK_JSON_VERSION = 1;

export interface CheckJson {
  version: typeof CHECK_JSON_VERSION;
  endpoints: CheckJsonEndpoint[];
}

export interface CheckJsonEndpoint {
  endpoint: string;
  /** The label its stalls carry when the probe knew the framework's route: `GET /users/:id` for `GET /users/42`. */
  handler?: string;
  verdict: Verdict;
  maxStallMs: number;
  stalls: number;
  culprits: Array<{ file: string; line: number; function: string; totalMs: number }>;
  canaryP99Ms: number | null;
  canaryIdleP99Ms: number | null;
  error?: string;
  /** Python: what its blocking was, or what its requests paid instead, in a FastAPI user's words. */
  findings?: string[];
  /** The server was still busy with its load when the wait for it ran out (see --catch-up). */
  backlog?: string;
}

export function toCheckJson(r: CheckResult): CheckJson {
  const idle = finite(r.canaryIdle?.p99Ms);
  return {
    version: CHECK_JSON_VERSION,
    endpoints: r.endpoints.map((e) => ({
      endpoint: endpointName(e.endpoint),
      ...routeLabel(e),
      verdict: e.verdict,
      maxStallMs: round1(e.maxStallMs),
      stalls: e.stalls.length,
      culprits: e.culprits.map(({ file, line, function: fn, totalMs }) => ({ file, line, function: fn, totalMs })),
      canaryP99Ms: finite(e.canary?.p99Ms),
      canaryIdleP99Ms: idle,
      ...(e.error ? { error: e.error } : {}),
      ...(e.findings ? { findings: e.findings } : {}),
      ...(e.catchUp && !e.catchUp.caughtUp ? { backlog: e.catchUp.pending ?? 'still busy' } : {}),
    })),
  };
}

function routeLabel(e: CheckResult['endpoints'][number]): { handler?: string } {
  const label = e.stalls.find((s) => s.handler?.route !== undefined)?.handler?.label;
  return label !== undefined && label !== e.endpoint.label ? { handler: label } : {};
}

function finite(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? round1(x) : null;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
