/**
 * Koa: the router (@koa/router, koa-router) names the matched route on the context
 * (`ctx._matchedRoute`, with the router's prefix), which the raw request does not link to. So Koa's
 * `createContext` is wrapped, on the prototype, to link the raw request to its context: one call and
 * one property store per request. The route itself is read only when a stall asks.
 */
const CTX = Symbol.for('stallscope.koaContext');
const PATCHED = Symbol.for('stallscope.koaPatched');

interface KoaContext {
  _matchedRoute?: unknown;
  originalUrl?: unknown;
}

type CreateContext = (this: unknown, req: object, res: unknown) => unknown;

/** Koa's Application class (`koa/lib/application.js`, which its ESM entry re-exports too). */
export function patchKoa(Application: unknown): void {
  const proto = (Application as { prototype?: { createContext?: CreateContext; [PATCHED]?: true } } | undefined)?.prototype;
  const original = proto?.createContext;
  if (!proto || typeof original !== 'function' || Object.prototype.hasOwnProperty.call(proto, PATCHED)) return;
  Object.defineProperty(proto, PATCHED, { value: true });
  const createContext: CreateContext = function (this: unknown, req, res) {
    const ctx = original.call(this, req, res);
    if (req && typeof req === 'object') (req as Record<symbol, unknown>)[CTX] = ctx;
    return ctx;
  };
  Object.defineProperty(proto, 'createContext', { value: createContext, writable: true, configurable: true, enumerable: false });
}

function contextOf(req: object): KoaContext | undefined {
  const ctx = (req as Record<symbol, unknown>)[CTX];
  return ctx && typeof ctx === 'object' ? (ctx as KoaContext) : undefined;
}

export function koaRoute(req: object): string | undefined {
  const r = contextOf(req)?._matchedRoute;
  return typeof r === 'string' ? r : undefined;
}

/** Koa's mounts (koa-mount) rewrite the raw request's url; the context keeps the original. */
export function koaOriginalUrl(req: object): string | undefined {
  const u = contextOf(req)?.originalUrl;
  return typeof u === 'string' ? u : undefined;
}
