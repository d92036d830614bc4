/**
 * The stalls of a run by route: users think, group and budget in routes (`GET /users/:id`), not in
 * the URLs that hit them. The probe labels an HTTP request by its route pattern when the framework
 * told it (`handler.route`), else by its path, and keeps the path beside it (`handler.path`).
 * Pure: stalls in, lines out.
 */
import type { Stall } from '../shared/protocol/model';
import { formatDuration, plural } from './format';
import { plain, type Style } from './style';

export interface RouteGroup {
  /** `GET /users/:id`: the request's label, the route pattern when known. */
  label: string;
  /** Whether the probe knew the route pattern (else the label holds a path). */
  isRoute: boolean;
  count: number;
  totalMs: number;
  maxMs: number;
  /** Distinct requested paths, most stalls first. */
  paths: string[];
}

/** HTTP stalls grouped by route, most blocked time first. */
export function groupByRoute(stalls: readonly Stall[]): RouteGroup[] {
  const groups = new Map<string, RouteGroup & { pathCounts: Map<string, number> }>();
  for (const s of stalls) {
    const h = s.handler;
    if (!h || h.kind !== 'http') continue;
    let g = groups.get(h.label);
    if (!g) groups.set(h.label, (g = { label: h.label, isRoute: false, count: 0, totalMs: 0, maxMs: 0, paths: [], pathCounts: new Map() }));
    g.isRoute ||= h.route !== undefined;
    g.count++;
    g.totalMs += s.durationMs;
    g.maxMs = Math.max(g.maxMs, s.durationMs);
    if (h.path !== undefined) g.pathCounts.set(h.path, (g.pathCounts.get(h.path) ?? 0) + 1);
  }
  return [...groups.values()]
    .map(({ pathCounts, ...g }) => ({ ...g, paths: [...pathCounts].sort((a, b) => b[1] - a[1]).map(([p]) => p) }))
    .sort((a, b) => b.totalMs - a.totalMs);
}

/**
 * The "by route" table of the summary; empty when it would add nothing (no request stalled, or one
 * route called at one path, which the culprit table already names).
 */
export function routeLines(stalls: readonly Stall[], st: Style = plain, top = 5): string[] {
  const groups = groupByRoute(stalls);
  if (!groups.length || (groups.length === 1 && groups[0].paths.length <= 1)) return [];
  const shown = groups.slice(0, top);
  const w = {
    label: Math.max(5, ...shown.map((g) => g.label.length)),
    count: Math.max(5, ...shown.map((g) => String(g.count).length)),
    total: Math.max(5, ...shown.map((g) => formatDuration(g.totalMs).length)),
    max: Math.max(3, ...shown.map((g) => formatDuration(g.maxMs).length)),
  };
  const out = [st.dim(`  ${'route'.padEnd(w.label)}  ${'count'.padStart(w.count)}  ${'total'.padStart(w.total)}  ${'max'.padStart(w.max)}`)];
  for (const g of shown) {
    const paths = g.isRoute && g.paths.length ? st.dim(`  ${pathsText(g.paths)}`) : '';
    out.push(`  ${g.label.padEnd(w.label)}  ${String(g.count).padStart(w.count)}  ${formatDuration(g.totalMs).padStart(w.total)}  ${formatDuration(g.maxMs).padStart(w.max)}${paths}`);
  }
  const rest = groups.slice(top);
  if (rest.length) out.push(st.dim(`  … ${plural(rest.length, 'more route')}: ${plural(rest.reduce((n, g) => n + g.count, 0), 'stall')}`));
  return out;
}

/** `/users/42, /users/7 (+3 more)`. */
function pathsText(paths: readonly string[]): string {
  const shown = paths.slice(0, 2).join(', ');
  return paths.length > 2 ? `${shown} (+${paths.length - 2} more)` : shown;
}
