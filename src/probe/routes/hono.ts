/**
 * Hono: a request's route is in the result of its router's match (`c.req.routePath` reads it
 * there), and Hono's objects are not linked from the raw request. Hono's default router
 * (SmartRouter) matches through its prototype once, then puts the chosen router's bound match on
 * the instance; the wrapper notes each result on the raw request being handled (Hono matches
 * synchronously inside the server's 'request' event, on @hono/node-server), and wraps that bound
 * match the first time. Per request: one call and one property store, no closure.
 */
const MATCH = Symbol.for('stallscope.honoMatch');
const PATCHED = Symbol.for('stallscope.honoPatched');
const WRAPPED = Symbol.for('stallscope.honoWrapped');

type Match = (this: unknown, method: string, path: string) => unknown;
type WrappedMatch = Match & { [WRAPPED]?: true };

/** A route as Hono keeps it beside each handler. */
interface HonoRoute {
  path?: unknown;
  method?: unknown;
}

let currentRequest: () => object | undefined = () => undefined;

function note(result: unknown): void {
  const req = currentRequest();
  if (req !== undefined) (req as Record<symbol, unknown>)[MATCH] = result;
}

function wrapMatch(inner: Match): WrappedMatch {
  const m: WrappedMatch = function (this: unknown, method, path) {
    const result = inner.call(this, method, path);
    note(result);
    return result;
  };
  m[WRAPPED] = true;
  return m;
}

/** `SmartRouter`: the class of `hono/dist/(cjs/)router/smart-router/router.js`. `current`: the request being handled. */
export function patchHono(SmartRouter: unknown, current: () => object | undefined): void {
  currentRequest = current;
  const proto = (SmartRouter as { prototype?: { match?: Match; [PATCHED]?: true } } | undefined)?.prototype;
  const original = proto?.match;
  if (!proto || typeof original !== 'function' || Object.prototype.hasOwnProperty.call(proto, PATCHED)) return;
  Object.defineProperty(proto, PATCHED, { value: true });
  const match: Match = function (this: unknown, method, path) {
    const result = original.call(this, method, path);
    note(result);
    const self = this as { match?: WrappedMatch };
    const own = Object.prototype.hasOwnProperty.call(self, 'match') ? self.match : undefined;
    if (typeof own === 'function' && !own[WRAPPED]) self.match = wrapMatch(own);
    return result;
  };
  Object.defineProperty(proto, 'match', { value: match, writable: true, configurable: true, enumerable: false });
}

/**
 * The route of the handler that answers: the last matched one registered for a method (middleware
 * added with `use` is registered for ALL), else the last without a wildcard.
 */
export function honoRoute(req: object): string | undefined {
  const result = (req as Record<symbol, unknown>)[MATCH];
  const list = Array.isArray(result) ? (result[0] as unknown) : undefined;
  if (!Array.isArray(list)) return undefined;
  let fallback: string | undefined;
  for (let i = list.length - 1; i >= 0; i--) {
    const route = (list[i] as [[unknown, HonoRoute?]?] | undefined)?.[0]?.[1];
    if (!route || typeof route.path !== 'string') continue;
    if (route.method !== 'ALL') return route.path;
    if (fallback === undefined && !route.path.includes('*')) fallback = route.path;
  }
  return fallback;
}
