/**
 * The lanes: labels, the time axis, the lag canvas and an SVG layer with the stall marks and
 * pause bands of what is in view. A coordinator: it sizes the plot, lays out the marks (pure
 * maths in layout*.ts) and hands the drawing to its parts: the axis (TimeAxis), the canvas
 * (LagCanvas), the per-lane DOM (LaneLayer), the pointer (ChartHover) and wheel/drag (ChartZoom).
 * Keys come from the one keymap; the app owns the view state (window, follow, selection).
 *
 * The layer is one listbox: lanes are groups, marks are options, and `aria-activedescendant`
 * follows the selected stall, so Tab reaches the chart once and the arrows move between stalls,
 * as in any VS Code list.
 */
import type { PauseRange, Stall } from '../src/shared/protocol/model';
import { culpritKey } from '../src/core/culprits';
import { h, s, setAttr } from './dom';
import { ChartHover, type ChartFrame } from './chartHover';
import { neighbourStall } from './chartNavigation';
import { ChartZoom } from './chartZoom';
import { CHART_KEYS_HELP, commandFor, type TimelineCommand } from './keymap';
import { LagCanvas } from './lagCanvas';
import { LaneLayer } from './laneLayer';
import { ChartLegend } from './legend';
import { lagAxisMax } from './layoutLag';
import { laneBoxes, laneHeightFor, type LaneBox, type LaneInfo } from './layoutLanes';
import { layoutPauses, layoutStallMarks, MARK_IN_GROUP, MARK_SELECTED, type PauseMark, type StallMark } from './layoutStalls';
import { span, timeToPx, type PixelWindow, type TimeWindow } from './layoutView';
import { readColors, type ChartColors } from './theme';
import { TimeAxis } from './timeAxis';
import { laneIdOf, type TimelineModel } from './timelineModel';
import type { Tooltip } from './tooltip';
import type { Selection } from './viewState';

export { MAX_PROXIES_PER_LANE } from './laneLayer';

export interface ChartView {
  model: TimelineModel;
  lanes: readonly LaneInfo[];
  window: TimeWindow;
  extent: TimeWindow;
  /** Defined while live: ongoing stalls and pauses grow to it. */
  nowMs: number | undefined;
  selection: Selection | null;
}

export interface ChartEvents {
  /** The user zoomed or panned (wheel, drag, keys). */
  window(w: TimeWindow, cause: 'pan' | 'zoom'): void;
  showAll(): void;
  /** A stall was picked: `reveal` for a click or Enter (open the source), not for arrow keys. */
  select(stallId: string, reveal: boolean): void;
  clearSelection(): void;
}

export const GUTTER_WIDTH = 176;

const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

export class TimelineChart {
  readonly el: HTMLElement;
  private readonly axis = new TimeAxis();
  private readonly scroller: HTMLDivElement;
  private readonly lanesEl: HTMLDivElement;
  private readonly plot: HTMLDivElement;
  private readonly canvas: LagCanvas;
  private readonly svg: SVGSVGElement;
  private readonly nowLine: SVGLineElement;
  private readonly focusRing: SVGRectElement;
  private readonly lanes: LaneLayer;
  private readonly hover: ChartHover;
  private readonly zoom: ChartZoom;
  private readonly legend = new ChartLegend();

  private view: ChartView | undefined;
  private frame: ChartFrame | undefined;
  private boxes: LaneBox[] = [];
  private marks: StallMark[][] = [];
  private markStates: Uint8Array[] = [];
  private groupCache: { key: string; members: Set<Stall> } | undefined;
  private plotWidth = 0;
  private colors: ChartColors;

  constructor(
    parent: HTMLElement,
    tooltip: Tooltip,
    private readonly events: ChartEvents,
    private readonly requestRender: () => void,
    canOpenSource = true,
  ) {
    const axisRow = h('div', { class: 'axis-row' }, h('div', { class: 'gutter-cell axis-caption' }, 'lag (log scale)'), this.axis.el);
    const gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
    this.plot = h('div', { class: 'plot' });
    this.canvas = new LagCanvas(this.plot);
    this.svg = s('svg', { class: 'plot-svg', tabindex: 0, role: 'listbox', 'aria-roledescription': 'timeline', 'aria-label': `Stall timeline. ${CHART_KEYS_HELP}` });
    const defs = s(
      'defs',
      {},
      s(
        'pattern',
        { id: 'ss-hatch', patternUnits: 'userSpaceOnUse', width: 6, height: 6, patternTransform: 'rotate(45)' },
        s('rect', { class: 'hatch-bg', width: 6, height: 6 }),
        s('line', { class: 'hatch-line', x1: 0, y1: 0, x2: 0, y2: 6 }),
      ),
    );
    const lanesLayer = s('g', { class: 'lanes-layer' });
    this.nowLine = s('line', { class: 'now-line', 'aria-hidden': 'true' });
    const hoverLine = s('line', { class: 'hover-line', 'aria-hidden': 'true' });
    const hoverRing = s('rect', { class: 'hover-ring', 'aria-hidden': 'true' });
    this.focusRing = s('rect', { class: 'focus-ring', 'aria-hidden': 'true', rx: 2 });
    this.svg.append(defs, lanesLayer, this.nowLine, hoverLine, hoverRing, this.focusRing);
    this.plot.appendChild(this.svg);
    this.lanesEl = h('div', { class: 'lanes' }, gutter, this.plot);
    // The legend sits right under the last lane: in the room a few lanes leave, and always on screen.
    this.scroller = h('div', { class: 'lanes-scroll' }, this.lanesEl, this.legend.el);
    this.el = h('div', { class: 'chart' }, axisRow, this.scroller);
    parent.appendChild(this.el);
    this.colors = readColors(this.el);

    this.lanes = new LaneLayer(gutter, lanesLayer);
    this.hover = new ChartHover(this.svg, hoverLine, hoverRing, tooltip, this.lanes, () => this.frame, (id) => this.events.select(id, true), canOpenSource);
    this.zoom = new ChartZoom(this.svg, { window: (w, cause) => this.events.window(w, cause), showAll: () => this.events.showAll() }, () => this.view?.window);

    this.svg.addEventListener('keydown', (e) => {
      const cmd = commandFor(e, 'chart');
      if (cmd && this.run(cmd)) {
        e.preventDefault();
        e.stopPropagation();
      }
    });
    this.svg.addEventListener('focus', () => {
      if (this.svg.matches(':focus-visible')) this.svg.classList.add('kb-focus');
      this.requestRender();
    });
    this.svg.addEventListener('blur', () => {
      this.svg.classList.remove('kb-focus');
      this.hover.hide();
      this.requestRender();
    });
    this.scroller.addEventListener('scroll', () => this.requestRender(), { passive: true });
    new ResizeObserver(() => this.requestRender()).observe(this.scroller);
  }

  themeChanged(): void {
    this.colors = readColors(this.el);
  }

  /** The stall marks currently on screen (for tests and the app's keyboard logic). */
  markCount(): number {
    return this.marks.reduce((n, m) => n + m.length, 0);
  }

  render(view: ChartView): void {
    this.view = view;
    const { model, lanes } = view;
    this.lanes.sync(lanes);

    // Size: lanes share the viewport height within bounds, the plot takes the width left of the gutter.
    this.plotWidth = Math.max(50, Math.floor(this.scroller.clientWidth - GUTTER_WIDTH));
    const viewportHeight = this.scroller.clientHeight;
    const laneHeight = laneHeightFor(viewportHeight - this.legend.el.offsetHeight, lanes.length);
    this.boxes = laneBoxes(lanes.length, laneHeight);
    const totalHeight = Math.max(1, lanes.length * laneHeight);
    if (this.lanesEl.style.height !== `${totalHeight}px`) this.lanesEl.style.height = `${totalHeight}px`;
    if (this.plot.style.width !== `${this.plotWidth}px`) this.plot.style.width = `${this.plotWidth}px`;
    this.canvas.resize(this.plotWidth, totalHeight);
    setAttr(this.svg, 'width', String(this.plotWidth));
    setAttr(this.svg, 'height', String(totalHeight));

    const pw: PixelWindow = { ...view.window, widthPx: this.plotWidth };
    const ticks = this.axis.render(pw);
    const selectedStall = view.selection?.kind === 'stall' ? model.stallsById.get(view.selection.id) : undefined;
    this.layoutMarks(view, pw, selectedStall);

    const top = this.scroller.scrollTop;
    const bottom = top + viewportHeight;
    const pulse = view.nowMs !== undefined && !reducedMotion.matches ? 0.6 + 0.4 * Math.abs(Math.sin(performance.now() / 450)) : 1;
    this.canvas.draw(model, lanes, this.boxes, pw, ticks, lagAxisMax(model.lagMaxMs), this.colors, top, bottom);
    this.canvas.drawMarks(this.boxes, this.marks, this.markStates, this.colors, pulse, top, bottom);

    // Lanes: labels, pauses, stall proxies.
    const pauseMarks: PauseMark[][] = [];
    const pausesByLane = new Map<string, PauseRange[]>();
    for (const p of model.pauses.values()) {
      const id = laneIdOf(p.pid, p.threadId);
      const list = pausesByLane.get(id);
      if (list) list.push(p);
      else pausesByLane.set(id, [p]);
    }
    let proxies = 0;
    lanes.forEach((lane, i) => {
      const b = this.boxes[i];
      this.lanes.place(i, b);
      const pauses = layoutPauses(pausesByLane.get(lane.id) ?? [], pw, view.nowMs);
      pauseMarks.push(pauses);
      this.lanes.renderPauses(i, pauses, b);
      proxies += this.lanes.renderProxies(i, this.marks[i], this.markStates[i], b);
    });
    this.frame = { model, pw, boxes: this.boxes, marks: this.marks, pauseMarks };
    const merged = this.marks.reduce((n, ms) => n + ms.filter((m) => m.count > 1).length, 0);
    setAttr(this.el, 'data-marks', String(this.markCount()));
    setAttr(this.el, 'data-merged-marks', String(merged));
    setAttr(this.el, 'data-stalls-in-view', String(this.marks.reduce((n, ms) => n + ms.reduce((c, m) => c + m.count, 0), 0)));
    setAttr(this.el, 'data-proxies', String(proxies));
    // What the canvas wrote on the top lane's lag axis (canvas text cannot be read back).
    setAttr(this.el, 'data-lag-labels', (this.canvas.labels[0] ?? []).map((l) => l.text).join('|'));

    this.renderSelection(selectedStall);
    this.renderNow(pw, view.nowMs, totalHeight);
    this.zoom.sync(view.window, view.extent, this.plotWidth, totalHeight);
    // For tests and the e2e driver: the visible window, in epoch ms.
    this.el.dataset.viewStart = String(Math.round(pw.startMs));
    this.el.dataset.viewEnd = String(Math.round(pw.endMs));
    this.legend.render(model.thresholdMs, model.lag.values().next().value?.intervalMs);
    this.hover.afterRender();
  }

  /** Marks first: the canvas draws them all, the SVG layer gets proxies for some. */
  private layoutMarks(view: ChartView, pw: PixelWindow, selectedStall: Stall | undefined): void {
    const { model, lanes } = view;
    const inGroup = this.groupMembers(model, view.selection);
    this.marks = [];
    this.markStates = [];
    for (const lane of lanes) {
      const stallLane = model.stallLanes.get(lane.id);
      const marks = stallLane ? layoutStallMarks(stallLane, pw, view.nowMs) : [];
      this.marks.push(marks);
      const states = new Uint8Array(marks.length);
      if (stallLane && (selectedStall || inGroup)) {
        marks.forEach((m, k) => {
          for (let i = m.i0; i < m.i1; i++) {
            const st = stallLane.stalls[i];
            if (st === selectedStall) states[k] = MARK_SELECTED;
            else if (inGroup?.has(st) && states[k] < MARK_IN_GROUP) states[k] = MARK_IN_GROUP;
          }
        });
      }
      this.markStates.push(states);
    }
  }

  /** The selected stall: a band across its lane, the listbox's active descendant and the focus ring. */
  private renderSelection(selected: Stall | undefined): void {
    const laneId = selected ? laneIdOf(selected.pid, selected.thread.id) : undefined;
    const stallLane = laneId ? this.view?.model.stallLanes.get(laneId) : undefined;
    const found = this.lanes.renderSelection(selected, laneId, stallLane, (i) => this.marks[i] ?? [], this.boxes);
    if (found) {
      const { ring } = found;
      setAttr(this.svg, 'aria-activedescendant', found.proxy.id);
      setAttr(this.focusRing, 'x', (ring.x - 3).toFixed(1));
      setAttr(this.focusRing, 'y', String(ring.y - 3));
      setAttr(this.focusRing, 'width', (ring.w + 6).toFixed(1));
      setAttr(this.focusRing, 'height', String(ring.h + 6));
      this.focusRing.classList.add('has-target');
    } else {
      this.svg.removeAttribute('aria-activedescendant');
      this.focusRing.classList.remove('has-target');
    }
  }

  private renderNow(pw: PixelWindow, nowMs: number | undefined, height: number): void {
    if (nowMs === undefined || nowMs < pw.startMs || nowMs > pw.endMs) {
      this.nowLine.classList.remove('visible');
      return;
    }
    const nx = String(Math.round(timeToPx(pw, nowMs)) + 0.5);
    setAttr(this.nowLine, 'x1', nx);
    setAttr(this.nowLine, 'x2', nx);
    setAttr(this.nowLine, 'y2', String(height));
    this.nowLine.classList.add('visible');
  }

  /** The stalls of the selected group, recomputed only when the selection or the stalls change. */
  private groupMembers(model: TimelineModel, sel: Selection | null): Set<Stall> | undefined {
    if (sel?.kind !== 'group') return undefined;
    const key = `${sel.key}|${model.stallsVersion}`;
    if (this.groupCache?.key !== key) {
      const members = new Set<Stall>();
      for (const st of model.stallsById.values()) if (culpritKey(st.culprit) === sel.key) members.add(st);
      this.groupCache = { key, members };
    }
    return this.groupCache.members;
  }

  /** Runs a chart-scoped key command; false if it did not apply (the key then goes on to the page). */
  private run(cmd: TimelineCommand): boolean {
    const view = this.view;
    if (!view) return false;
    const w = view.window;
    const selected = view.selection?.kind === 'stall' ? view.model.stallsById.get(view.selection.id) : undefined;
    switch (cmd.kind) {
      case 'pan':
        this.keyWindow(view, { startMs: w.startMs + cmd.fraction * span(w), endMs: w.endMs + cmd.fraction * span(w) }, 'pan');
        return true;
      case 'step': {
        const id = this.frame && neighbourStall(cmd.to, { ...this.frame, stallLanes: view.model.stallLanes, laneIds: this.lanes.laneIds(), selected });
        if (id) {
          this.hover.byKeyboard = true;
          this.events.select(id, false);
          // Keys can come faster than frames: the next one must start from this selection.
          this.view = { ...view, selection: { kind: 'stall', id } };
        }
        return true;
      }
      case 'open': {
        const id = selected?.id ?? (this.frame && neighbourStall('first', { ...this.frame, stallLanes: view.model.stallLanes, laneIds: this.lanes.laneIds(), selected: undefined }));
        if (id) this.events.select(id, true);
        return true;
      }
      case 'zoom': {
        const anchor = selected && selected.startMs >= w.startMs && selected.startMs <= w.endMs ? selected.startMs : (w.startMs + w.endMs) / 2;
        const next = span(w) / cmd.factor;
        const ratio = (anchor - w.startMs) / span(w);
        this.keyWindow(view, { startMs: anchor - ratio * next, endMs: anchor - ratio * next + next }, 'zoom');
        return true;
      }
      case 'clearSelection':
        if (!view.selection) return false;
        this.hover.hide();
        this.events.clearSelection();
        return true;
      case 'showAll':
      case 'toggleFollow':
        // The page's keys: the window's listener runs them, wherever focus is.
        return false;
    }
  }

  /**
   * Keys can come faster than frames (a held key, a busy page): the next zoom or pan step must start
   * from this one's window, not from the last rendered one, or steps are lost. The app's clamp
   * still applies at the next render.
   */
  private keyWindow(view: ChartView, next: TimeWindow, cause: 'pan' | 'zoom'): void {
    this.events.window(next, cause);
    this.view = { ...view, window: next };
  }
}
