/**
 * Which HTTP request the blocked code belongs to, even after `await`s: an AsyncLocalStorage store
 * per request, entered around `server.emit('request')`.
 *
 * Why emit and not the `http.server.request.start` diagnostics channel: a channel subscriber can
 * only `enterWith()`, which leaks the store into whatever else runs later in the same tick; `run()`
 * around emit scopes it to the handler and its continuations exactly. Frameworks (Express, Koa,
 * Fastify) all sit on `server.emit('request')`.
 *
 * The wrapper goes on net.Server.prototype, which http.Server, https.Server (via tls.Server) and
 * http2's compatibility servers all inherit `emit` through: one patch covers them all, and the
 * probe does not have to load http, https and tls into programs that never use them.
 *
 * The store is the request object itself: no allocation per request; the label is built only when
 * a stall asks for it. The same wrapper sees `listening`, which the host needs to find servers.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Server as NetServer } from 'node:net';
import { httpRequestLabel, type ListeningServer } from '../shared/protocol';

export interface RequestLike {
  method?: string;
  url?: string;
}

export const requestStore = new AsyncLocalStorage<RequestLike>();

const PATCHED = Symbol.for('stallscope.emitPatched');
/** `GET /path` without the query string: the protocol's one definition, shared with `stallscope check`. */
export function requestLabel(req: RequestLike): string {
  return httpRequestLabel(req.method, req.url);
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

/** `onRequest` runs first for every request, with its response object (the victims' log keeps it). */
export function installRequestContext(onListening: (s: Omit<ListeningServer, 'pid'>) => void, onRequest?: (res: unknown) => void): void {
  const target = NetServer.prototype as unknown as { emit: Emit; [PATCHED]?: boolean };
  if (Object.prototype.hasOwnProperty.call(target, PATCHED)) return;
  const original = target.emit;
  const patched: Emit = function (this: unknown, event, ...args) {
    if (event === 'request') {
      onRequest?.(args[1]);
      const req = args[0] as RequestLike;
      return requestStore.run(req, () => original.call(this, event, ...args));
    }
    if (event === 'listening') reportListening(this, onListening);
    return original.call(this, event, ...args);
  };
  Object.defineProperty(target, 'emit', { value: patched, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(target, PATCHED, { value: true });
}

function reportListening(server: unknown, onListening: (s: Omit<ListeningServer, 'pid'>) => void): void {
  try {
    const srv = server as { address(): unknown; headersTimeout?: unknown; setSecureContext?: unknown };
    // Only HTTP servers (they carry http's options); TLS-based ones are https.
    if (typeof srv.headersTimeout !== 'number') return;
    const a = srv.address();
    if (a && typeof a === 'object' && typeof (a as { port?: unknown }).port === 'number') {
      const { address, port } = a as { address: string; port: number };
      onListening({ protocol: typeof srv.setSecureContext === 'function' ? 'https' : 'http', address, port });
    }
  } catch {
    // a server that cannot tell its address is not worth a crash
  }
}
