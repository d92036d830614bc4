/**
 * The lanes: labels, the time axis, the lag canvas and an SVG layer with the stall marks and
 * pause bands of what is in view. d3-zoom drives wheel/drag; keyboard and clicks are handled here
 * and reported to the app, which owns the view state (window, follow, selection).
 *
 * Marks are real SVG elements (`rect.stall-mark[data-stall-id]`) so they can be clicked, hovered,
 * read by a screen reader and found by a test. The layer is one listbox: lanes are groups, marks
 * are options, and `aria-activedescendant` follows the selected stall, so Tab reaches the chart
 * once and the arrows move between stalls, as in any VS Code list.
 */
import { axisTop, scaleTime, select, zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior } from 'd3';
import type { Stall } from '../src/shared/protocol';
import { culpritKey } from '../src/core/culprits';
import { h, s, setAttr } from './dom';
import { formatDuration, stallSummary } from './format';
import { LagCanvas } from './lagCanvas';
import { lagAxisMax, nearestSample } from './layoutLag';
import { laneAtY, laneBoxes, laneHeightFor, type LaneBox, type LaneInfo } from './layoutLanes';
import { hitTestMarks, layoutPauses, layoutStallMarks, markGeometry, markIndexOfStall, MARK_IN_GROUP, MARK_SELECTED, type PauseMark, type StallMark } from './layoutStalls';
import { maxZoom, pxToTime, span, timeToPx, transformToWindow, windowToTransform, type PixelWindow, type TimeWindow } from './layoutView';
import { readColors, type ChartColors } from './theme';
import { laneIdOf, lowerBoundStart, type TimelineModel } from './timelineModel';
import { lagTooltip, pauseTooltip, stallTooltip, type Tooltip } from './tooltip';
import type { Selection } from './viewState';

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
  resetZoom(): void;
  toggleFollow(): void;
  /** A stall was picked: `reveal` for a click or Enter (open the source), not for arrow keys. */
  select(stallId: string, reveal: boolean): void;
  clearSelection(): void;
}

export const GUTTER_WIDTH = 176;

interface LaneView {
  lane: LaneInfo;
  label: HTMLDivElement;
  g: SVGGElement;
  band: SVGRectElement;
  pausesG: SVGGElement;
  stallsG: SVGGElement;
  marks: Map<string, SVGRectElement>;
  pauses: Map<string, SVGGElement>;
}

let markIds = 0;

const reducedMotion = matchMedia('(prefers-reduced-motion: reduce)');

/** Above this many marks in view, a lane keeps SVG proxies for its selected marks only. */
export const MAX_PROXIES_PER_LANE = 150;

export class TimelineChart {
  readonly el: HTMLElement;
  private readonly axisSvg: SVGSVGElement;
  private readonly axisG: SVGGElement;
  private readonly scroller: HTMLDivElement;
  private readonly lanesEl: HTMLDivElement;
  private readonly gutter: HTMLDivElement;
  private readonly plot: HTMLDivElement;
  private readonly canvas: LagCanvas;
  private readonly svg: SVGSVGElement;
  private readonly lanesLayer: SVGGElement;
  private readonly nowLine: SVGLineElement;
  private readonly hoverLine: SVGLineElement;
  private readonly focusRing: SVGRectElement;
  private readonly hoverRing: SVGRectElement;
  private readonly zoomBehavior: ZoomBehavior<SVGSVGElement, unknown>;

  private laneViews = new Map<string, LaneView>();
  private laneOrder: LaneView[] = [];
  private boxes: LaneBox[] = [];
  private marks: StallMark[][] = [];
  private markStates: Uint8Array[] = [];
  private groupCache: { key: string; members: Set<Stall> } | undefined;
  private pauseMarks: PauseMark[][] = [];
  private view: ChartView | undefined;
  private pw: PixelWindow = { startMs: 0, endMs: 1, widthPx: 1 };
  private zoomExtent: TimeWindow = { startMs: 0, endMs: 1 };
  private gestureActive = false;
  private plotWidth = 0;
  private viewportHeight = 0;
  private colors: ChartColors;
  private hover: { x: number; y: number; clientX: number; clientY: number } | undefined;
  private keyboardTooltip = false;
  private axisMaxMs = 100;
  private readonly labelKeys = new WeakMap<Element, string>();

  constructor(
    parent: HTMLElement,
    private readonly tooltip: Tooltip,
    private readonly events: ChartEvents,
    private readonly requestRender: () => void,
  ) {
    this.axisSvg = s('svg', { class: 'axis', 'aria-hidden': 'true' });
    this.axisG = s('g', { transform: 'translate(0,22)' });
    this.axisSvg.appendChild(this.axisG);
    const axisRow = h('div', { class: 'axis-row' }, h('div', { class: 'gutter-cell axis-caption' }, 'lag (log scale)'), this.axisSvg);

    this.gutter = h('div', { class: 'gutter', 'aria-hidden': 'true' });
    this.plot = h('div', { class: 'plot' });
    this.canvas = new LagCanvas(this.plot);
    this.svg = s('svg', {
      class: 'plot-svg',
      tabindex: 0,
      role: 'listbox',
      'aria-roledescription': 'timeline',
      'aria-label': 'Stall timeline. Arrow keys move between stalls, Enter opens the blocking line, plus and minus zoom, Shift with arrows pans, 0 resets the zoom, F follows the live session.',
    });
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
    this.lanesLayer = s('g', { class: 'lanes-layer' });
    this.nowLine = s('line', { class: 'now-line', 'aria-hidden': 'true' });
    this.hoverLine = s('line', { class: 'hover-line', 'aria-hidden': 'true' });
    this.focusRing = s('rect', { class: 'focus-ring', 'aria-hidden': 'true', rx: 2 });
    this.hoverRing = s('rect', { class: 'hover-ring', 'aria-hidden': 'true' });
    this.svg.append(defs, this.lanesLayer, this.nowLine, this.hoverLine, this.hoverRing, this.focusRing);
    this.plot.appendChild(this.svg);
    this.lanesEl = h('div', { class: 'lanes' }, this.gutter, this.plot);
    this.scroller = h('div', { class: 'lanes-scroll' }, this.lanesEl);
    this.el = h('div', { class: 'chart' }, axisRow, this.scroller);
    parent.appendChild(this.el);
    this.colors = readColors(this.el);

    this.zoomBehavior = zoom<SVGSVGElement, unknown>()
      .filter((event: Event) => {
        if (event.type === 'wheel') {
          const e = event as WheelEvent;
          return !e.shiftKey && Math.abs(e.deltaY) >= Math.abs(e.deltaX);
        }
        if (event.type === 'dblclick') return false;
        const m = event as MouseEvent;
        return !m.ctrlKey && !m.button;
      })
      .clickDistance(4)
      .on('start', (e: D3ZoomEvent<SVGSVGElement, unknown>) => {
        if (e.sourceEvent) this.gestureActive = true;
        if (e.sourceEvent?.type === 'mousedown') this.svg.classList.add('dragging');
      })
      .on('zoom', (e: D3ZoomEvent<SVGSVGElement, unknown>) => this.onZoom(e))
      .on('end', () => {
        this.gestureActive = false;
        this.svg.classList.remove('dragging');
      });
    select(this.svg).call(this.zoomBehavior).on('dblclick.zoom', null);

    this.svg.addEventListener('dblclick', (e) => {
      e.preventDefault();
      this.events.resetZoom();
    });
    // Horizontal wheel (trackpads) and Shift+wheel pan; d3-zoom's filter leaves those to us.
    this.svg.addEventListener(
      'wheel',
      (e) => {
        if (!(e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) || !this.view) return;
        e.preventDefault();
        const d = (e.deltaX || e.deltaY) * (e.deltaMode ? 16 : 1);
        this.events.window(shift(this.view.window, (d * span(this.view.window)) / Math.max(1, this.plotWidth)), 'pan');
      },
      { passive: false },
    );
    this.svg.addEventListener('click', (e) => this.onClick(e));
    this.svg.addEventListener('pointermove', (e) => this.onPointerMove(e));
    this.svg.addEventListener('pointerleave', () => {
      this.hover = undefined;
      this.hoverLine.classList.remove('visible');
      this.hoverRing.classList.remove('visible');
      if (!this.keyboardTooltip) this.tooltip.hide();
    });
    this.svg.addEventListener('keydown', (e) => this.onKeyDown(e));
    this.svg.addEventListener('focus', () => {
      if (this.svg.matches(':focus-visible')) this.svg.classList.add('kb-focus');
      this.requestRender();
    });
    this.svg.addEventListener('blur', () => {
      this.svg.classList.remove('kb-focus');
      this.keyboardTooltip = false;
      this.tooltip.hide();
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
    this.syncLanes(lanes);

    // Size: lanes share the viewport height within bounds, the plot takes the width left of the gutter.
    this.plotWidth = Math.max(50, Math.floor(this.scroller.clientWidth - GUTTER_WIDTH));
    this.viewportHeight = this.scroller.clientHeight;
    const laneHeight = laneHeightFor(this.viewportHeight, lanes.length);
    this.boxes = laneBoxes(lanes.length, laneHeight);
    const totalHeight = Math.max(1, lanes.length * laneHeight);
    setStyle(this.lanesEl, 'height', `${totalHeight}px`);
    setStyle(this.plot, 'width', `${this.plotWidth}px`);
    this.canvas.resize(this.plotWidth, totalHeight);
    setAttr(this.svg, 'width', String(this.plotWidth));
    setAttr(this.svg, 'height', String(totalHeight));
    setAttr(this.axisSvg, 'width', String(this.plotWidth));

    const pw: PixelWindow = { ...view.window, widthPx: this.plotWidth };
    this.pw = pw;

    // Axis (d3-axis) and its ticks, reused as the canvas's vertical gridlines.
    const x = scaleTime().domain([pw.startMs, pw.endMs]).range([0, this.plotWidth]);
    const tickCount = Math.max(2, Math.floor(this.plotWidth / 110));
    select(this.axisG).call(axisTop<Date>(x).ticks(tickCount).tickFormat(timeTick).tickSizeOuter(0).tickSizeInner(4));
    // A label cut in half by the plot's edge reads as a different time: hide those.
    select(this.axisG)
      .selectAll<SVGGElement, Date>('.tick')
      .classed('edge', (d) => x(d) < 18 || x(d) > this.plotWidth - 18);
    const ticks = x.ticks(tickCount).map((d) => x(d));

    this.axisMaxMs = lagAxisMax(model.lagMaxMs);
    const sel = view.selection;
    const selectedStall = sel?.kind === 'stall' ? model.stallsById.get(sel.id) : undefined;
    const inGroup = this.groupMembers(model, sel);

    // Marks first: the canvas draws them all, the SVG layer gets proxies for some.
    this.marks = [];
    this.markStates = [];
    for (const lv of this.laneOrder) {
      const stallLane = model.stallLanes.get(lv.lane.id);
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

    const top = this.scroller.scrollTop;
    const pulse = view.nowMs !== undefined && !reducedMotion.matches ? 0.6 + 0.4 * Math.abs(Math.sin(performance.now() / 450)) : 1;
    this.canvas.draw(model, lanes, this.boxes, pw, ticks, this.axisMaxMs, this.colors, top, top + this.viewportHeight);
    this.canvas.drawMarks(this.boxes, this.marks, this.markStates, this.colors, pulse, top, top + this.viewportHeight);

    // Lanes: labels, pauses, stall proxies.
    this.pauseMarks = [];
    let proxies = 0;
    for (let i = 0; i < this.laneOrder.length; i++) {
      const lv = this.laneOrder[i];
      const b = this.boxes[i];
      setStyle(lv.label, 'top', `${b.top}px`);
      setStyle(lv.label, 'height', `${b.height}px`);
      setAttr(lv.g, 'transform', `translate(0,${b.top})`);
      const lanePauses = [...model.pauses.values()].filter((p) => laneIdOf(p.pid, p.threadId) === lv.lane.id);
      const pauses = layoutPauses(lanePauses, pw, view.nowMs);
      this.pauseMarks.push(pauses);
      this.renderPauses(lv, pauses, b);
      proxies += this.renderProxies(lv, this.marks[i], this.markStates[i], b);
    }
    const merged = this.marks.reduce((n, ms) => n + ms.filter((m) => m.count > 1).length, 0);
    setAttr(this.el, 'data-marks', String(this.markCount()));
    setAttr(this.el, 'data-merged-marks', String(merged));
    setAttr(this.el, 'data-stalls-in-view', String(this.marks.reduce((n, ms) => n + ms.reduce((c, m) => c + m.count, 0), 0)));
    setAttr(this.el, 'data-proxies', String(proxies));

    // The selected stall: a band across its lane, and the listbox's active descendant.
    this.renderSelection(selectedStall);

    if (view.nowMs !== undefined && view.nowMs >= pw.startMs && view.nowMs <= pw.endMs) {
      const nx = String(Math.round(timeToPx(pw, view.nowMs)) + 0.5);
      setAttr(this.nowLine, 'x1', nx);
      setAttr(this.nowLine, 'x2', nx);
      setAttr(this.nowLine, 'y2', String(totalHeight));
      this.nowLine.classList.add('visible');
    } else this.nowLine.classList.remove('visible');

    this.syncZoom(view);
    // For tests and the e2e driver: the visible window, in epoch ms.
    this.el.dataset.viewStart = String(Math.round(pw.startMs));
    this.el.dataset.viewEnd = String(Math.round(pw.endMs));
    if (this.hover) this.updateHover();
  }

  private syncLanes(lanes: readonly LaneInfo[]): void {
    const next = new Map<string, LaneView>();
    const order: LaneView[] = [];
    for (const lane of lanes) {
      let lv = this.laneViews.get(lane.id);
      if (!lv) {
        const label = h('div', { class: 'lane-label' });
        const band = s('rect', { class: 'selection-band', x: 0, y: 0, width: 0, height: 0 });
        const pausesG = s('g', { class: 'pauses' });
        const stallsG = s('g', { class: 'stalls', role: 'group' });
        const g = s('g', { class: 'lane' }, band, pausesG, stallsG);
        lv = { lane, label, g, band, pausesG, stallsG, marks: new Map(), pauses: new Map() };
      }
      // Lane info objects are rebuilt only when lanes change: identity says whether to touch the DOM.
      if (lv.lane !== lane || !lv.label.firstChild) {
        lv.lane = lane;
        lv.label.replaceChildren(h('span', { class: 'lane-name' }, lane.label), h('span', { class: 'lane-detail' }, lane.detail));
        lv.label.title = lane.title;
        lv.label.classList.toggle('is-thread', !lane.isProcess);
        lv.label.classList.toggle('ended', lane.ended);
        lv.label.style.paddingLeft = `${8 + lane.depth * 12}px`;
        setAttr(lv.stallsG, 'aria-label', `${lane.label}, ${lane.detail}`);
      }
      next.set(lane.id, lv);
      order.push(lv);
    }
    for (const [id, lv] of this.laneViews) {
      if (!next.has(id)) {
        lv.label.remove();
        lv.g.remove();
      }
    }
    // Keep DOM order equal to lane order (appendChild moves an existing node).
    order.forEach((lv, i) => {
      if (this.gutter.children[i] !== lv.label) this.gutter.insertBefore(lv.label, this.gutter.children[i] ?? null);
      if (this.lanesLayer.children[i] !== lv.g) this.lanesLayer.insertBefore(lv.g, this.lanesLayer.children[i] ?? null);
    });
    this.laneViews = next;
    this.laneOrder = order;
  }

  private renderPauses(lv: LaneView, pauses: readonly PauseMark[], b: LaneBox): void {
    const seen = new Set<string>();
    const h0 = b.stallTop + b.stallHeight - b.lagTop;
    for (const p of pauses) {
      seen.add(p.pause.id);
      let g = lv.pauses.get(p.pause.id);
      if (!g) {
        g = s(
          'g',
          { class: 'pause', role: 'img' },
          s('rect', { class: 'pause-fill' }),
          s('rect', { class: 'pause-hatch', fill: 'url(#ss-hatch)' }),
          s('rect', { class: 'pause-edge' }),
          s('text', { class: 'pause-label' }, 'paused'),
        );
        g.dataset.pauseId = p.pause.id;
        lv.pausesG.appendChild(g);
        lv.pauses.set(p.pause.id, g);
      }
      const [fill, hatch, edge, text] = Array.from(g.children) as SVGElement[];
      const x = p.x.toFixed(1);
      const w = p.w.toFixed(1);
      const y = String(b.lagTop - b.top);
      for (const r of [fill, hatch]) {
        setAttr(r, 'x', x);
        setAttr(r, 'y', y);
        setAttr(r, 'width', w);
        setAttr(r, 'height', String(h0));
      }
      setAttr(edge, 'x', x);
      setAttr(edge, 'y', y);
      setAttr(edge, 'width', '2');
      setAttr(edge, 'height', String(h0));
      setAttr(text, 'x', (p.x + 6).toFixed(1));
      setAttr(text, 'y', String(b.lagTop - b.top + 12));
      text.classList.toggle('hidden', p.w < 64);
      setAttr(g, 'aria-label', `Debugger paused for ${formatDuration(p.durationMs)}${p.pause.reason ? ` (${p.pause.reason})` : ''}, not a stall`);
    }
    for (const [id, g] of lv.pauses) {
      if (!seen.has(id)) {
        g.remove();
        lv.pauses.delete(id);
      }
    }
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

  /**
   * SVG proxies of the marks: the targets a click, a screen reader or a test finds
   * (`rect.stall-mark[data-stall-id]`, role option, aria-label). The canvas draws what is seen;
   * a proxy is transparent. All marks of a lane get one while the lane has at most
   * MAX_PROXIES_PER_LANE marks; a denser lane (an hour at full zoom) keeps proxies for the
   * selected marks only, and the pointer hit-tests the layout instead. Elements are reused by
   * stall id and recycled: creating hundreds per zoom frame would dominate the frame.
   */
  private renderProxies(lv: LaneView, marks: readonly StallMark[], states: Uint8Array, b: LaneBox): number {
    const dense = marks.length > MAX_PROXIES_PER_LANE;
    const wanted: number[] = [];
    for (let k = 0; k < marks.length; k++) if (!dense || states[k] === MARK_SELECTED) wanted.push(k);
    const prev = lv.marks;
    const next = new Map<string, SVGRectElement>();
    const pending: number[] = [];
    for (const k of wanted) {
      const id = marks[k].rep.id;
      const el = prev.get(id);
      if (el) {
        prev.delete(id);
        next.set(id, el);
      } else pending.push(k);
    }
    const free = [...prev.values()];
    for (const k of pending) {
      let el = free.pop();
      if (!el) {
        el = s('rect', { id: `ssm-${++markIds}`, role: 'option' });
        lv.stallsG.appendChild(el);
      }
      next.set(marks[k].rep.id, el);
    }
    for (const el of free) el.remove();
    lv.marks = next;

    for (const k of wanted) {
      const m = marks[k];
      const el = next.get(m.rep.id);
      if (!el) continue;
      const g = markGeometry(m, b);
      setAttr(el, 'x', g.x.toFixed(1));
      setAttr(el, 'width', g.w.toFixed(1));
      setAttr(el, 'y', String(g.y - b.top));
      setAttr(el, 'height', String(g.h));
      const st = states[k];
      setAttr(el, 'class', `stall-mark sev-${m.severity}${m.ongoing ? ' ongoing' : ''}${m.count > 1 ? ' merged' : ''}${st === MARK_SELECTED ? ' selected' : ''}${st === MARK_IN_GROUP ? ' in-group' : ''}`);
      setAttr(el, 'data-stall-id', m.rep.id);
      setAttr(el, 'data-count', String(m.count));
      setAttr(el, 'data-duration-ms', String(Math.round(m.durationMs)));
      setAttr(el, 'aria-selected', String(st === MARK_SELECTED));
      // The label is the costliest attribute to build: only when what it says changed.
      const labelKey = `${m.rep.id}|${Math.round(m.durationMs)}|${m.count}`;
      if (this.labelKeys.get(el) !== labelKey) {
        this.labelKeys.set(el, labelKey);
        el.setAttribute('aria-label', `${stallSummary(m.rep, m.durationMs)}${m.count > 1 ? `, and ${m.count - 1} more here` : ''}`);
      }
    }
    return wanted.length;
  }

  private renderSelection(selected: Stall | undefined): void {
    let active: SVGRectElement | undefined;
    let ring: { x: number; y: number; w: number; h: number } | undefined;
    for (let i = 0; i < this.laneOrder.length; i++) {
      const lv = this.laneOrder[i];
      const b = this.boxes[i];
      let shown = false;
      if (selected && laneIdOf(selected.pid, selected.thread.id) === lv.lane.id) {
        const lane = this.view?.model.stallLanes.get(lv.lane.id);
        const idx = lane ? lane.indexOf(selected) : -1;
        const mi = idx >= 0 ? markIndexOfStall(this.marks[i], idx) : -1;
        if (mi >= 0) {
          const m = this.marks[i][mi];
          setAttr(lv.band, 'x', (m.x - 1).toFixed(1));
          setAttr(lv.band, 'width', (m.w + 2).toFixed(1));
          setAttr(lv.band, 'height', String(b.height - 1));
          active = lv.marks.get(m.rep.id);
          ring = markGeometry(m, b);
          shown = true;
        }
      }
      lv.band.classList.toggle('visible', shown);
    }
    if (active && ring) {
      setAttr(this.svg, 'aria-activedescendant', active.id);
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

  /** Points d3-zoom's transform at the window without emitting a zoom event. */
  private syncZoom(view: ChartView): void {
    // During a drag the extent stays as it was at the gesture's start, so the grabbed point does
    // not drift while a live session extends the extent under the pointer.
    if (!this.gestureActive) this.zoomExtent = view.extent;
    const ext = this.zoomExtent;
    const t = windowToTransform(view.window, ext, this.plotWidth);
    const height = Math.max(1, this.boxes.length ? this.boxes[this.boxes.length - 1].top + this.boxes[0].height : 1);
    this.zoomBehavior
      .extent([
        [0, 0],
        [this.plotWidth, height],
      ])
      .scaleExtent([1, maxZoom(ext)])
      .translateExtent([
        [0, -Infinity],
        [this.plotWidth, Infinity],
      ]);
    // zoom.transform() would emit 'zoom' with the active gesture's source event, indistinguishable
    // from user input; setting the stored transform is d3-zoom's documented-in-practice way round.
    select(this.svg).property('__zoom', zoomIdentity.translate(t.x, 0).scale(t.k));
  }

  private onZoom(e: D3ZoomEvent<SVGSVGElement, unknown>): void {
    if (!e.sourceEvent || !this.view) return;
    const w = transformToWindow(e.transform.k, e.transform.x, this.zoomExtent, this.plotWidth);
    this.events.window(w, e.sourceEvent.type === 'wheel' ? 'zoom' : 'pan');
  }

  private markAt(clientX: number, clientY: number, target: EventTarget | null): { lane: number; mark: StallMark } | undefined {
    const rect = this.svg.getBoundingClientRect();
    const x = clientX - rect.left;
    const y = clientY - rect.top;
    const lane = laneAtY(this.boxes, y);
    if (lane < 0) return undefined;
    const el = target instanceof Element ? target.closest('.stall-mark') : null;
    const id = el?.getAttribute('data-stall-id');
    if (id) {
      const mark = this.marks[lane].find((m) => m.rep.id === id);
      if (mark) return { lane, mark };
    }
    // Only the stall track snaps to the nearest mark; the lag band above shows lag.
    const b = this.boxes[lane];
    if (y < b.stallTop - 2) return undefined;
    const mark = hitTestMarks(this.marks[lane], x);
    return mark ? { lane, mark } : undefined;
  }

  private onClick(e: MouseEvent): void {
    const hit = this.markAt(e.clientX, e.clientY, e.target);
    if (hit) this.events.select(hit.mark.rep.id, true);
  }

  private onPointerMove(e: PointerEvent): void {
    if (e.buttons) {
      this.tooltip.hide();
      return;
    }
    const rect = this.svg.getBoundingClientRect();
    this.hover = { x: e.clientX - rect.left, y: e.clientY - rect.top, clientX: e.clientX, clientY: e.clientY };
    this.keyboardTooltip = false;
    this.updateHover(e.target);
  }

  private updateHover(target: EventTarget | null = null): void {
    const view = this.view;
    const hv = this.hover;
    if (!view || !hv) return;
    const hit = this.markAt(hv.clientX, hv.clientY, target);
    this.svg.classList.toggle('over-mark', !!hit);
    const lx = String(Math.round(hv.x) + 0.5);
    setAttr(this.hoverLine, 'x1', lx);
    setAttr(this.hoverLine, 'x2', lx);
    setAttr(this.hoverLine, 'y2', this.svg.getAttribute('height') ?? '0');
    this.hoverLine.classList.toggle('visible', !hit);
    this.hoverRing.classList.toggle('visible', !!hit);
    if (hit) {
      const g = markGeometry(hit.mark, this.boxes[hit.lane]);
      setAttr(this.hoverRing, 'x', String(g.x - 1.5));
      setAttr(this.hoverRing, 'y', String(g.y - 1.5));
      setAttr(this.hoverRing, 'width', String(g.w + 3));
      setAttr(this.hoverRing, 'height', String(g.h + 3));
      this.showStallTooltip(hit.lane, hit.mark, hv.clientX, hv.clientY);
      return;
    }
    const lane = laneAtY(this.boxes, hv.y);
    if (lane < 0) return this.tooltip.hide();
    const pause = this.pauseMarks[lane]?.find((p) => hv.x >= p.x && hv.x <= p.x + p.w);
    if (pause) return this.tooltip.show(pauseTooltip(pause.pause, pause.durationMs, view.model.startedAtMs), hv.clientX, hv.clientY);
    const series = view.model.lag.get(this.laneOrder[lane].lane.id);
    const t = pxToTime(this.pw, hv.x);
    const i = series ? nearestSample(series, t, Math.max(2 * series.intervalMs, (span(this.pw) / this.pw.widthPx) * 2)) : -1;
    if (!series || i < 0) return this.tooltip.hide();
    this.tooltip.show(lagTooltip(this.laneOrder[lane].lane.label, series.t[i], series.p50[i], series.p99[i], series.max[i]), hv.clientX, hv.clientY);
  }

  private showStallTooltip(lane: number, mark: StallMark, clientX: number, clientY: number): void {
    const view = this.view;
    if (!view) return;
    const stall = mark.rep;
    this.tooltip.show(stallTooltip(stall, mark.durationMs, view.model.processes.get(stall.pid), view.model.startedAtMs, mark.count - 1), clientX, clientY);
    void lane;
  }

  // ───────────── keyboard ─────────────

  private onKeyDown(e: KeyboardEvent): void {
    const view = this.view;
    if (!view) return;
    const w = view.window;
    const key = e.key;
    const handled = (): void => {
      e.preventDefault();
      e.stopPropagation();
    };
    if (e.shiftKey && (key === 'ArrowLeft' || key === 'ArrowRight')) {
      handled();
      this.keyWindow(view, shift(w, (key === 'ArrowLeft' ? -0.2 : 0.2) * span(w)), 'pan');
      return;
    }
    switch (key) {
      case 'ArrowLeft':
      case 'ArrowRight':
      case 'ArrowUp':
      case 'ArrowDown':
      case 'Home':
      case 'End': {
        handled();
        const id = this.neighbour(key);
        if (id) {
          this.keyboardTooltip = true;
          this.events.select(id, false);
          // Keys can come faster than frames: the next one must start from this selection.
          this.view = { ...view, selection: { kind: 'stall', id } };
        }
        return;
      }
      case 'Enter':
      case ' ': {
        handled();
        const sel = view.selection;
        if (sel?.kind === 'stall') this.events.select(sel.id, true);
        else {
          const first = this.neighbour('Home');
          if (first) this.events.select(first, true);
        }
        return;
      }
      case '+':
      case '=':
      case '-':
      case '_': {
        handled();
        const sel = view.selection?.kind === 'stall' ? view.model.stallsById.get(view.selection.id) : undefined;
        const anchor = sel && sel.startMs >= w.startMs && sel.startMs <= w.endMs ? sel.startMs : (w.startMs + w.endMs) / 2;
        const f = key === '+' || key === '=' ? 2 : 0.5;
        const s = span(w) / f;
        const ratio = (anchor - w.startMs) / span(w);
        this.keyWindow(view, { startMs: anchor - ratio * s, endMs: anchor - ratio * s + s }, 'zoom');
        return;
      }
      case '0':
        handled();
        this.events.resetZoom();
        return;
      case 'f':
      case 'F':
        if (e.ctrlKey || e.metaKey || e.altKey) return;
        handled();
        this.events.toggleFollow();
        return;
      case 'Escape':
        if (view.selection) {
          handled();
          this.keyboardTooltip = false;
          this.tooltip.hide();
          this.events.clearSelection();
        }
        return;
    }
  }

  /**
   * Keys can come faster than frames (a held key, a busy page): the next zoom or pan step must start
   * from this one's window, not from the last rendered one, or steps are lost. The host-side clamp
   * still applies at the next render.
   */
  private keyWindow(view: ChartView, next: TimeWindow, cause: 'pan' | 'zoom'): void {
    this.events.window(next, cause);
    this.view = { ...view, window: next };
  }

  /** After a render, shows the tooltip of the keyboard-selected mark next to it. */
  afterRender(): void {
    if (!this.keyboardTooltip || document.activeElement !== this.svg || !this.view) return;
    const id = this.svg.getAttribute('aria-activedescendant');
    const el: Element | null = id ? document.getElementById(id) : null;
    if (!el) return this.tooltip.hide();
    const r = el.getBoundingClientRect();
    const lane = this.laneOrder.findIndex((lv) => lv.marks.get(el.getAttribute('data-stall-id') ?? '') === el);
    const mark = lane >= 0 ? this.marks[lane].find((m) => m.rep.id === el.getAttribute('data-stall-id')) : undefined;
    if (mark) this.showStallTooltip(lane, mark, r.right, r.bottom);
  }

  /** The stall that an arrow key moves to, from the selected one (or the first in view). */
  private neighbour(key: string): string | undefined {
    const view = this.view;
    if (!view) return undefined;
    const model = view.model;
    const sel = view.selection?.kind === 'stall' ? model.stallsById.get(view.selection.id) : undefined;
    const laneIndexOf = (st: Stall): number => this.laneOrder.findIndex((lv) => lv.lane.id === laneIdOf(st.pid, st.thread.id));
    const lanesWithStalls = this.laneOrder.map((lv, i) => ({ i, lane: model.stallLanes.get(lv.lane.id) })).filter((x) => x.lane && x.lane.stalls.length);
    if (!lanesWithStalls.length) return undefined;
    if (!sel || laneIndexOf(sel) < 0) {
      // Start at the first stall in view (the left-most mark of the top lane that has one).
      for (let i = 0; i < this.marks.length; i++) if (this.marks[i].length) return (key === 'End' ? this.marks[i][this.marks[i].length - 1] : this.marks[i][0]).rep.id;
      const lane = lanesWithStalls[0].lane!;
      const j = Math.min(lane.stalls.length - 1, lowerBoundStart(lane.stalls, view.window.startMs));
      return lane.stalls[j].id;
    }
    const li = laneIndexOf(sel);
    const lane = model.stallLanes.get(this.laneOrder[li].lane.id)!;
    const idx = lane.indexOf(sel);
    const marks = this.marks[li];
    const mi = markIndexOfStall(marks, idx);
    switch (key) {
      case 'ArrowRight': {
        // Next mark on screen; past the last one, the next stall in the lane (the app pans to it).
        if (mi >= 0 && mi + 1 < marks.length) return marks[mi + 1].rep.id;
        const j = mi >= 0 ? marks[mi].i1 : idx + 1;
        return lane.stalls[j]?.id ?? sel.id;
      }
      case 'ArrowLeft': {
        if (mi > 0) return marks[mi - 1].rep.id;
        const j = mi >= 0 ? marks[mi].i0 - 1 : idx - 1;
        return lane.stalls[j]?.id ?? sel.id;
      }
      case 'Home':
        return (marks[0] ?? { rep: lane.stalls[0] }).rep.id;
      case 'End':
        return (marks[marks.length - 1] ?? { rep: lane.stalls[lane.stalls.length - 1] }).rep.id;
      case 'ArrowUp':
      case 'ArrowDown': {
        const pos = lanesWithStalls.findIndex((x) => x.i === li);
        const to = lanesWithStalls[pos + (key === 'ArrowUp' ? -1 : 1)];
        if (!to) return sel.id;
        // The mark in that lane nearest in time to the selected stall.
        const toMarks = this.marks[to.i];
        const x = mi >= 0 ? marks[mi].x + marks[mi].w / 2 : timeToPx(this.pw, sel.startMs);
        const m = hitTestMarks(toMarks, x, Infinity);
        if (m) return m.rep.id;
        const st = to.lane!.stalls;
        return st[Math.min(st.length - 1, lowerBoundStart(st, sel.startMs))].id;
      }
    }
    return undefined;
  }
}

/** 24-hour axis labels: `14:05` on minutes, `:30` on seconds, `.250` on milliseconds. */
function timeTick(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (d.getMilliseconds()) return `.${String(d.getMilliseconds()).padStart(3, '0')}`;
  if (d.getSeconds()) return `:${pad(d.getSeconds())}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Writes an inline style only when it changes: a write, even of the same value, can cost a style recalc. */
function setStyle(el: HTMLElement, prop: 'top' | 'height' | 'width', value: string): void {
  if (el.style[prop] !== value) el.style[prop] = value;
}

function shift(w: TimeWindow, deltaMs: number): TimeWindow {
  return { startMs: w.startMs + deltaMs, endMs: w.endMs + deltaMs };
}
