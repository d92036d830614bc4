/**
 * The overview strip above the lanes: the whole recording at a glance (worst lag of all lanes and
 * a tick per stall, by severity) with a d3-brush showing, and setting, the zoom window.
 */
import { brushX, select, type BrushBehavior, type D3BrushEvent } from 'd3';
import { h, s } from './dom';
import { lagAxisMax, lagY } from './layoutLag';
import { severityOf } from './layoutStalls';
import { span, timeToPx, type PixelWindow, type TimeWindow } from './layoutView';
import type { ChartColors } from './theme';
import type { TimelineModel } from './timelineModel';
import { GUTTER_WIDTH } from './chart';

export interface OverviewEvents {
  /** The user brushed a range, or clicked to centre the window on a time (`cause: 'center'`). */
  window(w: TimeWindow, cause: 'brush' | 'center'): void;
}

const HEIGHT = 40;

export class Overview {
  readonly el: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly svg: SVGSVGElement;
  private readonly brushG: SVGGElement;
  private readonly brush: BrushBehavior<unknown>;
  private width = 0;
  private extent: TimeWindow = { startMs: 0, endMs: 1 };
  private drawnVersion = -1;
  private drawnExtent: TimeWindow = { startMs: 0, endMs: 0 };
  private drawnAt = 0;
  private brushing = false;
  private lastBrush: [number, number] | null = null;

  constructor(
    parent: HTMLElement,
    private readonly events: OverviewEvents,
  ) {
    this.canvas = h('canvas', { class: 'overview-canvas', 'aria-hidden': 'true' });
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2d context unavailable');
    this.ctx = ctx;
    this.svg = s('svg', { class: 'overview-svg', height: HEIGHT, 'aria-hidden': 'true' });
    this.brushG = s('g', { class: 'brush' });
    this.svg.appendChild(this.brushG);
    const strip = h('div', { class: 'overview' }, this.canvas, this.svg);
    this.el = h('div', { class: 'overview-row' }, h('div', { class: 'gutter-cell overview-caption' }, 'Overview'), strip);
    parent.appendChild(this.el);

    this.brush = brushX<unknown>()
      .handleSize(8)
      .on('start', (e: D3BrushEvent<unknown>) => {
        if (e.sourceEvent) this.brushing = true;
      })
      .on('brush', (e: D3BrushEvent<unknown>) => this.onBrush(e))
      .on('end', (e: D3BrushEvent<unknown>) => {
        this.onBrush(e);
        this.brushing = false;
        // A click without a drag clears a d3 brush; here it centres the window on that time instead.
        if (e.sourceEvent && !e.selection && this.width) {
          const x = (e.sourceEvent as MouseEvent).clientX - this.svg.getBoundingClientRect().left;
          const t = this.extent.startMs + (x / this.width) * span(this.extent);
          this.lastBrush = null;
          this.events.window({ startMs: t, endMs: t }, 'center');
        }
      });
    select(this.brushG).call(this.brush);
  }

  private onBrush(e: D3BrushEvent<unknown>): void {
    if (!e.sourceEvent || !e.selection || !this.width) return;
    const [x0, x1] = e.selection as [number, number];
    const t = (x: number): number => this.extent.startMs + (x / this.width) * span(this.extent);
    this.events.window({ startMs: t(x0), endMs: t(x1) }, 'brush');
  }

  render(model: TimelineModel, extent: TimeWindow, window: TimeWindow, colors: ChartColors, live: boolean, availableWidth: number): void {
    const width = Math.max(50, Math.floor(availableWidth - GUTTER_WIDTH));
    const resized = width !== this.width;
    if (resized) {
      this.width = width;
      const dpr = window_dpr();
      this.canvas.width = width * dpr;
      this.canvas.height = HEIGHT * dpr;
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${HEIGHT}px`;
      this.svg.setAttribute('width', String(width));
      this.brush.extent([
        [0, 0],
        [width, HEIGHT],
      ]);
      select(this.brushG).call(this.brush);
    }
    this.extent = extent;
    // The strip redraws when data or extent change; while live, at most 4 times a second.
    const now = performance.now();
    const changed = resized || model.version !== this.drawnVersion || extent.startMs !== this.drawnExtent.startMs || extent.endMs !== this.drawnExtent.endMs;
    if (changed && (!live || resized || now - this.drawnAt > 250)) {
      this.draw(model, extent, colors);
      this.drawnVersion = model.version;
      this.drawnExtent = extent;
      this.drawnAt = now;
    }
    if (!this.brushing) {
      const pw: PixelWindow = { ...extent, widthPx: width };
      let x0 = timeToPx(pw, window.startMs);
      let x1 = timeToPx(pw, window.endMs);
      // Keep the brush grabbable when the window is a sliver of an hour.
      if (x1 - x0 < 4) {
        const mid = (x0 + x1) / 2;
        x0 = mid - 2;
        x1 = mid + 2;
      }
      const full = x0 <= 0.5 && x1 >= width - 0.5;
      const next: [number, number] | null = full ? null : [Math.max(0, x0), Math.min(width, x1)];
      if (!sameBrush(next, this.lastBrush)) {
        this.lastBrush = next;
        select(this.brushG).call(this.brush.move, next);
      }
    }
  }

  /** Forces a redraw (theme change). */
  invalidate(): void {
    this.drawnVersion = -1;
  }

  private draw(model: TimelineModel, extent: TimeWindow, colors: ChartColors): void {
    const ctx = this.ctx;
    const dpr = window_dpr();
    const width = this.width;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, HEIGHT);
    const scale = width / span(extent);
    // Worst lag across lanes per pixel column.
    const cols = new Float32Array(width);
    for (const series of model.lag.values()) {
      for (let i = 0; i < series.length; i++) {
        const c = Math.floor((series.t[i] - extent.startMs) * scale);
        if (c >= 0 && c < width && series.max[i] > cols[c]) cols[c] = series.max[i];
      }
    }
    const axisMax = lagAxisMax(model.lagMaxMs);
    const lagH = HEIGHT - 12;
    ctx.globalAlpha = colors.highContrast ? 0.7 : 0.35;
    ctx.fillStyle = colors.max;
    ctx.beginPath();
    ctx.moveTo(0, lagH);
    for (let c = 0; c < width; c++) ctx.lineTo(c + 0.5, lagY(cols[c], axisMax, lagH));
    ctx.lineTo(width, lagH);
    ctx.closePath();
    ctx.fill();
    // A tick per stall column, coloured by the worst stall in it.
    const sev = new Uint8Array(width);
    for (const lane of model.stallLanes.values()) {
      for (const st of lane.stalls) {
        const c = Math.floor((st.startMs - extent.startMs) * scale);
        if (c < 0 || c >= width) continue;
        const v = severityOf(st.durationMs) === 'high' ? 3 : severityOf(st.durationMs) === 'medium' ? 2 : 1;
        if (v > sev[c]) sev[c] = v;
      }
    }
    ctx.globalAlpha = 1;
    const fills = ['', colors.stallLow, colors.stallMedium, colors.stallHigh];
    for (let c = 0; c < width; c++) {
      if (!sev[c]) continue;
      ctx.fillStyle = fills[sev[c]];
      ctx.fillRect(c, HEIGHT - 10, 2, 8);
    }
  }
}

function sameBrush(a: [number, number] | null, b: [number, number] | null): boolean {
  if (!a || !b) return a === b;
  return Math.abs(a[0] - b[0]) < 0.25 && Math.abs(a[1] - b[1]) < 0.25;
}

function window_dpr(): number {
  return globalThis.devicePixelRatio || 1;
}
