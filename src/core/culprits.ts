/**
 * Stalls grouped by their culprit line: the CLI summary, the editor decorations and the
 * timeline's stall list all rank code the same way. Pure (no Node imports) so the webview bundles it too.
 */
import type { Frame, Stall } from '../shared/protocol/model';

export interface CulpritGroup {
  /** `file:line`, or `(unknown)` for stalls without a culprit in user code. */
  key: string;
  culprit: Frame | null;
  count: number;
  totalMs: number;
  maxMs: number;
  /** Distinct handler labels, most frequent first. */
  handlers: string[];
  stallIds: string[];
}

export function culpritKey(culprit: Frame | null): string {
  return culprit ? `${culprit.file}:${culprit.line}` : '(unknown)';
}

export type CulpritOrder = 'total' | 'count' | 'max';

export function groupByCulprit(stalls: readonly Stall[], order: CulpritOrder = 'total'): CulpritGroup[] {
  const groups = new Map<string, CulpritGroup & { handlerCounts: Map<string, number> }>();
  for (const s of stalls) {
    const key = culpritKey(s.culprit);
    let g = groups.get(key);
    if (!g) {
      g = { key, culprit: s.culprit, count: 0, totalMs: 0, maxMs: 0, handlers: [], stallIds: [], handlerCounts: new Map() };
      groups.set(key, g);
    }
    g.count++;
    g.totalMs += s.durationMs;
    g.maxMs = Math.max(g.maxMs, s.durationMs);
    g.stallIds.push(s.id);
    if (s.handler) g.handlerCounts.set(s.handler.label, (g.handlerCounts.get(s.handler.label) ?? 0) + 1);
  }
  const by: Record<CulpritOrder, (g: CulpritGroup) => number> = { total: (g) => g.totalMs, count: (g) => g.count, max: (g) => g.maxMs };
  return [...groups.values()]
    .map(({ handlerCounts, ...g }) => ({ ...g, handlers: [...handlerCounts].sort((a, b) => b[1] - a[1]).map(([h]) => h) }))
    .sort((a, b) => by[order](b) - by[order](a) || b.totalMs - a.totalMs);
}
