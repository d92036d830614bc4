/**
 * The check engine: "is this endpoint blocking?", answered by measurement. vscode-free; the CLI
 * (`stallscope check`) and the extension (`Stallscope: Check Endpoints`) both run it against a
 * server whose probe already reports into a Recording, and differ only in how that server started.
 *
 *   preflight   one request per endpoint (and the canary): a 404 fails in a second, not after the load
 *   idle        the canary alone, a steady trickle of requests: its idle latency
 *   per endpoint  autocannon at full tilt in its own process, the canary still running; then a short
 *                 settle so the backlog drains and the probe's last stall messages arrive
 *
 * Every process the engine starts is stopped when it returns or throws.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Env } from '../probeEnv';
import type { Stall } from '../../shared/protocol';
import { endpointUrl, type Endpoint } from './endpoint';
import { isSuccess, timedRequest } from './timedRequest';
import { CanaryLog } from './canaryLog';
import { canaryStats, canaryWindow, judgeEndpoint, loadError, type CanaryStats, type EndpointResult } from './verdict';
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
}

export type CheckProgress =
  | { kind: 'preflight' }
  | { kind: 'idle'; durationS: number }
  | { kind: 'endpoint'; index: number; total: number; endpoint: Endpoint; durationS: number; canaryIdle: CanaryStats | null }
  | { kind: 'endpointDone'; result: EndpointResult };

export interface CheckHost {
  /** dist/checkWorker.js. */
  workerScript: string;
  nodePath?: string;
  env?: Env;
  /** Every stall the server's probe reported so far. */
  stalls(): readonly Stall[];
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
/** After the settle, how much longer to wait for stalls still in progress to end. */
const ONGOING_WAIT_MS = 5000;

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
    for (const e of s.canary ? [...s.endpoints, s.canary] : s.endpoints) {
      aborted(h.signal);
      const r = await timedRequest(endpointUrl(s.baseUrl, e), { method: e.method, timeoutMs });
      if (!isSuccess(r.status)) {
        const what = r.status === undefined ? `failed (${r.error ?? 'no answer'})` : `answered status ${r.status}`;
        throw new CheckError(`${e === s.canary ? 'the canary ' : ''}${e.label} ${what} at ${endpointUrl(s.baseUrl, e)}; stallscope check needs endpoints that answer 2xx or 3xx`, 'endpoint');
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
      if (!idle.length) throw new CheckError(`the canary ${s.canary.label} got no answer within ${s.idleS} s; is the server stuck?`, 'canary');
      if (canaryIdle.failed === idle.length) {
        const why = idle[idle.length - 1];
        throw new CheckError(`the canary ${s.canary.label} failed at idle (${why.error ?? `status ${why.status}`})`, 'canary');
      }
    }

    const loader = spawnWorker();
    const results: EndpointResult[] = [];
    for (const [index, endpoint] of s.endpoints.entries()) {
      h.progress?.({ kind: 'endpoint', index, total: s.endpoints.length, endpoint, durationS: s.durationS, canaryIdle });
      const { startMs, loadEndMs, load } = await runLoad(loader, s, endpoint, timeoutMs, h.signal);
      await sleep(s.settleMs ?? SETTLE_MS, h.signal);
      await stallsEnded(h, endpoint, startMs);
      await canaryAnswered(log, loadEndMs, h.signal);
      const result = judgeEndpoint({
        endpoint,
        phase: { startMs, loadEndMs, endMs: Date.now() },
        stalls: h.stalls(),
        canary: s.canary ? log.samples() : null,
        canaryWarmupMs: CANARY_WARMUP_MS,
        load,
        budgetMs: s.budgetMs,
        error: loadError(endpoint, load),
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

/** A stall still in progress after the settle (a long one) is waited for, so its final duration counts. */
async function stallsEnded(h: CheckHost, endpoint: Endpoint, fromMs: number): Promise<void> {
  const until = Date.now() + ONGOING_WAIT_MS;
  while (Date.now() < until && h.stalls().some((st) => st.ongoing && st.startMs >= fromMs && st.handler?.label === endpoint.label)) {
    await sleep(50, h.signal);
  }
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
