/**
 * One timed HTTP request, as the canary sends it and as the check's preflight tries each endpoint.
 * The body is read and dropped: the latency is until the whole response arrived, what a client waits.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface TimedResponse {
  /** Epoch ms when the request was sent. */
  sentMs: number;
  latencyMs: number;
  /** The HTTP status, or undefined when the request failed (then `error` says why). */
  status?: number;
  error?: string;
}

export interface TimedRequestOptions {
  method: string;
  timeoutMs: number;
  agent?: http.Agent;
}

/** 2xx and 3xx count as answers; anything else is an error for `stallscope check`. */
export function isSuccess(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 400;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/;

export function timedRequest(url: string, o: TimedRequestOptions): Promise<TimedResponse> {
  const sentMs = Date.now();
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<TimedResponse, 'sentMs' | 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ sentMs, latencyMs: performance.now() - t0, ...r });
    };
    let req: http.ClientRequest;
    try {
      const u = new URL(url);
      const secure = u.protocol === 'https:';
      const options: https.RequestOptions = {
        method: o.method,
        agent: o.agent,
        // A local https server under test usually has a self-signed certificate; anywhere else, verify.
        ...(secure && LOOPBACK.test(u.hostname) ? { rejectUnauthorized: false } : {}),
      };
      req = (secure ? https : http).request(u, options, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => done({ status: res.statusCode }));
        res.on('error', (e) => done({ error: e.message }));
      });
    } catch (e) {
      done({ error: (e as Error).message });
      return;
    }
    req.setTimeout(o.timeoutMs, () => {
      done({ error: `no answer within ${o.timeoutMs} ms` });
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => done({ error: e.code ?? e.message }));
    req.end();
  });
}
