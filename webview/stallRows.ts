/**
 * The stall list as rows: culprit lines → their stalls → each stall's stack, flattened in the
 * order shown, and what each tree key does to it. Pure (no DOM).
 */
import type { Stall } from '../src/shared/protocol/model';
import type { CulpritGroup, CulpritOrder } from '../src/core/culprits';
import { backToBackPhrase, causeText, formatDuration, handlerText, noCulpritText, victimsPhrase } from './format';
import type { Selection } from './viewState';

export interface ListView {
  groups: readonly CulpritGroup[];
  stallsById: ReadonlyMap<string, Stall>;
  selection: Selection | null;
  sort: CulpritOrder;
  expandedGroups: ReadonlySet<string>;
  expandedStalls: ReadonlySet<string>;
  /** How many stalls of a group are listed (the rest behind "show more"). */
  shown: ReadonlyMap<string, number>;
  totalStalls: number;
  hasLanes: boolean;
  live: boolean;
}

export type Row =
  | { kind: 'group'; key: string; group: CulpritGroup; expanded: boolean; level: 1 }
  | { kind: 'stall'; key: string; stall: Stall; groupKey: string; expanded: boolean; level: 2 }
  | { kind: 'frame'; key: string; stall: Stall; index: number; level: 3 }
  | { kind: 'noframes'; key: string; stall: Stall; level: 3 }
  /** What the stall did to other requests, above its stack. */
  | { kind: 'victims'; key: string; stall: Stall; level: 3 }
  /** Without a frame of the user's code: what is known instead (the call, the handler). */
  | { kind: 'known'; key: string; stall: Stall; level: 3 }
  | { kind: 'more'; key: string; groupKey: string; remaining: number; level: 2 };

export const PAGE_SIZE = 100;

export const rowKeyOf = (sel: Selection): string => (sel.kind === 'stall' ? `s:${sel.id}` : `g:${sel.key}`);

export function flattenRows(view: ListView): Row[] {
  const rows: Row[] = [];
  for (const g of view.groups) {
    const expanded = view.expandedGroups.has(g.key);
    rows.push({ kind: 'group', key: `g:${g.key}`, group: g, expanded, level: 1 });
    if (!expanded) continue;
    const stalls = g.stallIds
      .map((id) => view.stallsById.get(id))
      .filter((x): x is Stall => !!x)
      .sort((a, b) => b.durationMs - a.durationMs || a.startMs - b.startMs);
    const shown = Math.min(stalls.length, view.shown.get(g.key) ?? PAGE_SIZE);
    for (let i = 0; i < shown; i++) {
      const st = stalls[i];
      const open = view.expandedStalls.has(st.id);
      rows.push({ kind: 'stall', key: `s:${st.id}`, stall: st, groupKey: g.key, expanded: open, level: 2 });
      if (!open) continue;
      if (!st.culprit) rows.push({ kind: 'known', key: `k:${st.id}`, stall: st, level: 3 });
      if (victimsPhrase(st)) rows.push({ kind: 'victims', key: `v:${st.id}`, stall: st, level: 3 });
      if (!st.frames.length) rows.push({ kind: 'noframes', key: `n:${st.id}`, stall: st, level: 3 });
      st.frames.forEach((_, fi) => rows.push({ kind: 'frame', key: `f:${st.id}:${fi}`, stall: st, index: fi, level: 3 }));
    }
    if (shown < stalls.length) rows.push({ kind: 'more', key: `m:${g.key}`, groupKey: g.key, remaining: stalls.length - shown, level: 2 });
  }
  return rows;
}

export function isRowSelected(row: Row, sel: Selection | null): boolean {
  if (!sel) return false;
  if (row.kind === 'group') return sel.kind === 'group' && sel.key === row.group.key;
  if (row.kind === 'stall') return sel.kind === 'stall' && sel.id === row.stall.id;
  return false;
}

/** What a row shows, as a string: its content is rebuilt only when this changes. */
export function rowSignature(row: Row): string {
  switch (row.kind) {
    case 'group': {
      const g = row.group;
      return `g|${row.expanded}|${g.count}|${g.totalMs}|${g.maxMs}|${g.handlers.join('\u0000')}`;
    }
    case 'stall':
      return `s|${row.expanded}|${row.stall.durationMs}|${row.stall.ongoing ?? false}|${row.stall.frames.length}|${backToBackPhrase(row.stall) ?? ''}`;
    case 'more':
      return `m|${row.remaining}`;
    case 'victims':
      return `v|${victimsText(row.stall)}`;
    case 'known':
      return `k|${knownText(row.stall)}`;
    default:
      return row.kind;
  }
}

/** The culprit is the first frame at the culprit's location. */
export function isCulpritFrame(stall: Stall, index: number): boolean {
  const c = stall.culprit;
  if (!c || !stall.frames[index]) return false;
  return stall.frames.findIndex((x) => x.file === c.file && x.line === c.line && x.column === c.column) === index;
}

/** "14 requests of GET /hash back to back, ~150 ms each · delayed 37 requests, 3 of them GET /health · up to 640 ms". */
export function victimsText(stall: Stall): string {
  const phrase = [backToBackPhrase(stall), victimsPhrase(stall)].filter(Boolean).join(' · ');
  const worst = Math.max(0, ...(stall.victims ?? []).map((v) => v.delayedMs));
  return `${phrase.charAt(0).toUpperCase()}${phrase.slice(1)} · up to ${formatDuration(worst)}`;
}

/**
 * What is known of a stall without a frame in the user's code:
 * "sync native call: pbkdf2Sync · in POST /login · no frame in your code: the stack below is what ran".
 */
export function knownText(stall: Stall): string {
  const parts = [causeText(stall.cause), stall.handler ? `in ${handlerText(stall.handler)}` : 'outside any request or callback we know'];
  parts.push(stall.frames.length ? `${noCulpritText(stall)}: the stack below is what ran` : noCulpritText(stall));
  return parts.join(' · ');
}

export type TreeAction = { kind: 'move'; to: number } | { kind: 'expand'; open: boolean } | { kind: 'activate' } | { kind: 'none' };

/** What a key does on row `i`, as in VS Code's tree views. `undefined`: not a tree key. */
export function treeKeyAction(key: string, rows: readonly Row[], i: number): TreeAction | undefined {
  const row = rows[i];
  const clamp = (j: number): TreeAction => ({ kind: 'move', to: Math.max(0, Math.min(rows.length - 1, j)) });
  const expandable = row.kind === 'group' || row.kind === 'stall';
  const expanded = expandable && row.expanded;
  switch (key) {
    case 'ArrowDown':
      return clamp(i + 1);
    case 'ArrowUp':
      return clamp(i - 1);
    case 'Home':
      return clamp(0);
    case 'End':
      return clamp(rows.length - 1);
    case 'PageDown':
      return clamp(i + 10);
    case 'PageUp':
      return clamp(i - 10);
    case 'ArrowRight':
      if (expandable && !expanded) return { kind: 'expand', open: true };
      if (expandable && rows[i + 1]?.level > row.level) return clamp(i + 1);
      return { kind: 'none' };
    case 'ArrowLeft': {
      if (expanded) return { kind: 'expand', open: false };
      for (let j = i - 1; j >= 0; j--) if (rows[j].level < row.level) return clamp(j);
      return { kind: 'none' };
    }
    case 'Enter':
    case ' ':
      return { kind: 'activate' };
    default:
      return undefined;
  }
}
