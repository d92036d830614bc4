/**
 * dist/checkWorker.js: the check engine forks it twice, once as the canary and once as the load
 * generator (see workerProtocol.ts). It lives only as long as its IPC channel: when the engine
 * goes (finished, crashed, killed), the channel closes and this process exits with it.
 */
import * as http from 'node:http';
import autocannon from 'autocannon';
import { timedRequest } from './timedRequest';
import { isToWorker, type FromWorker, type LoadResult, type LoadSpec } from './workerProtocol';

function post(msg: FromWorker): void {
  if (process.connected) process.send?.(msg);
}

let stopCanary: (() => void) | undefined;
let stopLoad: (() => void) | undefined;

/**
 * Sends on a fixed schedule whatever the previous requests do (no coordinated omission: a request
 * held up by a stall does not hold back the next one), each on a free pooled connection.
 */
function canary(url: string, method: string, intervalMs: number, timeoutMs: number): void {
  // A fresh connection per request: a pooled one may be closed by the server's keep-alive timeout just
  // as it is reused (a spurious failure), and accepting a connection is part of what a blocked loop delays.
  const agent = new http.Agent({ keepAlive: false });
  let seq = 0;
  const timer = setInterval(() => {
    const n = ++seq;
    post({ type: 'sent', seq: n, sentMs: Date.now() });
    void timedRequest(url, { method, timeoutMs, agent }).then((r) => post({ type: 'sample', seq: n, ...r }));
  }, intervalMs);
  stopCanary = () => {
    clearInterval(timer);
    agent.destroy();
  };
}

function load(spec: LoadSpec): void {
  const errorCodes: Record<string, number> = {};
  const instance = autocannon(
    {
      url: spec.url,
      method: spec.method as autocannon.Request['method'],
      connections: spec.connections,
      duration: spec.durationS,
      timeout: spec.timeoutS,
    },
    (err: Error | null, r: autocannon.Result) => {
      stopLoad = undefined;
      if (err) return post({ type: 'failed', message: err.message });
      const statusCodes: Record<string, number> = {};
      for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = (s as { count: number }).count;
      const result: LoadResult = { requests: r.requests.total, durationS: r.duration, statusCodes, errorCodes, timeouts: r.timeouts };
      post({ type: 'loaded', result });
    },
  );
  instance.on('reqError', (e: NodeJS.ErrnoException) => {
    // Timeouts arrive here too (as a plain 'request timed out'); the result counts them apart.
    if (e.code === undefined && /timed out/.test(e.message)) return;
    const code = e.code ?? e.message.slice(0, 80);
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
  });
  stopLoad = () => instance.stop();
  post({ type: 'loading', atMs: Date.now() });
}

process.on('message', (m: unknown) => {
  if (!isToWorker(m)) return;
  try {
    switch (m.type) {
      case 'canary':
        canary(m.url, m.method, m.intervalMs, m.timeoutMs);
        break;
      case 'load':
        load(m.spec);
        break;
      case 'stop':
        stopCanary?.();
        stopLoad?.();
        process.disconnect?.();
        break;
    }
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
  }
});
process.on('disconnect', () => process.exit(0));
