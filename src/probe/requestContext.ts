/**
 * Which HTTP request the blocked code belongs to.
 *
 * While a server emits 'request', the request is simply held in a variable for the length of the
 * call: a handler that blocks synchronously (the common case) is named at no cost. Code that runs
 * later on the request's behalf (after an `await`, in a timeout the handler scheduled) needs the
 * request carried along the async chain: an AsyncLocalStorage store per request, entered with
 * `run()` around emit (a diagnostics-channel subscriber could only `enterWith()`, which leaks the
 * store into whatever runs later in the same tick).
 *
 * On Node before 24 AsyncLocalStorage turns on async_hooks and V8's promise hooks for the whole
 * process: measured on a hello-world server, +0.8 µs CPU per request and +13 MB RSS, paid whether
 * anything blocks or not, and about 90 ns more per `await`. So by default (`on-demand`) it is entered
 * only once it is needed: after a stall on this thread in the user's code that ran outside any
 * request's synchronous handler (the watchdog judges it and sets I_TRACK in the thread's heartbeat; a
 * request reads it with one load). That stall is named only as far as its async resource tells (a
 * timer; nothing for a promise continuation, which without hooks runs in no resource at all); the
 * ones after it by their request. `always` tracks from the first request (the VS Code extension and
 * `stallscope check` use it: there the exact label matters more than a microsecond). Two cases track
 * from the first request in `on-demand` too: where AsyncLocalStorage needs no hooks
 * (AsyncContextFrame, below), and a NestJS program (seen when its server listens), whose handlers
 * all run after awaits (guards, pipes, interceptors), so that without tracking not even its first
 * stall would be named.
 *
 * The label is the framework's route when one routed the request (`GET /users/:id`, see routes/),
 * read from the request only when a stall asks.
 *
 * The wrapper goes on net.Server.prototype, which http.Server, https.Server (via tls.Server) and
 * http2's compatibility servers all inherit `emit` through: one patch covers them all, and the
 * probe does not have to load http, https and tls into programs that never use them. The store is
 * the request object itself: no allocation per request; the label is built only when a stall asks.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Server as NetServer } from 'node:net';
import type { ListeningServer } from '../shared/protocol/model';
import type { RequestContextMode } from '../shared/protocol/options';
import { I_TRACK } from './heartbeatLayout';
import { discoverFrameworks, installRouteHooks, type RequestLike } from './routes';

export type { RequestLike } from './routes';
/** `GET /users/:id` (route and path beside it) when the framework's route is known, else `GET /users/42`. */
export { httpHandler as requestHandler, httpLabel as requestLabel } from './routes';

const requestStore = new AsyncLocalStorage<RequestLike>();
/**
 * Where AsyncLocalStorage runs on V8's continuation data (AsyncContextFrame: Node 24, Node 22 with
 * --experimental-async-context-frame) it turns on no hooks: carrying a request costs about what
 * run() itself costs, so requests are tracked from the first one. The hooks-based class has
 * `_propagate`, which the frame-based one does not.
 */
const ALS_WITHOUT_HOOKS = typeof (AsyncLocalStorage.prototype as unknown as { _propagate?: unknown })._propagate !== 'function';
/** The request whose 'request' event is being emitted right now (synchronously, on this thread). */
let emitting: RequestLike | undefined;
/** Requests are carried across awaits (AsyncLocalStorage) from now on. */
let tracking = false;
/** The thread's heartbeat Int32 view, where the watchdog asks for tracking (I_TRACK). */
let trackFlag: Int32Array | undefined;

const PATCHED = Symbol.for('stallscope.emitPatched');
/** The request the running code belongs to, as far as it can be told right now. */
export function currentRequest(): RequestLike | undefined {
  return emitting ?? (tracking ? requestStore.getStore() : undefined);
}

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;
type RequestEmit = (this: unknown, event: string | symbol, req?: unknown, res?: unknown) => boolean;

export interface RequestContextHooks {
  /** An HTTP server began to listen. */
  onListening(info: Omit<ListeningServer, 'pid'>, server: object): void;
  /** First thing for every request, with its response object. */
  onRequest?(res: unknown): void;
}

/** `flags`: the thread's heartbeat Int32 view (I_TRACK: the watchdog asks for tracking). */
export function installRequestContext(hooks: RequestContextHooks, mode: RequestContextMode = 'on-demand', flags?: Int32Array): void {
  if (mode === 'always' || ALS_WITHOUT_HOOKS) tracking = true;
  trackFlag = flags;
  installRouteHooks();
  const target = NetServer.prototype as unknown as { emit: Emit; [PATCHED]?: boolean };
  if (Object.prototype.hasOwnProperty.call(target, PATCHED)) return;
  const original = target.emit;
  const onRequest = hooks.onRequest;
  // No rest array and no closure per emit (it runs for every request): other events pass their
  // `arguments` on as they came (V8 does not materialise them for an apply), 'request' always
  // carries exactly (req, res).
  const patched: RequestEmit = function (this: unknown, event, req, res) {
    if (event !== 'request') {
      if (event === 'listening') {
        reportListening(this, hooks.onListening);
        if (discoverFrameworks(currentRequest)) tracking = true;
      }
      // eslint-disable-next-line prefer-rest-params
      return Reflect.apply(original, this, arguments) as boolean;
    }
    if (!tracking && trackFlag && Atomics.load(trackFlag, I_TRACK) === 1) tracking = true;
    onRequest?.(res);
    const outer = emitting;
    emitting = req as RequestLike;
    try {
      return tracking ? requestStore.run(req as RequestLike, emitRequest, original, this, req, res) : original.call(this, event, req, res);
    } finally {
      emitting = outer;
    }
  };
  Object.defineProperty(target, 'emit', { value: patched, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(target, PATCHED, { value: true });
}

function emitRequest(original: Emit, server: unknown, req: unknown, res: unknown): boolean {
  return original.call(server, 'request', req, res);
}

function reportListening(server: unknown, onListening: RequestContextHooks['onListening']): void {
  try {
    const srv = server as { address(): unknown; headersTimeout?: unknown; setSecureContext?: unknown };
    // Only HTTP servers (they carry http's options); TLS-based ones are https.
    if (typeof srv.headersTimeout !== 'number') return;
    const a = srv.address();
    if (a && typeof a === 'object' && typeof (a as { port?: unknown }).port === 'number') {
      const { address, port } = a as { address: string; port: number };
      onListening({ protocol: typeof srv.setSecureContext === 'function' ? 'https' : 'http', address, port }, srv);
    }
  } catch {
    // a server that cannot tell its address is not worth a crash
  }
}
