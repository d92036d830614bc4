/**
 * When the stall list re-renders. User actions on the list render it at once (a key pressed
 * before the next frame must already see the expanded rows); data-driven updates run in their
 * own task after the frame, at most every LIST_THROTTLE_MS while live, so regrouping 10k stalls
 * never delays the paint of a new stall. Regrouping itself happens only when the stalls or the
 * sort order changed.
 */
import { groupByCulprit, type CulpritGroup } from '../src/core/culprits';
import type { StallList } from './stallList';
import type { ListView } from './stallRows';
import type { TimelineModel } from './timelineModel';

/** While live, the stall list regroups at most this often (ms). */
const LIST_THROTTLE_MS = 300;

export type ListViewState = Omit<ListView, 'groups' | 'stallsById' | 'totalStalls' | 'hasLanes' | 'live'>;

export class ListUpdater {
  private dirty = true;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private renderedAt = 0;
  private groups: CulpritGroup[] = [];
  private groupsKey = '';

  constructor(
    private readonly list: StallList,
    private readonly model: TimelineModel,
    /** The view state to render with, or undefined before the first data (nothing to render yet). */
    private readonly state: () => ListViewState | undefined,
  ) {}

  /** `now`: the user acted on the list (or the selection): render synchronously. */
  invalidate(now = false): void {
    this.dirty = true;
    if (now) this.render();
  }

  /** After a frame: a pending data-driven update gets its own task. */
  afterFrame(): void {
    if (!this.dirty || this.timer) return;
    const wait = this.model.live ? Math.max(0, LIST_THROTTLE_MS - (performance.now() - this.renderedAt)) : 0;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty && !this.model.isEmpty) this.render();
    }, wait);
  }

  private render(): void {
    const s = this.state();
    if (!s) return;
    const model = this.model;
    const key = `${model.stallsVersion}|${s.sort}`;
    if (key !== this.groupsKey) {
      this.groups = groupByCulprit([...model.stallsById.values()], s.sort);
      this.groupsKey = key;
    }
    this.list.render({ ...s, groups: this.groups, stallsById: model.stallsById, totalStalls: model.stallsById.size, hasLanes: model.lanes.size > 0, live: model.live });
    this.dirty = false;
    this.renderedAt = performance.now();
  }
}
