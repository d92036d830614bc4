/**
 * The check engine: "is this endpoint blocking?", answered by measurement. vscode-free; the CLI
 * (`stallscope check`) and the extension (`Stallscope: Check Endpoints`) both run it against a
 * server whose probe already reports into a Recording, and differ only in how that server started.
 *
 *   preflight   one request per endpoint (and the canary): a 404 fails in a second, not after the load
 *   idle        the canary alone, a steady trickle of requests: its idle latency
 *   per endpoint  autocannon at full tilt in its own process, the canary still running; then the
 *                 server gets time to catch up (no stall going on or just ended, the canary answering
 *                 promptly again), up to a limit, so the next endpoint is not measured in its backlog
 *
 * Every process the engine starts is stopped when it returns or throws.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Env } from '../probeEnv';
import type { LagSample, Stall } from '../../shared/protocol/model';
import { blockedNowText, formatDuration, frameLocation } from '../../shared/phrases';
import { handlerMatches } from './attribution';
import { endpointName, endpointUrl, type Endpoint } from './endpoint';
import { isSuccess, timedRequest } from './timedRequest';
import { CanaryLog } from './canaryLog';
import { canaryStats, canaryWindow, judgeEndpoint, loadError, type CanaryStats, type CatchUp, type EndpointResult } from './verdict';
import { WorkerProcess } from './workerProcess';
import type { FromWorker, LoadResult } from './workerProtocol';

export interface CheckSettings {
  /** `http://127.0.0.1:3000`: where the endpoints are. */
  baseUrl: string;
  endpoints: readonly Endpoint[];
  canary: Endpoint | null;
  connections: number;
  /** Load per endpoint, seconds. */
  durationS: number;
  /** The canary alone before the first endpoint, seconds. */
  idleS: number;
  /** The probe's stall threshold: what "blocked" means. */
  thresholdMs: number;
  /** An endpoint whose longest stall exceeds this is over budget. */
  budgetMs: number;
  canaryIntervalMs?: number;
  settleMs?: number;
  /** Per request, for the preflight, the canary and the load. */
  requestTimeoutS?: number;
  /** After each load, the longest wait for the server to catch up with it, seconds (default 30). */
  catchUpLimitS?: number;
}

export type CheckProgress =
  | { kind: 'preflight' }
  | { kind: 'idle'; durationS: number }
  | { kind: 'endpoint'; index: number; total: number; endpoint: Endpoint; durationS: number; canaryIdle: CanaryStats | null }
  /** The server is still busy with the load just ended (said once, when the wait gets long). */
  | { kind: 'catchingUp'; endpoint: Endpoint; pending: string }
  | { kind: 'endpointDone'; result: EndpointResult };

export interface CheckHost {
  /** dist/checkWorker.js. */
  workerScript: string;
  nodePath?: string;
  env?: Env;
  /** Every stall the server's probe reported so far. */
  stalls(): readonly Stall[];
  /** Every lag sample so far (a Python server's threadpool occupancy rides on them). */
  lag?(): readonly LagSample[];
  /** Aborts the check (Ctrl-C, the server exited, the user cancelled); its reason becomes the error. */
  signal?: AbortSignal;
  progress?(p: CheckProgress): void;
}

export interface CheckResult {
  baseUrl: string;
  thresholdMs: number;
  budgetMs: number;
  canary: Endpoint | null;
  canaryIdle: CanaryStats | null;
  endpoints: EndpointResult[];
  startedAtMs: number;
  endedAtMs: number;
}

export type CheckFailure = 'endpoint' | 'canary' | 'worker' | 'aborted';

export class CheckError extends Error {
  override readonly name = 'CheckError';
  constructor(
    message: string,
    readonly reason: CheckFailure,
  ) {
    super(message);
  }
}

export const CANARY_INTERVAL_MS = 50;
const SETTLE_MS = 1000;
const CANARY_WARMUP_MS = 250;
/** After the settle, how much longer to wait for canary requests of the load to answer. */
const CANARY_WAIT_MS = 3000;
export const CATCH_UP_LIMIT_S = 30;
/**
 * Caught up means no stall began or ended within this long: back-to-back stalls of a backlog leave
 * gaps shorter than a detection (the threshold), and a stall is reported once it reaches it.
 */
const QUIET_MS = 500;
/** A wait for the server to catch up longer than this is said while it lasts. */
const SAY_CATCHING_UP_MS = 3000;

export async function runCheck(s: CheckSettings, h: CheckHost): Promise<CheckResult> {
  const startedAtMs = Date.now();
  const timeoutMs = (s.requestTimeoutS ?? 10) * 1000;
  const workers: WorkerProcess[] = [];
  const spawnWorker = (): WorkerProcess => {
    const w = new WorkerProcess({ script: h.workerScript, nodePath: h.nodePath, env: h.env });
    workers.push(w);
    return w;
  };
  try {
    h.progress?.({ kind: 'preflight' });
    // The canary first: no endpoint is loaded, even once, before the canary is known to answer.
    for (const e of s.canary ? [s.canary, ...s.endpoints] : s.endpoints) {
      aborted(h.signal);
      const r = await timedRequest(endpointUrl(s.baseUrl, e), { method: e.method, timeoutMs });
      if (!isSuccess(r.status)) {
        const who = `${e === s.canary ? 'the canary ' : ''}${endpointName(e)}`;
        // No answer at all is often a loop blocked by this very request: then that is the news, with its line.
        const blocked = r.status === undefined ? blockedNowText(h.stalls(), Date.now()) : undefined;
        if (blocked) throw new CheckError(`${who} got no answer within ${formatDuration(timeoutMs)} at ${endpointUrl(s.baseUrl, e)}: ${blocked}`, 'endpoint');
        const what = r.status === undefined ? `failed (${r.error ?? 'no answer'})` : `answered status ${r.status}`;
        throw new CheckError(`${who} ${what} at ${endpointUrl(s.baseUrl, e)}; stallscope check needs endpoints that answer 2xx or 3xx`, 'endpoint');
      }
    }

    const log = new CanaryLog();
    if (s.canary) {
      const canary = spawnWorker();
      canary.on('message', (m) => log.onMessage(m));
      canary.send({ type: 'canary', url: endpointUrl(s.baseUrl, s.canary), method: s.canary.method, intervalMs: s.canaryIntervalMs ?? CANARY_INTERVAL_MS, timeoutMs });
    }
    h.progress?.({ kind: 'idle', durationS: s.idleS });
    const idleFrom = Date.now() + CANARY_WARMUP_MS;
    await sleep(s.idleS * 1000, h.signal);
    let canaryIdle: CanaryStats | null = null;
    if (s.canary) {
      const idleEnd = Date.now();
      await canaryAnswered(log, idleEnd, h.signal);
      const idle = canaryWindow(log.samples(), idleFrom, idleEnd);
      canaryIdle = canaryStats(idle);
      if (!idle.length) throw new CheckError(`the canary ${endpointName(s.canary)} got no answer within ${s.idleS} s; is the server stuck?`, 'canary');
      if (canaryIdle.failed === idle.length) {
        const why = idle[idle.length - 1];
        throw new CheckError(`the canary ${endpointName(s.canary)} failed at idle (${why.error ?? `status ${why.status}`})`, 'canary');
      }
    }

    const loader = spawnWorker();
    const results: EndpointResult[] = [];
    for (const [index, endpoint] of s.endpoints.entries()) {
      h.progress?.({ kind: 'endpoint', index, total: s.endpoints.length, endpoint, durationS: s.durationS, canaryIdle });
      const { startMs, loadEndMs, load } = await runLoad(loader, s, endpoint, timeoutMs, h.signal);
      await sleep(s.settleMs ?? SETTLE_MS, h.signal);
      const catchUp = await caughtUp(h, s, endpoint, log, startMs, loadEndMs);
      await canaryAnswered(log, loadEndMs, h.signal);
      const result = judgeEndpoint({
        endpoint,
        phase: { startMs, loadEndMs, endMs: Date.now() },
        stalls: h.stalls(),
        canary: s.canary ? log.samples() : null,
        canaryWarmupMs: CANARY_WARMUP_MS,
        load,
        budgetMs: s.budgetMs,
        thresholdMs: s.thresholdMs,
        error: loadError(endpoint, load),
        lag: h.lag?.(),
        catchUp,
      });
      results.push(result);
      h.progress?.({ kind: 'endpointDone', result });
    }
    return { baseUrl: s.baseUrl, thresholdMs: s.thresholdMs, budgetMs: s.budgetMs, canary: s.canary, canaryIdle, endpoints: results, startedAtMs, endedAtMs: Date.now() };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

async function runLoad(
  loader: WorkerProcess,
  s: CheckSettings,
  endpoint: Endpoint,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<{ startMs: number; loadEndMs: number; load: LoadResult }> {
  let startMs = Date.now();
  const load = await new Promise<LoadResult>((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.type === 'loading') startMs = m.atMs;
      else if (m.type === 'loaded') finish(() => resolve(m.result));
      else if (m.type === 'failed') finish(() => reject(new CheckError(`the load generator failed on ${endpoint.label}: ${m.message}`, 'worker')));
    };
    const onExit = (d: { code: number | null; signal: NodeJS.Signals | null; stderr: string }) =>
      finish(() => reject(new CheckError(`the load generator exited (${d.signal ?? `code ${d.code}`})${d.stderr ? `: ${d.stderr.split('\n').slice(-3).join(' ')}` : ''}`, 'worker')));
    const onAbort = () => finish(() => reject(abortError(signal)));
    // The load ends by itself after durationS; a server that stops answering is cut off by autocannon's timeout.
    const guard = setTimeout(() => finish(() => reject(new CheckError(`the load on ${endpoint.label} did not finish in time`, 'worker'))), s.durationS * 1000 + timeoutMs + 10_000);
    const finish = (then: () => void) => {
      clearTimeout(guard);
      loader.off('message', onMessage);
      loader.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
      then();
    };
    loader.on('message', onMessage);
    loader.on('exit', onExit);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);
    loader.send({
      type: 'load',
      spec: { url: endpointUrl(s.baseUrl, endpoint), method: endpoint.method, connections: s.connections, durationS: s.durationS, timeoutS: timeoutMs / 1000 },
    });
  });
  return { startMs, loadEndMs: Date.now(), load };
}

/**
 * Waits until the server has caught up with a load: no stall of the phase going on or ended within
 * QUIET_MS, and with a canary, its requests answered within the threshold again. A server that queued
 * requests blocking 1 s each is still blocking for seconds after the load stopped; the next endpoint
 * must not be measured (nor its stalls counted) in that backlog. Gives up at the limit and says why.
 */
async function caughtUp(h: CheckHost, s: CheckSettings, endpoint: Endpoint, log: CanaryLog, phaseStartMs: number, loadEndMs: number): Promise<CatchUp> {
  const until = loadEndMs + (s.catchUpLimitS ?? CATCH_UP_LIMIT_S) * 1000;
  let said = false;
  for (;;) {
    const now = Date.now();
    const pending = stillBusy(h.stalls(), endpoint, s.canary ? log : null, s.thresholdMs, phaseStartMs, loadEndMs, now);
    if (!pending) return { ms: Math.max(0, now - loadEndMs), caughtUp: true };
    if (now >= until) return { ms: now - loadEndMs, caughtUp: false, pending };
    if (!said && now - loadEndMs >= SAY_CATCHING_UP_MS) {
      said = true;
      h.progress?.({ kind: 'catchingUp', endpoint, pending });
    }
    await sleep(50, h.signal);
  }
}

/**
 * What shows the server is still busy with the load of `endpoint`, or undefined once it has caught up.
 * A stall that just ended counts only if it was the endpoint's (or nobody's): a background timer
 * stalling every second is not a backlog, and would otherwise hold every phase to the limit.
 */
export function stillBusy(
  stalls: readonly Stall[],
  endpoint: Endpoint,
  canary: CanaryLog | null,
  thresholdMs: number,
  phaseStartMs: number,
  loadEndMs: number,
  now: number,
): string | undefined {
  for (const st of stalls) {
    if (st.startMs < phaseStartMs) continue;
    if (st.ongoing) return `a stall still going on (${formatDuration(now - st.startMs)} so far${st.culprit ? `, at ${frameLocation(st.culprit)}` : ''})`;
    if (st.startMs + st.durationMs > now - QUIET_MS && (!st.handler || handlerMatches(st.handler, endpoint))) return 'stalls still following one another';
  }
  if (!canary) return undefined;
  if (canary.waitingUntil(now - thresholdMs)) return `the canary waiting more than ${formatDuration(thresholdMs)} for an answer`;
  const after = canary.samples(now).filter((c) => c.sentMs > loadEndMs && c.error === undefined);
  const last = after[after.length - 1];
  if (!last) return 'no canary answer since the load ended';
  return last.latencyMs < thresholdMs ? undefined : `the canary answering in ${formatDuration(last.latencyMs)}`;
}

/** Canary requests sent during the load and held up by it get a moment more to answer (see CanaryLog). */
async function canaryAnswered(log: CanaryLog, toMs: number, signal: AbortSignal | undefined): Promise<void> {
  const until = Date.now() + CANARY_WAIT_MS;
  while (Date.now() < until && log.waitingUntil(toMs)) await sleep(50, signal);
}

function abortError(signal: AbortSignal | undefined): CheckError {
  const r: unknown = signal?.reason;
  if (r instanceof CheckError) return r;
  return new CheckError(r instanceof Error ? r.message : typeof r === 'string' ? r : 'the check was cancelled', 'aborted');
}

function aborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

async function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch {
    throw abortError(signal);
  }
}
