/**
 * The pointer over the plot: what is under it (a mark, snapped with tolerance in the stall
 * track; a pause; a lag sample), the hover line or ring, the tooltip, and clicks. Also the
 * tooltip of the mark the keyboard selected, placed next to it after each render.
 */
import { setAttr } from './dom';
import type { LaneLayer } from './laneLayer';
import { nearestSample } from './layoutLag';
import { laneAtY, type LaneBox } from './layoutLanes';
import { hitTestMarks, markGeometry, type PauseMark, type StallMark } from './layoutStalls';
import { pxToTime, span, type PixelWindow } from './layoutView';
import type { TimelineModel } from './timelineModel';
import { lagTooltip, pauseTooltip, stallTooltip, type Tooltip } from './tooltip';

/** What the chart laid out in its last render. */
export interface ChartFrame {
  model: TimelineModel;
  pw: PixelWindow;
  boxes: readonly LaneBox[];
  marks: readonly (readonly StallMark[])[];
  pauseMarks: readonly (readonly PauseMark[])[];
}

interface Pointer {
  x: number;
  y: number;
  clientX: number;
  clientY: number;
}

export class ChartHover {
  /** The tooltip follows the keyboard selection rather than the pointer. */
  byKeyboard = false;
  private pointer: Pointer | undefined;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly line: SVGLineElement,
    private readonly ring: SVGRectElement,
    private readonly tooltip: Tooltip,
    private readonly lanes: LaneLayer,
    private readonly frame: () => ChartFrame | undefined,
    onPick: (stallId: string) => void,
    private readonly canOpenSource: boolean,
  ) {
    svg.addEventListener('click', (e) => {
      const hit = this.markAt(e.clientX, e.clientY, e.target);
      if (hit) onPick(hit.mark.rep.id);
    });
    svg.addEventListener('pointermove', (e) => {
      if (e.buttons) return this.tooltip.hide();
      const r = svg.getBoundingClientRect();
      this.pointer = { x: e.clientX - r.left, y: e.clientY - r.top, clientX: e.clientX, clientY: e.clientY };
      this.byKeyboard = false;
      this.update(e.target);
    });
    svg.addEventListener('pointerleave', () => {
      this.pointer = undefined;
      this.line.classList.remove('visible');
      this.ring.classList.remove('visible');
      if (!this.byKeyboard) this.tooltip.hide();
    });
  }

  hide(): void {
    this.byKeyboard = false;
    this.tooltip.hide();
  }

  /** After a render: what is under a still pointer may have moved, and a keyboard tooltip follows its mark. */
  afterRender(): void {
    if (this.pointer) this.update(null);
    if (this.byKeyboard && document.activeElement === this.svg) this.showForActive();
  }

  private showForActive(): void {
    const f = this.frame();
    const id = this.svg.getAttribute('aria-activedescendant');
    const el: Element | null = id ? document.getElementById(id) : null;
    if (!el || !f) return this.tooltip.hide();
    const lane = this.lanes.laneOfProxy(el);
    const stallId = el.getAttribute('data-stall-id');
    const mark = lane >= 0 ? f.marks[lane].find((m) => m.rep.id === stallId) : undefined;
    const r = el.getBoundingClientRect();
    if (mark) this.showStall(f, mark, r.right, r.bottom);
  }

  private markAt(clientX: number, clientY: number, target: EventTarget | null): { lane: number; mark: StallMark } | undefined {
    const f = this.frame();
    if (!f) return undefined;
    const rect = this.svg.getBoundingClientRect();
    const x = clientX - rect.left;
    const y = clientY - rect.top;
    const lane = laneAtY(f.boxes, y);
    if (lane < 0) return undefined;
    const el = target instanceof Element ? target.closest('.stall-mark') : null;
    const id = el?.getAttribute('data-stall-id');
    if (id) {
      const mark = f.marks[lane].find((m) => m.rep.id === id);
      if (mark) return { lane, mark };
    }
    // Only the stall track snaps to the nearest mark; the lag band above shows lag.
    if (y < f.boxes[lane].stallTop - 2) return undefined;
    const mark = hitTestMarks(f.marks[lane], x);
    return mark ? { lane, mark } : undefined;
  }

  private update(target: EventTarget | null): void {
    const f = this.frame();
    const p = this.pointer;
    if (!f || !p) return;
    const hit = this.markAt(p.clientX, p.clientY, target);
    this.svg.classList.toggle('over-mark', !!hit);
    const lx = String(Math.round(p.x) + 0.5);
    setAttr(this.line, 'x1', lx);
    setAttr(this.line, 'x2', lx);
    setAttr(this.line, 'y2', this.svg.getAttribute('height') ?? '0');
    this.line.classList.toggle('visible', !hit);
    this.ring.classList.toggle('visible', !!hit);
    if (hit) {
      const g = markGeometry(hit.mark, f.boxes[hit.lane]);
      setAttr(this.ring, 'x', String(g.x - 1.5));
      setAttr(this.ring, 'y', String(g.y - 1.5));
      setAttr(this.ring, 'width', String(g.w + 3));
      setAttr(this.ring, 'height', String(g.h + 3));
      return this.showStall(f, hit.mark, p.clientX, p.clientY);
    }
    const lane = laneAtY(f.boxes, p.y);
    if (lane < 0) return this.tooltip.hide();
    const pause = f.pauseMarks[lane]?.find((m) => p.x >= m.x && p.x <= m.x + m.w);
    if (pause) return this.tooltip.show(pauseTooltip(pause.pause, pause.durationMs, f.model.startedAtMs), p.clientX, p.clientY);
    const laneId = this.lanes.laneIds()[lane];
    const series = f.model.lag.get(laneId);
    const t = pxToTime(f.pw, p.x);
    const i = series ? nearestSample(series, t, Math.max(2 * series.intervalMs, (span(f.pw) / f.pw.widthPx) * 2)) : -1;
    if (!series || i < 0) return this.tooltip.hide();
    this.tooltip.show(lagTooltip(this.lanes.laneLabel(lane), series.t[i], series.intervalMs, series.p50[i], series.p99[i], series.max[i]), p.clientX, p.clientY);
  }

  private showStall(f: ChartFrame, mark: StallMark, clientX: number, clientY: number): void {
    const stall = mark.rep;
    this.tooltip.show(stallTooltip(stall, mark.durationMs, f.model.processes.get(stall.pid), f.model.startedAtMs, mark.count - 1, this.canOpenSource), clientX, clientY);
  }
}
