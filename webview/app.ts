/**
 * The timeline webview: owns the view state (window, follow, selection, sort, expansion), applies
 * host messages to the model, and renders everything in one requestAnimationFrame, so a burst of
 * deltas costs one frame. Views report user intent through callbacks; only this class decides.
 */
import { culpritKey, type CulpritOrder } from '../src/core/culprits';
import { assertNever } from '../src/shared/guards';
import type { HostToWebview, WebviewToHost } from '../src/shared/protocol/webviewMessages';
import { GUTTER_WIDTH, TimelineChart } from './chart';
import { CheckPanel } from './checkPanel';
import { h } from './dom';
import { commandFor } from './keymap';
import { orderLanes, type LaneInfo } from './layoutLanes';
import { fullExtent, recordedExtent, type TimeWindow } from './layoutView';
import { effectiveDuration } from './layoutStalls';
import { ListUpdater } from './listUpdater';
import { Overview } from './overview';
import { PAGE_SIZE, StallList } from './stallList';
import { applyReadableColors, readColors, watchTheme, type ChartColors } from './theme';
import { TimelineModel } from './timelineModel';
import { Toolbar, emptyState } from './toolbar';
import { Tooltip } from './tooltip';
import { restoreViewState, type Selection, type ViewState } from './viewState';
import { ViewWindow } from './viewWindow';

export interface AppOptions {
  /**
   * False in a standalone report: there is no editor to open a line in, so picking a stall shows
   * its stack in the list instead.
   */
  canOpenSource: boolean;
}

export interface VsCodeApi {
  postMessage(msg: WebviewToHost): void;
  getState(): unknown;
  setState(state: ViewState): void;
}

/** While live, the follow window scrolls at this frame interval (ms): smooth, but not 60 fps of CPU. */
const LIVE_FRAME_MS = 33;

export class TimelineApp {
  readonly model = new TimelineModel();
  private state: ViewState;
  private readonly view: ViewWindow;
  private lanes: LaneInfo[] = [];
  private lanesVersion = -1;
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
  private readonly listUpdater: ListUpdater;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly api: VsCodeApi,
    container: HTMLElement,
    private readonly options: AppOptions = { canOpenSource: true },
  ) {
    this.state = restoreViewState(api.getState());
    this.view = new ViewWindow(this.state, () => this.model.live);
    this.expandedGroups = new Set(this.state.expandedGroups);
    this.expandedStalls = new Set(this.state.expandedStalls);

    applyReadableColors(document.body);
    this.root = h('div', { class: 'ss-app' });
    container.appendChild(this.root);
    this.tooltip = new Tooltip(document.body);
    this.toolbar = new Toolbar(this.root, {
      post: (m) => this.api.postMessage(m),
      toggleFollow: () => this.toggleFollow(),
      showAll: () => this.showAll(),
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

    this.overview = new Overview(chartPane, { window: (w, cause) => this.viewChanged(() => this.view.overviewWindow(w, cause, this.chartWidth())) });
    this.chart = new TimelineChart(
      chartPane,
      this.tooltip,
      {
        window: (w, cause) => this.viewChanged(() => this.view.userWindow(w, cause)),
        showAll: () => this.showAll(),
        select: (id, reveal) => this.selectStall(id, { reveal, from: 'chart' }),
        clearSelection: () => this.setSelection(null),
      },
      () => this.schedule(),
      options.canOpenSource,
    );
    this.list = new StallList(this.main, {
      select: (sel, reveal, stallId, frameIndex) => this.onListSelect(sel, reveal, stallId, frameIndex),
      sort: (order) => this.setSort(order),
      toggleGroup: (key, open) => this.toggleSet(this.expandedGroups, key, open),
      toggleStall: (id, open) => {
        // Reading a stall's stack: keep it on screen.
        if (open) this.view.hold();
        this.toggleSet(this.expandedStalls, id, open);
      },
      showMore: (key) => {
        this.shown.set(key, (this.shown.get(key) ?? PAGE_SIZE) + PAGE_SIZE);
        this.invalidateList();
      },
    });
    this.listUpdater = new ListUpdater(this.list, this.model, () =>
      this.hasReset
        ? { selection: this.state.selection, sort: this.state.sort, expandedGroups: this.expandedGroups, expandedStalls: this.expandedStalls, shown: this.shown }
        : undefined,
    );

    this.colors = readColors(this.root);
    watchTheme(() => {
      applyReadableColors(document.body);
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
    // The page's keys work wherever focus is, except in text fields (the chart's own keys stop here).
    window.addEventListener('keydown', (e) => {
      if (e.defaultPrevented) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      const cmd = commandFor(e, 'page');
      if (cmd?.kind === 'toggleFollow') this.toggleFollow();
      else if (cmd?.kind === 'showAll') this.showAll();
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
          this.view.reset();
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
        if (!msg.live) this.view.ended();
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
    if (!this.model.live) return recordedExtent(this.model.minMs, this.model.maxMs);
    return fullExtent(this.model.minMs, this.model.maxMs, this.nowMs());
  }

  /** Applies a change of window or follow mode, then renders and saves. */
  private viewChanged(change: () => void): void {
    change();
    this.schedule();
    this.persist();
  }

  private chartWidth(): number {
    return Math.max(50, this.main.clientWidth - GUTTER_WIDTH);
  }

  toggleFollow(): void {
    this.viewChanged(() => this.view.toggleFollow());
  }

  showAll(): void {
    this.viewChanged(() => this.view.showAll());
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
    if (sel.kind === 'stall') {
      this.view.hold();
      this.panToStall(sel.id);
    }
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
    this.view.hold();
    this.panToStall(id);
    if (opts.reveal) this.reveal(id);
    this.invalidateList(true);
    this.persist();
  }

  /** Brings a stall into view if it is not. */
  private panToStall(id: string): void {
    const stall = this.model.stallsById.get(id);
    if (!stall) return;
    this.view.reveal(stall.startMs, stall.startMs + effectiveDuration(stall, this.nowMs()), this.extent(), this.chartWidth());
  }

  /** Asks the host to open a stall's culprit (no frameIndex) or one frame of its stack. */
  private reveal(stallId: string, frameIndex?: number): void {
    const stall = this.model.stallsById.get(stallId);
    if (!stall) return;
    if (!this.options.canOpenSource || (frameIndex === undefined && !stall.culprit)) {
      // No line of the user's code to open (or no editor): show what is known (the call, the
      // handler, the stack) in the list instead of sending the editor to a runtime-internal frame.
      this.expandedGroups.add(culpritKey(stall.culprit));
      this.expandedStalls.add(stallId);
      this.list.reveal({ kind: 'stall', id: stallId });
      this.invalidateList(true);
      return;
    }
    const msg: WebviewToHost = frameIndex === undefined ? { type: 'revealFrame', stallId } : { type: 'revealFrame', stallId, frameIndex };
    this.api.postMessage(msg);
  }

  /**
   * `now`: the user acted on the list (or the selection): render it synchronously, so a key
   * pressed before the next frame (Right then Down) already sees the expanded rows.
   */
  private invalidateList(now = false): void {
    this.listUpdater.invalidate(now);
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
      ...this.view.saved(),
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
      follow: this.view.follow,
      hasData: !empty,
      processCount: model.processes.size,
      stallCount: model.stallsById.size,
    });
    setData(this.root, 'follow', String(this.view.following()));
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
    const window = this.view.current(extent);
    const selection = this.state.selection;

    this.overview.render(model, extent, window, this.colors, model.live, this.chartPane.clientWidth);
    this.chart.render({ model, lanes: this.lanes, window, extent, nowMs, selection });

    this.listUpdater.afterFrame();

    // Keep moving while there is something to move: the follow window, an ongoing stall or pause.
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.liveTimer = undefined;
    const animate = this.view.tracksNow() || (model.live && model.hasOngoing());
    if (animate && document.visibilityState !== 'hidden') {
      this.liveTimer = setTimeout(() => {
        this.liveTimer = undefined;
        this.schedule();
      }, LIVE_FRAME_MS);
    }
  }
}

function setData(el: HTMLElement, key: string, value: string): void {
  if (el.dataset[key] !== value) el.dataset[key] = value;
}
