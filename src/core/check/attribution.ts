/**
 * Which stalls are an endpoint's: the one rule the check table, its JSON, the JUnit file, the
 * timeline's check pane and the progress lines all count by, so they can never disagree.
 *
 *   - in its phase: the stall started between the start of its load and the moment the server had
 *     caught up with it (see runCheck), and
 *   - in its handler: the stall's request is the endpoint's request, matched by the requested path
 *     (`handler.path`) or, without one, by the route pattern (`handler.route`, `/users/:id` matches
 *     `/users/42`), and by method. Never by the label's text alone: a label says `GET /users/:id`
 *     where the endpoint says `GET /api/users/42`, and an Express router mounted at `/api` once
 *     labelled it `GET /users/42`.
 *
 * Of its stalls, two kinds convict no one; they are set apart and said, not counted:
 *   - garbage collection: the collector ran while the request was in flight, but what it collected
 *     may be anybody's (the previous endpoint's garbage, often);
 *   - a saturated loop: many requests handled back to back in one turn of the loop, none of which
 *     held it for the threshold by itself (the probe times each from its start to the next one's).
 *     That is a server at its throughput, not blocking code; one request that blocked is still its own.
 */
import type { Handler, Stall } from '../../shared/protocol/model';
import type { Endpoint } from './endpoint';

export interface PhaseBounds {
  startMs: number;
  endMs: number;
}

export interface EndpointStalls {
  /** In its handler during its phase, and its doing: longest first. */
  own: Stall[];
  /** In its handler during its phase, but not its doing (see excuse): shown, not counted. Longest first. */
  excused: ExcusedStall[];
  /** During its phase in other handlers (background timers, the canary, …). */
  others: Stall[];
}

export function inPhase(s: Stall, phase: PhaseBounds): boolean {
  return s.startMs >= phase.startMs && s.startMs <= phase.endMs;
}

export type Excuse = 'gc' | 'saturated';

export interface ExcusedStall {
  stall: Stall;
  why: Excuse;
}

/** Why a stall in the endpoint's handler does not count against it, or undefined when it does. */
export function excuse(s: Stall, thresholdMs: number): Excuse | undefined {
  if (s.cause?.kind === 'gc') return 'gc';
  const each = s.backToBack ?? [];
  const handlers = each.reduce((n, b) => n + b.count, 0);
  // Only the longest says that none blocked (a median does not): without it, nothing is excused.
  if (handlers >= 2 && each.every((b) => (b.maxMs ?? Infinity) < thresholdMs)) return 'saturated';
  return undefined;
}

export function endpointStalls(stalls: readonly Stall[], endpoint: Endpoint, phase: PhaseBounds, thresholdMs: number): EndpointStalls {
  const out: EndpointStalls = { own: [], excused: [], others: [] };
  for (const s of stalls) {
    if (!inPhase(s, phase)) continue;
    if (!handlerMatches(s.handler, endpoint)) out.others.push(s);
    else {
      const why = excuse(s, thresholdMs);
      if (why) out.excused.push({ stall: s, why });
      else out.own.push(s);
    }
  }
  out.own.sort((a, b) => b.durationMs - a.durationMs);
  out.excused.sort((a, b) => b.stall.durationMs - a.stall.durationMs);
  return out;
}

/** Whether `handler` is a request to `endpoint` (same method; same path, or a route pattern that matches it). */
export function handlerMatches(handler: Handler | null, endpoint: Endpoint): boolean {
  if (!handler || handler.kind !== 'http') return false;
  const space = handler.label.indexOf(' ');
  const method = space > 0 ? handler.label.slice(0, space) : '';
  if (method.toUpperCase() !== endpoint.method) return false;
  const wanted = requestPath(endpoint.path);
  if (handler.path !== undefined) return samePath(handler.path, wanted);
  if (handler.route !== undefined) return routeMatches(handler.route, wanted);
  // An older probe: the label is the only evidence. A router mounted at a prefix (Express strips
  // it from req.url) labelled `/api/users/42` as `/users/42`: a tail of the path on a segment boundary.
  const labelled = space > 0 ? handler.label.slice(space + 1) : '';
  return samePath(labelled, wanted) || (labelled.length > 1 && wanted.endsWith(trimSlash(labelled)) && wanted[wanted.length - trimSlash(labelled).length] === '/');
}

/** The path of an endpoint's path-and-query, without query or fragment. */
export function requestPath(pathAndQuery: string): string {
  const q = pathAndQuery.search(/[?#]/);
  return (q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery) || '/';
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function samePath(a: string, b: string): boolean {
  return trimSlash(safeDecode(a)) === trimSlash(safeDecode(b));
}

function safeDecode(p: string): string {
  try {
    return decodeURI(p);
  } catch {
    return p;
  }
}

/**
 * Whether a route pattern, as a framework spells it, matches a concrete path: `:id` (Express,
 * Fastify, Koa, Hono; with `?` optional, with a `(regex)`), `{item_id}` (Starlette, FastAPI),
 * `{rest:path}`, `*` / `*rest` / `(.*)` (the rest of the path).
 */
export function routeMatches(route: string, path: string): boolean {
  const want = segments(safeDecode(path));
  const pattern = segments(route);
  let i = 0;
  for (const [k, seg] of pattern.entries()) {
    if (isRest(seg)) return k === pattern.length - 1 || i <= want.length;
    if (i >= want.length) return pattern.slice(k).every((p) => /^:[^/]*\?$/.test(p) || /^\{[^}]*\}\?$/.test(p));
    if (!segmentMatches(seg, want[i])) {
      if (/^:[^/]*\?$/.test(seg)) continue; // an optional parameter left out
      return false;
    }
    i++;
  }
  return i === want.length;
}

function segments(p: string): string[] {
  return p.split('/').filter((s) => s !== '');
}

function isRest(seg: string): boolean {
  return seg === '*' || seg === '**' || /^\*\w*$/.test(seg) || /^\{[^}:]+:path\}$/.test(seg) || seg === '(.*)' || /^:\w+\*$/.test(seg) || /^:\w+\(\.\*\)$/.test(seg);
}

function segmentMatches(seg: string, value: string): boolean {
  if (seg === value) return true;
  // A segment may mix text and parameters (`:from-:to`, `{id}.json`): each parameter is one or more characters.
  let re = '';
  let k = 0;
  while (k < seg.length) {
    const rest = seg.slice(k);
    const colon = /^:(\w+)(\([^)]*\))?\??/.exec(rest);
    const brace = /^\{[^}]*\}/.exec(rest);
    if (colon) {
      re += colon[2] ? `(?:${colon[2].slice(1, -1)})` : '[^/]+';
      k += colon[0].length;
    } else if (brace) {
      re += '[^/]+';
      k += brace[0].length;
    } else {
      re += seg[k].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      k++;
    }
  }
  try {
    return new RegExp(`^${re}$`).test(value);
  } catch {
    return false;
  }
}
