/**
 * Express (4, 5) and everything built on its router (NestJS on its Express adapter): the route is
 * read from the request itself when a stall asks, at no cost per request. The router keeps the
 * matched route on `req.route` and the mount path of the router it is in on `req.baseUrl` (the part
 * it stripped from `req.url`: inside a router mounted at /api, `req.url` is /users/42). A mount path
 * with parameters (`/:tenant`) is the matched text, not its pattern: the router keeps no other.
 */
export interface ExpressRequest {
  route?: { path?: unknown } | null;
  baseUrl?: unknown;
  originalUrl?: unknown;
}

export function expressRoute(req: ExpressRequest): string | undefined {
  const path = req.route?.path;
  // A route given as a RegExp or an array has no one pattern to name.
  if (typeof path !== 'string') return undefined;
  const base = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  if (!base) return path;
  return path === '/' ? base : base + path;
}
