/**
 * The timeline webview: owns the view state (window, follow, selection, sort, expansion), applies
 * host messages to the model, and renders everything in one requestAnimationFrame, so a burst of
 * deltas costs one frame. Views report user intent through callbacks; only this class decides.
 */
import { culpritKey, groupByCulprit, type CulpritGroup, type CulpritOrder } from '../src/core/culprits';
import { assertNever, type HostToWebview, type WebviewToHost } from '../src/shared/protocol';
import { TimelineChart } from './chart';
import { CheckPanel } from './checkPanel';
import { h } from './dom';
import { orderLanes, type LaneInfo } from './layoutLanes';
import {
  DEFAULT_FOLLOW_SPAN_MS,
  clampWindow,
  followWindow,
  fullExtent,
  revealRange,
  span,
  touchesEnd,
  type TimeWindow,
} from './layoutView';
import { effectiveDuration } from './layoutStalls';
import { Overview } from './overview';
import { PAGE_SIZE, StallList } from './stallList';
import { readColors, watchTheme, type ChartColors } from './theme';
import { TimelineModel } from './timelineModel';
import { Toolbar, emptyState } from './toolbar';
import { Tooltip } from './tooltip';
import { restoreViewState, type Selection, type ViewState } from './viewState';

export interface VsCodeApi {
  postMessage(msg: WebviewToHost): void;
  getState(): unknown;
  setState(state: ViewState): void;
}

/** While live, the follow window scrolls at this frame interval (ms): smooth, but not 60 fps of CPU. */
const LIVE_FRAME_MS = 33;
/** While live, the stall list regroups at most this often (ms). */
const LIST_THROTTLE_MS = 300;

export class TimelineApp {
  readonly model = new TimelineModel();
  private state: ViewState;
  /** The window while not following; in follow mode the window is derived every frame. */
  private window: TimeWindow | null;
  private lanes: LaneInfo[] = [];
  private lanesVersion = -1;
  private groups: CulpritGroup[] = [];
  private groupsKey = '';
  private readonly shown = new Map<string, number>();
  private expandedGroups: Set<string>;
  private expandedStalls: Set<string>;
  private colors: ChartColors;
  private hasReset = false;

  private readonly root: HTMLElement;
  private readonly main: HTMLElement;
  private readonly chartPane: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly toolbar: Toolbar;
  private readonly chart: TimelineChart;
  private readonly overview: Overview;
  private readonly list: StallList;
  private readonly tooltip: Tooltip;
  private readonly checkPanel: CheckPanel;

  private raf = 0;
  private liveTimer: ReturnType<typeof setTimeout> | undefined;
  private listDirty = true;
  private listTimer: ReturnType<typeof setTimeout> | undefined;
  private listRenderedAt = 0;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private lastWindow: TimeWindow = { startMs: 0, endMs: 1 };
  private lastExtent: TimeWindow = { startMs: 0, endMs: 1 };

  constructor(
    private readonly api: VsCodeApi,
    container: HTMLElement,
  ) {
    this.state = restoreViewState(api.getState());
    this.window = this.state.window;
    this.expandedGroups = new Set(this.state.expandedGroups);
    this.expandedStalls = new Set(this.state.expandedStalls);

    this.root = h('div', { class: 'ss-app' });
    container.appendChild(this.root);
    this.tooltip = new Tooltip(document.body);
    this.toolbar = new Toolbar(this.root, {
      post: (m) => this.api.postMessage(m),
      toggleFollow: () => this.toggleFollow(),
      resetZoom: () => this.resetZoom(),
    });
    this.checkPanel = new CheckPanel({ reveal: (id) => this.selectStall(id, { reveal: true, from: 'host' }) });
    this.root.appendChild(this.checkPanel.el);
    this.main = h('div', { class: 'main' });
    const chartPane = h('section', { class: 'chart-pane', 'aria-label': 'Timeline' });
    this.chartPane = chartPane;
    this.main.appendChild(chartPane);
    this.root.appendChild(this.main);
    this.empty = emptyState((m) => this.api.postMessage(m));
    this.root.appendChild(this.empty);

    this.overview = new Overview(chartPane, { window: (w, cause) => this.onOverviewWindow(w, cause) });
    this.chart = new TimelineChart(
      chartPane,
      this.tooltip,
      {
        window: (w, cause) => this.onUserWindow(w, cause),
        resetZoom: () => this.resetZoom(),
        toggleFollow: () => this.toggleFollow(),
        select: (id, reveal) => this.selectStall(id, { reveal, from: 'chart' }),
        clearSelection: () => this.setSelection(null),
      },
      () => this.schedule(),
    );
    this.list = new StallList(this.main, {
      select: (sel, reveal, stallId, frameIndex) => this.onListSelect(sel, reveal, stallId, frameIndex),
      sort: (order) => this.setSort(order),
      toggleGroup: (key, open) => this.toggleSet(this.expandedGroups, key, open),
      toggleStall: (id, open) => this.toggleSet(this.expandedStalls, id, open),
      showMore: (key) => {
        this.shown.set(key, (this.shown.get(key) ?? PAGE_SIZE) + PAGE_SIZE);
        this.invalidateList();
      },
    });

    this.colors = readColors(this.root);
    watchTheme(() => {
      this.colors = readColors(this.root);
      this.chart.themeChanged();
      this.overview.invalidate();
      this.schedule();
    });
    document.addEventListener('visibilitychange', () => {
      // Being hidden may be the last thing this page sees (VS Code discards hidden webviews): save now.
      if (document.visibilityState === 'hidden') this.flushState();
      this.schedule();
    });
    // Global keys that work wherever focus is (except text fields): F follows, 0 resets zoom.
    window.addEventListener('keydown', (e) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      if (e.key === 'f' || e.key === 'F') this.toggleFollow();
      else if (e.key === '0') this.resetZoom();
      else return;
      e.preventDefault();
    });
    this.root.dataset.state = 'waiting';
    this.schedule();
  }

  // ───────────── host messages ─────────────

  handle(msg: HostToWebview): void {
    switch (msg.type) {
      case 'reset': {
        this.model.reset(msg.state);
        if (this.hasReset) {
          // A new source (another session, an opened recording): the old view does not apply.
          this.window = null;
          this.state.follow = true;
          this.state.followSpanMs = DEFAULT_FOLLOW_SPAN_MS;
          this.state.selection = null;
          this.expandedGroups.clear();
          this.expandedStalls.clear();
          this.shown.clear();
        } else if (this.state.selection?.kind === 'stall' && !this.model.stallsById.has(this.state.selection.id)) {
          this.state.selection = null;
        }
        this.hasReset = true;
        this.root.dataset.state = 'ready';
        this.invalidateList(true);
        break;
      }
      case 'append':
        this.model.append(msg);
        if (msg.stalls?.length) this.invalidateList();
        break;
      case 'live':
        this.model.setLive(msg.live);
        if (!msg.live && this.state.follow) {
          // The session ended: freeze the window where following left it.
          this.window = this.lastWindow;
        }
        break;
      case 'focusStall':
        this.selectStall(msg.stallId, { reveal: false, from: 'host' });
        break;
      case 'check':
        this.checkPanel.render(msg.check);
        break;
      default:
        assertNever(msg, 'host message');
    }
    this.schedule();
  }

  // ───────────── view state ─────────────

  private nowMs(): number | undefined {
    if (!this.model.live) return undefined;
    // Host and webview share a clock; a recording replayed as live would lag behind it, so never go back in time.
    return Math.max(Date.now(), Number.isFinite(this.model.maxMs) ? this.model.maxMs : 0);
  }

  private extent(): TimeWindow {
    return fullExtent(this.model.minMs, this.model.maxMs, this.nowMs());
  }

  private following(): boolean {
    return this.model.live && this.state.follow;
  }

  private currentWindow(extent: TimeWindow): TimeWindow {
    if (this.following()) return followWindow(this.state.followSpanMs, extent);
    return clampWindow(this.window ?? extent, extent);
  }

  private onUserWindow(w: TimeWindow, cause: 'pan' | 'zoom'): void {
    const extent = this.lastExtent;
    const next = clampWindow(w, extent);
    if (this.following()) {
      if (cause === 'zoom') {
        // Zooming while following keeps following: only the span changes, the right edge stays at now.
        this.state.followSpanMs = span(next);
        this.schedule();
        this.persist();
        return;
      }
      this.state.follow = false;
    }
    this.window = next;
    this.schedule();
    this.persist();
  }

  private onOverviewWindow(w: TimeWindow, cause: 'brush' | 'center'): void {
    const extent = this.lastExtent;
    if (cause === 'center') {
      const s = span(this.lastWindow);
      w = { startMs: w.startMs - s / 2, endMs: w.startMs + s / 2 };
    }
    const next = clampWindow(w, extent);
    // Brushing up to the live edge keeps (or turns on) follow mode, as dragging the brush to "now" means "show me now".
    if (this.model.live && touchesEnd(next, extent, this.chartWidth())) {
      this.state.follow = true;
      this.state.followSpanMs = span(next);
    } else {
      this.state.follow = false;
      this.window = next;
    }
    this.schedule();
    this.persist();
  }

  private chartWidth(): number {
    return Math.max(50, this.main.clientWidth - 176);
  }

  toggleFollow(): void {
    if (!this.model.live) return;
    this.state.follow = !this.state.follow;
    if (!this.state.follow) this.window = this.lastWindow;
    else this.state.followSpanMs = Math.min(span(this.lastWindow), span(this.lastExtent));
    this.schedule();
    this.persist();
  }

  resetZoom(): void {
    this.window = null;
    if (this.model.live) {
      this.state.follow = true;
      this.state.followSpanMs = span(this.extent());
    }
    this.schedule();
    this.persist();
  }

  private setSort(order: CulpritOrder): void {
    this.state.sort = order;
    this.invalidateList(true);
    this.persist();
  }

  private toggleSet(set: Set<string>, key: string, open: boolean): void {
    if (open) set.add(key);
    else set.delete(key);
    this.invalidateList(true);
    this.persist();
  }

  private setSelection(sel: Selection | null): void {
    this.state.selection = sel;
    this.invalidateList(true);
    this.persist();
  }

  private onListSelect(sel: Selection, reveal: boolean, stallId?: string, frameIndex?: number): void {
    this.state.selection = sel;
    if (sel.kind === 'stall') this.panToStall(sel.id);
    if (reveal && stallId) this.reveal(stallId, frameIndex);
    this.invalidateList(true);
    this.persist();
  }

  private selectStall(id: string, opts: { reveal: boolean; from: 'chart' | 'host' }): void {
    const stall = this.model.stallsById.get(id);
    if (!stall) return;
    this.state.selection = { kind: 'stall', id };
    this.expandedGroups.add(culpritKey(stall.culprit));
    this.list.reveal(this.state.selection);
    this.panToStall(id);
    if (opts.reveal) this.reveal(id);
    this.invalidateList(true);
    this.persist();
  }

  /** Brings a stall into view if it is not; panning away from now ends follow mode. */
  private panToStall(id: string): void {
    const stall = this.model.stallsById.get(id);
    if (!stall) return;
    const extent = this.extent();
    const current = this.currentWindow(extent);
    const end = stall.startMs + effectiveDuration(stall, this.nowMs());
    const next = revealRange(current, stall.startMs, end, extent);
    if (next === current) return;
    if (this.following() && touchesEnd(next, extent, this.chartWidth())) {
      this.state.followSpanMs = span(next);
      return;
    }
    this.state.follow = false;
    this.window = next;
  }

  /** Asks the host to open a stall's culprit (no frameIndex) or one frame of its stack. */
  private reveal(stallId: string, frameIndex?: number): void {
    const stall = this.model.stallsById.get(stallId);
    if (!stall) return;
    // Without a frame in user code the best place to go is the top of the stack.
    if (frameIndex === undefined && !stall.culprit && stall.frames.length) frameIndex = 0;
    const msg: WebviewToHost = frameIndex === undefined ? { type: 'revealFrame', stallId } : { type: 'revealFrame', stallId, frameIndex };
    this.api.postMessage(msg);
  }

  /**
   * `now`: the user acted on the list (or the selection): render it synchronously, so a key
   * pressed before the next frame (Right then Down) already sees the expanded rows.
   */
  private invalidateList(now = false): void {
    this.listDirty = true;
    if (now && this.hasReset) this.renderList();
    this.schedule();
  }

  private persist(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.api.setState(this.snapshot());
    }, 100);
  }

  flushState(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.api.setState(this.snapshot());
  }

  /** The state to keep (also written at once by `flushState`). */
  snapshot(): ViewState {
    return {
      v: 1,
      window: this.following() ? null : (this.window ?? null),
      follow: this.state.follow,
      followSpanMs: this.state.followSpanMs,
      selection: this.state.selection,
      sort: this.state.sort,
      expandedGroups: [...this.expandedGroups].slice(0, 500),
      expandedStalls: [...this.expandedStalls].slice(0, 500),
    };
  }

  // ───────────── rendering ─────────────

  schedule(): void {
    if (!this.raf) this.raf = requestAnimationFrame(() => this.frame());
  }

  private frame(): void {
    this.raf = 0;
    const model = this.model;
    const empty = model.isEmpty;
    if (this.main.hidden !== empty) this.main.hidden = empty;
    if (this.empty.hidden !== !empty) this.empty.hidden = !empty;
    this.toolbar.render({
      title: model.title,
      live: model.live,
      follow: this.state.follow,
      hasData: !empty,
      processCount: model.processes.size,
      stallCount: model.stallsById.size,
    });
    setData(this.root, 'follow', String(this.following()));
    setData(this.root, 'live', String(model.live));
    if (empty) {
      this.tooltip.hide();
      return;
    }

    if (model.lanesVersion !== this.lanesVersion) {
      this.lanes = orderLanes(model.processes, model.lanes.values());
      this.lanesVersion = model.lanesVersion;
    }
    const nowMs = this.nowMs();
    const extent = this.extent();
    const window = this.currentWindow(extent);
    this.lastExtent = extent;
    this.lastWindow = window;
    const selection = this.state.selection;

    this.overview.render(model, extent, window, this.colors, model.live, this.chartPane.clientWidth);
    this.chart.render({ model, lanes: this.lanes, window, extent, nowMs, selection });

    this.chart.afterRender();
    if (this.listDirty) this.scheduleList();

    // Keep moving while there is something to move: the follow window, an ongoing stall or pause.
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.liveTimer = undefined;
    const animate = model.live && (this.following() || model.hasOngoing());
    if (animate && document.visibilityState !== 'hidden') {
      this.liveTimer = setTimeout(() => {
        this.liveTimer = undefined;
        this.schedule();
      }, LIVE_FRAME_MS);
    }
  }

  /**
   * Data-driven list updates run in their own task after the frame, at most every
   * LIST_THROTTLE_MS while live: regrouping 10k stalls must not delay the paint of a new stall.
   */
  private scheduleList(): void {
    if (this.listTimer) return;
    const wait = this.model.live ? Math.max(0, LIST_THROTTLE_MS - (performance.now() - this.listRenderedAt)) : 0;
    this.listTimer = setTimeout(() => {
      this.listTimer = undefined;
      if (this.listDirty && !this.model.isEmpty) this.renderList();
    }, wait);
  }

  private renderList(): void {
    const model = this.model;
    const key = `${model.stallsVersion}|${this.state.sort}`;
    if (key !== this.groupsKey) {
      this.groups = groupByCulprit([...model.stallsById.values()], this.state.sort);
      this.groupsKey = key;
    }
    this.list.render({
      groups: this.groups,
      stallsById: model.stallsById,
      selection: this.state.selection,
      sort: this.state.sort,
      expandedGroups: this.expandedGroups,
      expandedStalls: this.expandedStalls,
      shown: this.shown,
      totalStalls: model.stallsById.size,
      hasLanes: model.lanes.size > 0,
      live: model.live,
    });
    this.listDirty = false;
    this.listRenderedAt = performance.now();
  }
}

function setData(el: HTMLElement, key: string, value: string): void {
  if (el.dataset[key] !== value) el.dataset[key] = value;
}
