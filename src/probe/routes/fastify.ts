/**
 * Fastify 5 publishes the diagnostics channel `tracing:fastify.request.handler`
 * around every route handler with the route as registered (`/users/:id`, with its prefix). The
 * subscriber notes it on the raw request, where the rest of the probe finds requests: one property
 * store per request. A subscriber makes Fastify build one small store object per request; nothing
 * else is held. Hooks that run before the handler (onRequest, preHandler) keep the plain path.
 */
import { subscribe } from 'node:diagnostics_channel';

const ROUTE = Symbol.for('stallscope.fastifyRoute');

interface HandlerStart {
  request?: { raw?: object };
  route?: { url?: unknown };
}

function onHandlerStart(message: unknown): void {
  const m = message as HandlerStart;
  const raw = m.request?.raw as Record<symbol, unknown> | undefined;
  const url = m.route?.url;
  if (raw && typeof url === 'string') raw[ROUTE] = url;
}

let subscribed = false;

export function installFastifyRoutes(): void {
  if (subscribed) return;
  subscribed = true;
  try {
    subscribe('tracing:fastify.request.handler:start', onHandlerStart);
  } catch {
    // a Node without subscribe(name, fn): Fastify's requests keep their paths
  }
}

export function fastifyRoute(req: object): string | undefined {
  const r = (req as Record<symbol, unknown>)[ROUTE];
  return typeof r === 'string' ? r : undefined;
}
