/**
 * The stall list beside the chart: a tree of culprit lines → their stalls → each stall's stack.
 * A WAI-ARIA tree with one roving tab stop; rows are reused by key across updates, so a live
 * session appending stalls never swaps the element under the user's pointer or focus.
 * Rows carry `data-stall` (and `data-frame-index`), not `data-stall-id`: that attribute is the
 * chart marks' alone, so `[data-stall-id="…"]` always finds exactly one element.
 */
import type { Stall } from '../src/shared/protocol';
import type { CulpritGroup, CulpritOrder } from '../src/core/culprits';
import { h } from './dom';
import { causeText, formatClock, formatDuration, functionName, splitPath } from './format';
import { severityOf } from './layoutStalls';
import { victimsPhrase } from '../src/core/victims';
import type { Selection } from './viewState';

export interface ListEvents {
  /** A row was picked. `reveal`: open the source (click, Enter); `frameIndex` for a stack frame. */
  select(sel: Selection, reveal: boolean, stallId?: string, frameIndex?: number): void;
  sort(order: CulpritOrder): void;
  toggleGroup(key: string, expanded: boolean): void;
  toggleStall(id: string, expanded: boolean): void;
  showMore(key: string): void;
}

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

type Row =
  | { kind: 'group'; key: string; group: CulpritGroup; expanded: boolean; level: 1 }
  | { kind: 'stall'; key: string; stall: Stall; groupKey: string; expanded: boolean; level: 2 }
  | { kind: 'frame'; key: string; stall: Stall; index: number; level: 3 }
  | { kind: 'noframes'; key: string; stall: Stall; level: 3 }
  /** What the stall did to other requests, above its stack. */
  | { kind: 'victims'; key: string; stall: Stall; level: 3 }
  | { kind: 'more'; key: string; groupKey: string; remaining: number; level: 2 };

export const PAGE_SIZE = 100;

const SORTS: { order: CulpritOrder; label: string; title: string }[] = [
  { order: 'total', label: 'Total', title: 'Sort by total time blocked' },
  { order: 'count', label: 'Count', title: 'Sort by number of stalls' },
  { order: 'max', label: 'Longest', title: 'Sort by the longest stall' },
];

export class StallList {
  readonly el: HTMLElement;
  private readonly tree: HTMLDivElement;
  private readonly countEl: HTMLSpanElement;
  private readonly emptyEl: HTMLDivElement;
  private readonly sortButtons = new Map<CulpritOrder, HTMLButtonElement>();
  private rows: Row[] = [];
  private readonly rowEls = new Map<string, HTMLDivElement>();
  private readonly signatures = new WeakMap<HTMLDivElement, string>();
  private activeKey: string | undefined;
  private view: ListView | undefined;
  private scrollToActive = false;

  constructor(
    parent: HTMLElement,
    private readonly events: ListEvents,
  ) {
    this.countEl = h('span', { class: 'count-badge', 'aria-live': 'polite' });
    const sortBar = h('div', { class: 'sort', role: 'group', 'aria-label': 'Sort culprits by' }, h('span', { class: 'sort-label' }, 'Sort'));
    for (const s of SORTS) {
      const b = h('button', { class: 'seg', type: 'button', title: s.title, 'aria-pressed': 'false', 'data-sort': s.order }, s.label);
      b.addEventListener('click', () => this.events.sort(s.order));
      this.sortButtons.set(s.order, b);
      sortBar.appendChild(b);
    }
    const header = h('div', { class: 'list-header' }, h('h2', { id: 'ss-list-title' }, 'Stalls'), this.countEl, sortBar);
    this.tree = h('div', { class: 'tree', role: 'tree', 'aria-labelledby': 'ss-list-title' });
    this.emptyEl = h('div', { class: 'list-empty' });
    this.el = h('section', { class: 'list-pane', 'aria-label': 'Stalls by blocking line' }, header, this.tree, this.emptyEl);
    parent.appendChild(this.el);
    this.tree.addEventListener('click', (e) => this.onClick(e));
    this.tree.addEventListener('keydown', (e) => this.onKeyDown(e));
    this.tree.addEventListener('focusin', (e) => {
      const row = (e.target as Element).closest<HTMLDivElement>('.row');
      if (row?.dataset.key) this.setActive(row.dataset.key, false);
    });
  }

  /** Makes the row of `sel` the active one and scrolls it into view on the next render. */
  reveal(sel: Selection): void {
    this.activeKey = sel.kind === 'stall' ? `s:${sel.id}` : `g:${sel.key}`;
    this.scrollToActive = true;
  }

  render(view: ListView): void {
    this.view = view;
    for (const [order, b] of this.sortButtons) b.setAttribute('aria-pressed', String(order === view.sort));
    this.countEl.textContent = String(view.totalStalls);
    this.countEl.title = `${view.totalStalls} stall${view.totalStalls === 1 ? '' : 's'} in ${view.groups.length} place${view.groups.length === 1 ? '' : 's'}`;
    this.emptyEl.textContent = view.groups.length
      ? ''
      : view.hasLanes
        ? view.live
          ? 'No stalls yet: the event loop has not been blocked longer than the threshold.'
          : 'No stalls in this recording.'
        : '';
    this.emptyEl.hidden = !!view.groups.length;
    this.rows = this.flatten(view);

    const keys = new Set(this.rows.map((r) => r.key));
    if (!this.activeKey || !keys.has(this.activeKey)) this.activeKey = this.fallbackActive(keys);
    const hadFocus = this.tree.contains(document.activeElement);
    const focusedKey = hadFocus ? (document.activeElement as HTMLElement).dataset?.key : undefined;

    // Reconcile: reuse rows by key, rebuild a row's content only when what it shows changed.
    let i = 0;
    for (const row of this.rows) {
      let el = this.rowEls.get(row.key);
      if (!el) {
        el = h('div', { class: 'row', role: 'treeitem' });
        el.dataset.key = row.key;
        this.rowEls.set(row.key, el);
      }
      this.updateRow(el, row, view);
      const at = this.tree.children[i];
      if (at !== el) this.tree.insertBefore(el, at ?? null);
      i++;
    }
    while (this.tree.children.length > this.rows.length) this.tree.lastElementChild?.remove();
    for (const [key, el] of this.rowEls) {
      if (keys.has(key)) continue;
      this.rowEls.delete(key);
      el.remove();
    }

    // Focus survives a collapse: it moves to the row that took the active role.
    if (hadFocus && focusedKey !== this.activeKey && this.activeKey) this.rowEls.get(this.activeKey)?.focus({ preventScroll: true });
    if (this.scrollToActive && this.activeKey) {
      this.rowEls.get(this.activeKey)?.scrollIntoView({ block: 'nearest' });
      this.scrollToActive = false;
    }
  }

  private fallbackActive(keys: Set<string>): string | undefined {
    const sel = this.view?.selection;
    if (sel) {
      const k = sel.kind === 'stall' ? `s:${sel.id}` : `g:${sel.key}`;
      if (keys.has(k)) return k;
    }
    return this.rows[0]?.key;
  }

  private flatten(view: ListView): Row[] {
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
        if (victimsPhrase(st)) rows.push({ kind: 'victims', key: `v:${st.id}`, stall: st, level: 3 });
        if (!st.frames.length) rows.push({ kind: 'noframes', key: `n:${st.id}`, stall: st, level: 3 });
        st.frames.forEach((_, fi) => rows.push({ kind: 'frame', key: `f:${st.id}:${fi}`, stall: st, index: fi, level: 3 }));
      }
      if (shown < stalls.length) rows.push({ kind: 'more', key: `m:${g.key}`, groupKey: g.key, remaining: stalls.length - shown, level: 2 });
    }
    return rows;
  }

  private isSelected(row: Row, sel: Selection | null): boolean {
    if (!sel) return false;
    if (row.kind === 'group') return sel.kind === 'group' && sel.key === row.group.key;
    if (row.kind === 'stall') return sel.kind === 'stall' && sel.id === row.stall.id;
    return false;
  }

  private updateRow(el: HTMLDivElement, row: Row, view: ListView): void {
    const selected = this.isSelected(row, view.selection);
    const active = row.key === this.activeKey;
    el.tabIndex = active ? 0 : -1;
    el.setAttribute('aria-level', String(row.level));
    el.setAttribute('aria-selected', String(selected));
    if (row.kind === 'group' || row.kind === 'stall') el.setAttribute('aria-expanded', String(row.expanded));
    else el.removeAttribute('aria-expanded');
    el.className = `row row-${row.kind} level-${row.level}${selected ? ' selected' : ''}`;

    const sig = this.signature(row);
    if (this.signatures.get(el) === sig) return;
    this.signatures.set(el, sig);
    el.dataset.kind = row.kind;
    delete el.dataset.stall;
    delete el.dataset.frameIndex;
    switch (row.kind) {
      case 'group':
        el.replaceChildren(...groupContent(row.group, row.expanded, view.stallsById));
        el.setAttribute('aria-label', groupLabel(row.group));
        break;
      case 'stall':
        el.dataset.stall = row.stall.id;
        el.replaceChildren(...stallContent(row.stall, row.expanded));
        el.setAttribute('aria-label', `${formatDuration(row.stall.durationMs)}${row.stall.ongoing ? ' ongoing' : ''} stall${row.stall.handler ? ` in ${row.stall.handler.label}` : ''} at ${formatClock(row.stall.startMs)}`);
        break;
      case 'frame': {
        el.dataset.stall = row.stall.id;
        el.dataset.frameIndex = String(row.index);
        const f = row.stall.frames[row.index];
        el.replaceChildren(...frameContent(row.stall, row.index));
        el.title = `${f.file}:${f.line}:${f.column}`;
        el.setAttribute('aria-label', `${functionName(f)} at ${splitPath(f.file).base} line ${f.line}${isCulprit(row.stall, row.index) ? ', the culprit' : ''}`);
        break;
      }
      case 'noframes':
        el.replaceChildren(h('span', { class: 'muted' }, 'No stack captured for this stall (lag-only mode or stacks off).'));
        el.setAttribute('aria-label', 'No stack captured');
        break;
      case 'victims': {
        const text = victimsText(row.stall);
        el.replaceChildren(h('span', { class: 'muted' }, text));
        el.setAttribute('aria-label', text);
        break;
      }
      case 'more':
        el.replaceChildren(h('span', { class: 'link' }, `Show ${Math.min(PAGE_SIZE, row.remaining)} more of ${row.remaining}…`));
        el.setAttribute('aria-label', `Show more stalls, ${row.remaining} not listed`);
        break;
    }
  }

  private signature(row: Row): string {
    switch (row.kind) {
      case 'group': {
        const g = row.group;
        return `g|${row.expanded}|${g.count}|${g.totalMs}|${g.maxMs}|${g.handlers.join('\u0000')}`;
      }
      case 'stall':
        return `s|${row.expanded}|${row.stall.durationMs}|${row.stall.ongoing ?? false}|${row.stall.frames.length}`;
      case 'more':
        return `m|${row.remaining}`;
      case 'victims':
        return `v|${victimsText(row.stall)}`;
      default:
        return row.kind;
    }
  }

  private setActive(key: string, focus: boolean): void {
    if (this.activeKey === key && !focus) return;
    const prev = this.activeKey ? this.rowEls.get(this.activeKey) : undefined;
    if (prev) prev.tabIndex = -1;
    this.activeKey = key;
    const el = this.rowEls.get(key);
    if (!el) return;
    el.tabIndex = 0;
    if (focus) {
      el.focus({ preventScroll: true });
      el.scrollIntoView({ block: 'nearest' });
    }
  }

  private rowOf(el: HTMLElement): Row | undefined {
    const key = el.dataset.key;
    return this.rows.find((r) => r.key === key);
  }

  private onClick(e: MouseEvent): void {
    const el = (e.target as Element).closest<HTMLDivElement>('.row');
    if (!el) return;
    const row = this.rowOf(el);
    if (!row) return;
    this.setActive(row.key, true);
    if ((e.target as Element).closest('.twistie')) this.toggle(row);
    else this.activate(row);
  }

  private toggle(row: Row, expand?: boolean): void {
    if (row.kind === 'group') this.events.toggleGroup(row.group.key, expand ?? !row.expanded);
    else if (row.kind === 'stall') this.events.toggleStall(row.stall.id, expand ?? !row.expanded);
  }

  /** Click / Enter / Space: select the row and open its source (or show more). */
  private activate(row: Row): void {
    switch (row.kind) {
      case 'group': {
        const longest = row.group.stallIds.map((id) => this.view?.stallsById.get(id)).reduce<Stall | undefined>((a, b) => (b && (!a || b.durationMs > a.durationMs) ? b : a), undefined);
        if (!row.expanded) this.events.toggleGroup(row.group.key, true);
        this.events.select({ kind: 'group', key: row.group.key }, true, longest?.id);
        break;
      }
      case 'stall':
        this.events.select({ kind: 'stall', id: row.stall.id }, true, row.stall.id);
        break;
      case 'frame':
        this.events.select({ kind: 'stall', id: row.stall.id }, true, row.stall.id, row.index);
        break;
      case 'more':
        this.events.showMore(row.groupKey);
        break;
      case 'noframes':
      case 'victims':
        break;
    }
  }

  /** Arrow keys move the focus, and selection follows it (the chart highlights as you go). */
  private onKeyDown(e: KeyboardEvent): void {
    const el = (e.target as Element).closest<HTMLDivElement>('.row');
    if (!el) return;
    const i = this.rows.findIndex((r) => r.key === el.dataset.key);
    const row = this.rows[i];
    if (!row) return;
    const move = (j: number): void => {
      const to = this.rows[Math.max(0, Math.min(this.rows.length - 1, j))];
      if (!to) return;
      this.setActive(to.key, true);
      if (to.kind === 'group') this.events.select({ kind: 'group', key: to.group.key }, false);
      else if (to.kind === 'stall') this.events.select({ kind: 'stall', id: to.stall.id }, false);
    };
    const parentIndex = (): number => {
      for (let j = i - 1; j >= 0; j--) if (this.rows[j].level < row.level) return j;
      return -1;
    };
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        move(i + 1);
        break;
      case 'ArrowUp':
        move(i - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(this.rows.length - 1);
        break;
      case 'PageDown':
        move(i + 10);
        break;
      case 'PageUp':
        move(i - 10);
        break;
      case 'ArrowRight':
        if ((row.kind === 'group' || row.kind === 'stall') && !row.expanded) this.toggle(row, true);
        else if ((row.kind === 'group' || row.kind === 'stall') && this.rows[i + 1]?.level > row.level) move(i + 1);
        break;
      case 'ArrowLeft':
        if ((row.kind === 'group' || row.kind === 'stall') && row.expanded) this.toggle(row, false);
        else if (parentIndex() >= 0) move(parentIndex());
        break;
      case 'Enter':
      case ' ':
        this.activate(row);
        break;
      default:
        handled = false;
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  }
}

function isCulprit(stall: Stall, index: number): boolean {
  const c = stall.culprit;
  const f = stall.frames[index];
  if (!c || !f) return false;
  // The culprit is the first frame at the culprit's location.
  const first = stall.frames.findIndex((x) => x.file === c.file && x.line === c.line && x.column === c.column);
  return first === index;
}

function twistie(expanded: boolean): HTMLSpanElement {
  return h('span', { class: `twistie${expanded ? ' open' : ''}`, 'aria-hidden': 'true' });
}

function sevDot(ms: number): HTMLSpanElement {
  return h('span', { class: `sev-dot sev-${severityOf(ms)}`, 'aria-hidden': 'true' });
}

function groupLabel(g: CulpritGroup): string {
  const where = g.culprit ? `${functionName(g.culprit)} at ${splitPath(g.culprit.file).base} line ${g.culprit.line}` : 'Unknown location';
  return `${where}: ${g.count} stall${g.count === 1 ? '' : 's'}, longest ${formatDuration(g.maxMs)}, total ${formatDuration(g.totalMs)}${g.handlers.length ? `, in ${g.handlers.slice(0, 3).join(', ')}` : ''}`;
}

function groupContent(g: CulpritGroup, expanded: boolean, stalls: ReadonlyMap<string, Stall>): Node[] {
  const title = h('span', { class: 'title' });
  if (g.culprit) {
    const p = splitPath(g.culprit.file);
    title.append(h('span', { class: 'fn' }, functionName(g.culprit)), h('span', { class: 'loc' }, `${p.base}:${g.culprit.line}`), h('span', { class: 'dir muted' }, p.dir));
    title.title = `${g.culprit.file}:${g.culprit.line}:${g.culprit.column}`;
  } else {
    const causes = new Set(g.stallIds.slice(0, 50).map((id) => stalls.get(id)?.cause?.api).filter(Boolean));
    title.append(h('span', { class: 'fn' }, 'No user code on the stack'), h('span', { class: 'dir muted' }, [...causes].join(', ')));
  }
  const line1 = h('div', { class: 'line1' }, twistie(expanded), sevDot(g.maxMs), title, h('span', { class: 'stat max' }, formatDuration(g.maxMs)));
  const meta = h(
    'div',
    { class: 'line2' },
    h('span', { class: 'stat' }, `${g.count}×`),
    h('span', { class: 'stat' }, `total ${formatDuration(g.totalMs)}`),
    h('span', { class: 'handlers muted' }, g.handlers.slice(0, 3).join(', ') + (g.handlers.length > 3 ? ` +${g.handlers.length - 3}` : '')),
  );
  return [line1, meta];
}

function stallContent(st: Stall, expanded: boolean): Node[] {
  const parts: (Node | null)[] = [
    twistie(expanded),
    sevDot(st.durationMs),
    h('span', { class: 'dur' }, formatDuration(st.durationMs)),
    st.ongoing ? h('span', { class: 'badge badge-ongoing' }, 'ongoing') : null,
    h('span', { class: 'handler' }, st.handler?.label ?? '—'),
    h('span', { class: 'cause muted' }, st.cause?.api ?? (st.cause ? causeText(st.cause) : '')),
    h('span', { class: 'time muted' }, formatClock(st.startMs)),
  ];
  return parts.filter((n): n is Node => n !== null);
}

function frameContent(st: Stall, index: number): Node[] {
  const f = st.frames[index];
  const p = splitPath(f.file);
  const internal = f.file.startsWith('node:') || /[\\/]node_modules[\\/]/.test(f.file);
  const culprit = isCulprit(st, index);
  const row: Node[] = [
    h('span', { class: `frame-fn${internal ? ' muted' : ''}` }, functionName(f)),
    h('span', { class: `loc${internal ? ' muted' : ''}` }, `${p.base}:${f.line}:${f.column}`),
    h('span', { class: 'dir muted' }, p.dir),
  ];
  if (culprit) row.push(h('span', { class: 'badge badge-culprit' }, 'culprit'));
  return row;
}

/** "Delayed 37 requests, 3 of them GET /health · up to 640 ms". */
function victimsText(stall: Stall): string {
  const phrase = victimsPhrase(stall) ?? '';
  const worst = Math.max(0, ...(stall.victims ?? []).map((v) => v.delayedMs));
  return `${phrase.charAt(0).toUpperCase()}${phrase.slice(1)} · up to ${formatDuration(worst)}`;
}
