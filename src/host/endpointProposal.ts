/**
 * What Check Endpoints proposes, from what the probe saw in this session: the routes whose
 * handlers ran (with a concrete path, `GET /users/42`, since a pattern such as `/users/:id` cannot
 * be requested), and a canary only among requests seen answering quickly (held up by another
 * route's stall, never blocking themselves). No route seen: nothing proposed, no made-up `/health`.
 * Pure: stalls in, two input-box values out. The check itself asks the canary first (runCheck).
 */
import type { Stall } from '../shared/protocol/model';

export interface Proposal {
  /** `GET /users/42, POST /orders`, most stalls first; empty when no route was seen. */
  endpoints: string;
  /** `GET /health`, or empty (no canary) when no fast route was seen. */
  canary: string;
}

const MAX_PROPOSED = 5;
/** Names a person gives a route meant to answer at once: preferred as the canary among the fast ones. */
const HEALTH_LIKE = /\/(health|healthz|ready|readyz|live|livez|ping|status)\b/i;

/** `GET /users/42` from the stall's handler: its method with the concrete path it served. */
function concrete(stall: Stall): string | undefined {
  const h = stall.handler;
  if (h?.kind !== 'http') return undefined;
  const method = /^[A-Z]+(?= )/.exec(h.label)?.[0];
  const path = h.path ?? (h.route && !/[:*{(]/.test(h.route) ? h.route : undefined) ?? h.label.slice((method?.length ?? 0) + 1);
  if (!method || !path.startsWith('/') || /[:*{(]/.test(path)) return undefined;
  return `${method} ${path}`;
}

export function proposeEndpoints(stalls: readonly Stall[]): Proposal {
  const counts = new Map<string, number>();
  const blocking = new Set<string>();
  for (const s of stalls) {
    if (s.handler?.kind === 'http') blocking.add(s.handler.label);
    const e = concrete(s);
    if (e) counts.set(e, (counts.get(e) ?? 0) + 1);
  }
  const endpoints = [...counts].sort((a, b) => b[1] - a[1]).slice(0, MAX_PROPOSED).map(([e]) => e);
  // A victim's label is method and path as requested (no pattern), so it can be sent as is.
  const fast = new Map<string, number>();
  for (const s of stalls) {
    for (const v of s.victims ?? []) {
      if (blocking.has(v.label) || !/^[A-Z]+ \//.test(v.label)) continue;
      fast.set(v.label, (fast.get(v.label) ?? 0) + (v.count ?? 1));
    }
  }
  const ranked = [...fast].sort((a, b) => Number(HEALTH_LIKE.test(b[0])) - Number(HEALTH_LIKE.test(a[0])) || b[1] - a[1]);
  return { endpoints: endpoints.join(', '), canary: ranked[0]?.[0] ?? '' };
}
