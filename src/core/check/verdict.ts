/**
 * The verdict for one endpoint, from the evidence its load phase left behind. Pure: the engine
 * hands in the phase's time window, every stall the probe reported and the canary's samples.
 *
 * The rule, stated in `stallscope check --help` and the README: an endpoint is `blocking` when at
 * least one stall (the loop blocked for the threshold or longer) ran in its handler while it was
 * under load. Which stalls those are is attribution.ts's one rule (its request, followed through
 * `await`s and timers it scheduled; matched by path and route; garbage collection set apart). The
 * canary is corroboration, not the judge: a busy machine can slow the canary without any stall, and
 * a short stall can slip between canary requests.
 */
import { groupByCulprit } from '../culprits';
import { causeText, noCulpritText } from '../../shared/phrases';
import type { LagSample, Stall } from '../../shared/protocol/model';
import { endpointStalls, type ExcusedStall } from './attribution';
import { endpointName, type Endpoint } from './endpoint';
import { findingText, poolUse, pythonFindings, threadpoolText, type PoolUse } from './pythonVerdict';
import { percentile } from './percentile';
import type { LoadResult } from './workerProtocol';

export type Verdict = 'blocking' | 'non-blocking';

export interface CanarySample {
  sentMs: number;
  latencyMs: number;
  status?: number;
  error?: string;
}

export interface CanaryStats {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Failed requests (no answer, or a status that is not 2xx/3xx). */
  failed: number;
}

export interface EndpointCulprit {
  file: string;
  line: number;
  function: string;
  totalMs: number;
  count: number;
}

export interface PhaseWindow {
  /** When the load began (epoch ms). */
  startMs: number;
  /** When the load ended. */
  loadEndMs: number;
  /** End of the settling time after the load: stalls still starting until then belong to the phase. */
  endMs: number;
}

export interface EndpointResult {
  endpoint: Endpoint;
  verdict: Verdict;
  /** The stalls in this endpoint's handler during its phase, longest first: what every count counts. */
  stalls: Stall[];
  /** Stalls in its handler during its phase that are not its doing (see attribution's excuse), longest first. */
  excused: ExcusedStall[];
  /** The route pattern its stalls were handled by (`/users/:id`), when the probe knew it. */
  route?: string;
  maxStallMs: number;
  p99StallMs: number;
  totalStallMs: number;
  culprits: EndpointCulprit[];
  /** Stalls during the phase in other handlers (background timers, the canary, …), by label. */
  otherStalls: Array<{ label: string; count: number; maxMs: number }>;
  /** null without a canary. */
  canary: CanaryStats | null;
  load: LoadResult | undefined;
  phase: PhaseWindow;
  overBudget: boolean;
  /** Why the endpoint's own requests failed under load, if they did. */
  error?: string;
  /** Python: what its blocking was (or what its requests paid instead), in a FastAPI user's words. */
  findings?: string[];
  /** Python: the threadpool's occupancy under its load. */
  pool?: PoolUse;
  /** How long after its load the server took to catch up with it, and whether it did within the limit. */
  catchUp?: CatchUp;
}

export interface CatchUp {
  ms: number;
  caughtUp: boolean;
  /** What was still going on when the limit was reached. */
  pending?: string;
}

export interface JudgeInput {
  endpoint: Endpoint;
  phase: PhaseWindow;
  stalls: readonly Stall[];
  canary: readonly CanarySample[] | null;
  /** Canary samples sent this long after the load began are the first counted (its connections warm up first). */
  canaryWarmupMs: number;
  load: LoadResult | undefined;
  budgetMs: number;
  /** The probe's stall threshold: a request that held the loop less than this did not block it. */
  thresholdMs: number;
  error?: string;
  /** Every lag sample so far: a Python server's threadpool occupancy rides on them. */
  lag?: readonly LagSample[];
  catchUp?: CatchUp;
}

export function canaryStats(samples: readonly CanarySample[]): CanaryStats {
  const ok = samples.filter((s) => s.error === undefined && s.status !== undefined && s.status >= 200 && s.status < 400);
  // A request that failed still waited: its latency counts (a timeout is the worst latency of all).
  const latencies = samples.map((s) => s.latencyMs);
  return {
    samples: samples.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? Math.max(...latencies) : NaN,
    failed: samples.length - ok.length,
  };
}

export function canaryWindow(samples: readonly CanarySample[], fromMs: number, toMs: number): CanarySample[] {
  return samples.filter((s) => s.sentMs >= fromMs && s.sentMs <= toMs);
}

export function judgeEndpoint(i: JudgeInput): EndpointResult {
  const { endpoint, phase } = i;
  const { own, excused, others: otherStalls } = endpointStalls(i.stalls, endpoint, phase, i.thresholdMs);
  const others = new Map<string, { label: string; count: number; maxMs: number }>();
  for (const s of otherStalls) {
    // Without a handler, what is known of it: its cause, or that no look saw its stack.
    const label = s.handler?.label ?? (s.cause ? `(no handler: ${causeText(s.cause)})` : s.culprit ? '(no handler)' : `(no handler: ${noCulpritText(s)})`);
    const o = others.get(label) ?? { label, count: 0, maxMs: 0 };
    o.count++;
    o.maxMs = Math.max(o.maxMs, s.durationMs);
    others.set(label, o);
  }
  const durations = own.map((s) => s.durationMs);
  const maxStallMs = durations.length ? durations[0] : 0;
  const culprits: EndpointCulprit[] = groupByCulprit(own, 'total')
    .filter((g) => g.culprit !== null)
    .map((g) => ({ file: g.culprit!.file, line: g.culprit!.line, function: g.culprit!.function, totalMs: round1(g.totalMs), count: g.count }));
  const pool = i.lag ? poolUse(i.lag, phase) : undefined;
  const findings = pythonFindings(own).map(findingText);
  if (!own.length && pool && pool.busyMax > 0) findings.unshift(threadpoolText(pool));
  return {
    endpoint,
    verdict: own.length > 0 ? 'blocking' : 'non-blocking',
    stalls: own,
    excused,
    maxStallMs,
    p99StallMs: durations.length ? percentile(durations, 99) : 0,
    totalStallMs: durations.reduce((t, d) => t + d, 0),
    culprits,
    otherStalls: [...others.values()].sort((a, b) => b.count - a.count),
    canary: i.canary ? canaryStats(canaryWindow(i.canary, phase.startMs + i.canaryWarmupMs, phase.loadEndMs)) : null,
    load: i.load,
    phase,
    overBudget: maxStallMs > i.budgetMs,
    ...(i.error ? { error: i.error } : {}),
    ...(findings.length ? { findings } : {}),
    ...routeOf([...own, ...excused.map((x) => x.stall)]),
    ...(pool ? { pool } : {}),
    ...(i.catchUp ? { catchUp: i.catchUp } : {}),
  };
}

/**
 * Whether the canary saw the loop held up under this load: its p99 rose by at least half the stall
 * threshold over idle. A stall of the threshold or longer holds every request that arrives during
 * it, so a canary that samples often enough sees it; machine noise (another process on the core)
 * moves the p99 by a few milliseconds.
 */
export function canaryInflated(idle: CanaryStats | null, load: CanaryStats | null, thresholdMs: number): boolean | undefined {
  if (!idle || !load || !Number.isFinite(idle.p99Ms) || !Number.isFinite(load.p99Ms)) return undefined;
  return load.p99Ms - idle.p99Ms >= thresholdMs / 2;
}

/** Why an endpoint's load counts as failed: any answer other than 2xx/3xx, any connection error or timeout. */
export function loadError(endpoint: Endpoint, r: LoadResult): string | undefined {
  const bad = Object.entries(r.statusCodes).filter(([code]) => !(Number(code) >= 200 && Number(code) < 400));
  const errors = Object.entries(r.errorCodes);
  if (!bad.length && !errors.length && !r.timeouts) return undefined;
  const parts = [
    ...bad.map(([code, n]) => `${n} × status ${code}`),
    ...errors.map(([code, n]) => `${n} × ${code}`),
    ...(r.timeouts ? [`${r.timeouts} × timed out`] : []),
  ];
  return `${endpointName(endpoint)} failed under load: ${parts.join(', ')} (of ${r.requests + sum(r.errorCodes) + r.timeouts} requests)`;
}

/** The route most of these stalls were handled by. */
function routeOf(stalls: readonly Stall[]): { route?: string } {
  const counts = new Map<string, number>();
  for (const s of stalls) if (s.handler?.route) counts.set(s.handler.route, (counts.get(s.handler.route) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1])[0];
  return top ? { route: top[0] } : {};
}

function sum(o: Record<string, number>): number {
  return Object.values(o).reduce((t, n) => t + n, 0);
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
