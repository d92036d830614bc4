/**
 * What the Run and Debug view lists: the stalls of the recording on screen by route (the handler
 * that ran: `GET /users/:id`, a timer, a task), and within a route by blocking line, each with its
 * count and worst duration. Pure and `vscode`-free; the lines are ranked as everywhere else
 * (core/culprits.ts).
 */
import { groupByCulprit, type CulpritGroup } from '../core/culprits';
import { causeText, formatDuration, frameLocation, functionName, noCulpritText, plural } from '../shared/phrases';
import type { Stall } from '../shared/protocol/model';

/** The route of stalls that ran outside any handler the probe could name. */
export const NO_HANDLER = 'no handler';

export interface LineGroup extends CulpritGroup {
  /** The stall shown when the line is opened: its longest. */
  worstStallId: string;
}

export interface RouteGroup {
  label: string;
  count: number;
  maxMs: number;
  lines: LineGroup[];
}

export function groupByRoute(stalls: readonly Stall[]): RouteGroup[] {
  const byRoute = new Map<string, Stall[]>();
  for (const s of stalls) {
    if (s.ongoing) continue;
    const label = s.handler?.label ?? NO_HANDLER;
    byRoute.set(label, [...(byRoute.get(label) ?? []), s]);
  }
  const routes: RouteGroup[] = [];
  for (const [label, members] of byRoute) {
    const byId = new Map(members.map((s) => [s.id, s]));
    const lines = groupByCulprit(members, 'max').map((g) => ({
      ...g,
      worstStallId: g.stallIds.reduce((w, id) => (byId.get(id)!.durationMs > byId.get(w)!.durationMs ? id : w)),
    }));
    routes.push({ label, count: members.length, maxMs: Math.max(...members.map((s) => s.durationMs)), lines });
  }
  return routes.sort((a, b) => b.maxMs - a.maxMs || b.count - a.count);
}

/** `3 stalls · worst 812 ms` */
export function groupDescription(g: { count: number; maxMs: number }): string {
  return `${plural(g.count, 'stall')} · worst ${formatDuration(g.maxMs)}`;
}

/** A line as the view names it: `report.js:42` and its function, or what stands in for a missing culprit and what blocked. */
export function lineLabel(g: Pick<LineGroup, 'culprit'>, stall: Pick<Stall, 'frames' | 'cause'> | undefined): { label: string; detail: string } {
  if (!g.culprit) return { label: noCulpritText(stall ?? { frames: [] }), detail: stall?.cause ? causeText(stall.cause) : '' };
  return { label: frameLocation(g.culprit), detail: functionName(g.culprit) };
}
