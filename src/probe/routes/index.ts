/**
 * The route an HTTP request was routed to, as its framework spells it (`/users/:id`): what users
 * group, budget and name endpoints by. Each framework keeps it in its own place (see the modules
 * here); the probe reads it only when a stall asks, and where the raw request does not lead to it,
 * a hook notes it on the raw request for one property store per request.
 *
 *   Express, and NestJS on it   req.route.path under req.baseUrl            nothing per request
 *   Fastify (NestJS on it)      its diagnostics channel around the handler  one store object
 *   Koa (@koa/router)           ctx._matchedRoute, via createContext        one call, one store
 *   Hono (@hono/node-server)    its router's match result                   one call, one store
 *
 * Koa's and Hono's classes are found when a server begins to listen (frameworks are set up by
 * then): in the CommonJS module cache, and for Hono's ES modules by importing the same file the
 * program resolves, only once @hono/node-server has shown itself (it replaces the global Request).
 */
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Handler } from '../../shared/protocol/model';
import { MAX_HTTP_LABEL, httpRequestLabel } from '../../shared/protocol/model';
import { expressRoute, type ExpressRequest } from './express';
import { fastifyRoute, installFastifyRoutes } from './fastify';
import { honoRoute, patchHono } from './hono';
import { koaOriginalUrl, koaRoute, patchKoa } from './koa';

export interface RequestLike extends ExpressRequest {
  method?: unknown;
  url?: unknown;
}

/** The framework's route of `req`, if a known one routed it. */
export function routeOf(req: RequestLike): string | undefined {
  try {
    return expressRoute(req) ?? fastifyRoute(req) ?? koaRoute(req) ?? honoRoute(req);
  } catch {
    return undefined;
  }
}

/** The URL as the client sent it: routers rewrite `req.url` under a mount path, and keep the original. */
function requestedUrl(req: RequestLike): unknown {
  try {
    return koaOriginalUrl(req) ?? (typeof req.originalUrl === 'string' ? req.originalUrl : req.url);
  } catch {
    return req.url;
  }
}

/**
 * The handler of an HTTP request: `GET /users/:id` with `route` and `path` beside it when the route
 * is known, else `GET /users/42` (the label is then the path, which is not repeated).
 */
export function httpHandler(req: RequestLike): Handler {
  const byPath = httpRequestLabel(req.method, requestedUrl(req));
  const route = routeOf(req);
  if (route === undefined) return { kind: 'http', label: byPath };
  const method = byPath.slice(0, byPath.indexOf(' '));
  return { kind: 'http', label: `${method} ${route}`.slice(0, MAX_HTTP_LABEL), route: route.slice(0, MAX_HTTP_LABEL), path: byPath.slice(method.length + 1) };
}

/** The label alone (victims are grouped by it). */
export function httpLabel(req: RequestLike): string {
  return httpHandler(req).label;
}

/** Once per thread, at probe start: the hooks that need no framework module. */
export function installRouteHooks(): void {
  installFastifyRoutes();
}

const KOA_APPLICATION = /[\\/]koa[\\/]lib[\\/]application\.js$/;
const HONO_SMART_ROUTER = /[\\/]hono[\\/]dist[\\/]cjs[\\/]router[\\/]smart-router[\\/]router\.js$/;
const NEST_CORE = /[\\/]@nestjs[\\/]core[\\/]/;

let honoEsmTried = false;
let honoCjsSeen = false;
/** The module cache's size when last scanned: a program that starts many servers scans it once. */
let scannedModules = -1;
let nestSeen = false;

/**
 * A server began to listen: hook the frameworks the program has loaded. `current` gives the request
 * being handled (Hono's hook needs it). Returns true when the program runs NestJS, whose handlers
 * always run after an `await` (guards, pipes, interceptors): its requests need carrying across awaits.
 */
export function discoverFrameworks(current: () => object | undefined): boolean {
  try {
    const cache = require.cache;
    const files = Object.keys(cache);
    if (files.length !== scannedModules) {
      scannedModules = files.length;
      for (const file of files) {
        if (KOA_APPLICATION.test(file)) patchKoa(cache[file]?.exports);
        else if (HONO_SMART_ROUTER.test(file)) {
          honoCjsSeen = true;
          patchHono((cache[file]?.exports as { SmartRouter?: unknown } | undefined)?.SmartRouter, current);
        } else if (!nestSeen && NEST_CORE.test(file)) nestSeen = true;
      }
    }
    if (!honoCjsSeen && !honoEsmTried && nodeServerInstalled()) {
      honoEsmTried = true;
      patchHonoEsm(current);
    }
  } catch {
    // an unreadable module cache: requests keep their paths
  }
  return nestSeen;
}

/** @hono/node-server replaces the global Request with its own subclass of it (unless told not to). */
function nodeServerInstalled(): boolean {
  const d = Object.getOwnPropertyDescriptor(globalThis, 'Request');
  const v: unknown = d && 'value' in d ? d.value : undefined;
  return typeof v === 'function' && (Object.getPrototypeOf(v) as { name?: unknown } | null)?.name === 'Request';
}

/**
 * Hono's ES module build, as the program resolves it from its main script (or its working
 * directory): importing the same file gives the module the program already has.
 */
function patchHonoEsm(current: () => object | undefined): void {
  for (const base of [process.argv[1], join(process.cwd(), 'index.js')]) {
    if (!base) continue;
    let entry: string;
    try {
      entry = createRequire(base).resolve('hono');
    } catch {
      continue;
    }
    const dist = entry.lastIndexOf(`${sep}dist${sep}`);
    if (dist < 0) return;
    const file = join(entry.slice(0, dist), 'dist', 'router', 'smart-router', 'router.js');
    // import(), not require(): under a loader (tsx), require() of an ES module may build a second
    // copy of it; import() goes through the loader the program's own imports went through. It
    // resolves within a few ticks of the server's 'listening', before a request can arrive.
    import(pathToFileURL(file).href).then(
      (m: { SmartRouter?: unknown }) => patchHono(m.SmartRouter, current),
      () => undefined,
    );
    return;
  }
}
