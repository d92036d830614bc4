/**
 * Messages between the check engine and its worker processes (dist/checkWorker.js) over the
 * child-process IPC channel. Two roles, one script: the canary (a steady trickle of timed requests)
 * and the load (autocannon at full tilt). Each runs in its own process so neither the server nor
 * the canary's timing shares an event loop with the load generator.
 */
import { isObj } from '../../shared/guards';

export interface LoadSpec {
  url: string;
  method: string;
  connections: number;
  durationS: number;
  /** Per-request timeout, seconds. */
  timeoutS: number;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  /** Responses by status code. */
  statusCodes: Record<string, number>;
  /** Connection errors (refused, reset) by code, and timeouts. */
  errorCodes: Record<string, number>;
  timeouts: number;
}

export type ToWorker =
  | { type: 'canary'; url: string; method: string; intervalMs: number; timeoutMs: number }
  | { type: 'load'; spec: LoadSpec }
  | { type: 'stop' };

export type FromWorker =
  /** A canary request went out (its sample follows with the same seq). */
  | { type: 'sent'; seq: number; sentMs: number }
  | { type: 'sample'; seq: number; sentMs: number; latencyMs: number; status?: number; error?: string }
  /** The load began: autocannon's connections are open. */
  | { type: 'loading'; atMs: number }
  | { type: 'loaded'; result: LoadResult }
  | { type: 'failed'; message: string };

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const counts = (v: unknown): v is Record<string, number> => isObj(v) && Object.values(v).every(num);

export function isFromWorker(v: unknown): v is FromWorker {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'sent':
      return num(v.seq) && num(v.sentMs);
    case 'sample':
      return num(v.seq) && num(v.sentMs) && num(v.latencyMs) && (v.status === undefined || num(v.status)) && (v.error === undefined || typeof v.error === 'string');
    case 'loading':
      return num(v.atMs);
    case 'loaded': {
      const r = v.result;
      return isObj(r) && num(r.requests) && num(r.durationS) && counts(r.statusCodes) && counts(r.errorCodes) && num(r.timeouts);
    }
    case 'failed':
      return typeof v.message === 'string';
    default:
      return false;
  }
}

export function isToWorker(v: unknown): v is ToWorker {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'canary':
      return typeof v.url === 'string' && typeof v.method === 'string' && num(v.intervalMs) && v.intervalMs > 0 && num(v.timeoutMs);
    case 'load': {
      const s = v.spec;
      return isObj(s) && typeof s.url === 'string' && typeof s.method === 'string' && num(s.connections) && num(s.durationS) && num(s.timeoutS);
    }
    case 'stop':
      return true;
    default:
      return false;
  }
}
