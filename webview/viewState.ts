/**
 * What the webview keeps across being hidden and shown (VS Code's getState/setState): the view,
 * not the data; the host sends the data again with `reset`. Whatever getState returns is read
 * through `restoreViewState`, so a state saved by an older build degrades to defaults. Pure.
 */
import type { CulpritOrder } from '../src/core/culprits';
import { DEFAULT_FOLLOW_SPAN_MS, type TimeWindow } from './layoutView';

export type Selection = { kind: 'stall'; id: string } | { kind: 'group'; key: string };

export interface ViewState {
  v: 1;
  /** The zoom window; null = the whole recording. */
  window: TimeWindow | null;
  follow: boolean;
  followSpanMs: number;
  selection: Selection | null;
  sort: CulpritOrder;
  expandedGroups: string[];
  expandedStalls: string[];
}

export function defaultViewState(): ViewState {
  return { v: 1, window: null, follow: true, followSpanMs: DEFAULT_FOLLOW_SPAN_MS, selection: null, sort: 'total', expandedGroups: [], expandedStalls: [] };
}

const MAX_EXPANDED = 500;

const isRec = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length <= 8192).slice(0, MAX_EXPANDED) : [];

export function restoreViewState(saved: unknown): ViewState {
  const d = defaultViewState();
  if (!isRec(saved) || saved.v !== 1) return d;
  const w = saved.window;
  const window =
    isRec(w) && typeof w.startMs === 'number' && typeof w.endMs === 'number' && Number.isFinite(w.startMs) && w.endMs > w.startMs
      ? { startMs: w.startMs, endMs: w.endMs }
      : null;
  const sel = saved.selection;
  const selection: Selection | null =
    isRec(sel) && sel.kind === 'stall' && typeof sel.id === 'string'
      ? { kind: 'stall', id: sel.id }
      : isRec(sel) && sel.kind === 'group' && typeof sel.key === 'string'
        ? { kind: 'group', key: sel.key }
        : null;
  const sort = saved.sort === 'count' || saved.sort === 'max' || saved.sort === 'total' ? saved.sort : d.sort;
  const span = typeof saved.followSpanMs === 'number' && saved.followSpanMs > 0 && Number.isFinite(saved.followSpanMs) ? saved.followSpanMs : d.followSpanMs;
  return {
    v: 1,
    window,
    follow: typeof saved.follow === 'boolean' ? saved.follow : d.follow,
    followSpanMs: span,
    selection,
    sort,
    expandedGroups: strings(saved.expandedGroups),
    expandedStalls: strings(saved.expandedStalls),
  };
}
