/**
 * The stall list beside the chart: a tree of culprit lines → their stalls → each stall's stack.
 * A WAI-ARIA tree with one roving tab stop; rows are reused by key across updates, so a live
 * session appending stalls never swaps the element under the user's pointer or focus.
 * Rows carry `data-stall` (and `data-frame-index`), not `data-stall-id`: that attribute is the
 * chart marks' alone, so `[data-stall-id="…"]` always finds exactly one element.
 */
import type { Stall } from '../src/shared/protocol/model';
import type { CulpritOrder } from '../src/core/culprits';
import { h } from './dom';
import { fillRow } from './stallRowContent';
import { flattenRows, isRowSelected, rowKeyOf, rowSignature, treeKeyAction, type ListView, type Row } from './stallRows';
import type { Selection } from './viewState';

export { PAGE_SIZE, type ListView } from './stallRows';

export interface ListEvents {
  /** A row was picked. `reveal`: open the source (click, Enter); `frameIndex` for a stack frame. */
  select(sel: Selection, reveal: boolean, stallId?: string, frameIndex?: number): void;
  sort(order: CulpritOrder): void;
  toggleGroup(key: string, expanded: boolean): void;
  toggleStall(id: string, expanded: boolean): void;
  showMore(key: string): void;
}

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
    this.activeKey = rowKeyOf(sel);
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
    this.rows = flattenRows(view);

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
      const k = rowKeyOf(sel);
      if (keys.has(k)) return k;
    }
    return this.rows[0]?.key;
  }

  private updateRow(el: HTMLDivElement, row: Row, view: ListView): void {
    const selected = isRowSelected(row, view.selection);
    const active = row.key === this.activeKey;
    el.tabIndex = active ? 0 : -1;
    el.setAttribute('aria-level', String(row.level));
    el.setAttribute('aria-selected', String(selected));
    if (row.kind === 'group' || row.kind === 'stall') el.setAttribute('aria-expanded', String(row.expanded));
    else el.removeAttribute('aria-expanded');
    el.className = `row row-${row.kind} level-${row.level}${selected ? ' selected' : ''}`;

    const sig = rowSignature(row);
    if (this.signatures.get(el) === sig) return;
    this.signatures.set(el, sig);
    fillRow(el, row, view.stallsById);
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
      case 'known':
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
    const action = treeKeyAction(e.key, this.rows, i);
    if (!action) return;
    e.preventDefault();
    e.stopPropagation();
    switch (action.kind) {
      case 'move': {
        const to = this.rows[action.to];
        this.setActive(to.key, true);
        if (to.kind === 'group') this.events.select({ kind: 'group', key: to.group.key }, false);
        else if (to.kind === 'stall') this.events.select({ kind: 'stall', id: to.stall.id }, false);
        break;
      }
      case 'expand':
        this.toggle(row, action.open);
        break;
      case 'activate':
        this.activate(row);
        break;
      case 'none':
        break;
    }
  }
}
