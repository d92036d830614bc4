/**
 * Draws the lanes' background and lag series onto one canvas: gridlines, the max as a soft area,
 * p99 and p50 as lines. Canvas because an hour of lag is 144k points; the decimation keeps the
 * work per frame at about one path vertex per pixel column per series.
 */
import { createLagColumns, decimateLag, lagAxisLabels, lagGridlines, lagY, type LagAxisLabel, type LagColumns } from './layoutLag';
import type { LaneBox, LaneInfo } from './layoutLanes';
import { MARK_SELECTED, markGeometry, type StallMark } from './layoutStalls';
import type { PixelWindow } from './layoutView';
import type { ChartColors } from './theme';
import type { TimelineModel } from './timelineModel';
import { formatDuration } from './format';

export class LagCanvas {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private columns: LagColumns = createLagColumns(2048);
  private cssWidth = 0;
  private cssHeight = 0;
  private dpr = 1;

  constructor(parent: HTMLElement) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'lag-canvas';
    this.canvas.setAttribute('aria-hidden', 'true');
    parent.appendChild(this.canvas);
    const ctx = this.canvas.getContext('2d', { alpha: true });
    if (!ctx) throw new Error('canvas 2d context unavailable');
    this.ctx = ctx;
  }

  resize(width: number, height: number): void {
    const dpr = window.devicePixelRatio || 1;
    if (width === this.cssWidth && height === this.cssHeight && dpr === this.dpr) return;
    this.cssWidth = width;
    this.cssHeight = height;
    this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(width * dpr));
    this.canvas.height = Math.max(1, Math.round(height * dpr));
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
  }

  /** The lag labels drawn in the last frame, per lane (for tests: canvas text cannot be read back). */
  labels: LagAxisLabel[][] = [];

  draw(model: TimelineModel, lanes: readonly LaneInfo[], boxes: readonly LaneBox[], win: PixelWindow, ticks: readonly number[], axisMaxMs: number, colors: ChartColors, visibleTop = 0, visibleBottom = Infinity): void {
    const ctx = this.ctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssWidth, this.cssHeight);
    const width = this.cssWidth;
    const grid = lagGridlines(axisMaxMs);
    ctx.font = `10px ${colors.fontFamily}`;
    ctx.textBaseline = 'middle';
    this.labels = [];
    for (let i = 0; i < lanes.length; i++) {
      const b = boxes[i];
      const labels = lagAxisLabels(axisMaxMs, b.lagHeight, model.thresholdMs, formatDuration);
      this.labels.push(labels);
      if (b.top + b.height < visibleTop || b.top > visibleBottom) continue;
      // Lane separator and the stall track's floor.
      ctx.globalAlpha = 1;
      ctx.fillStyle = colors.laneBorder;
      ctx.fillRect(0, b.top + b.height - 1, width, 1);
      ctx.globalAlpha = colors.highContrast ? 0.5 : 0.25;
      ctx.fillStyle = colors.grid;
      ctx.fillRect(0, b.stallTop + b.stallHeight, width, 1);
      // Time gridlines (the axis ticks) and lag gridlines.
      ctx.globalAlpha = colors.highContrast ? 0.35 : 0.12;
      for (const x of ticks) ctx.fillRect(Math.round(x), b.lagTop, 1, b.stallTop + b.stallHeight - b.lagTop);
      for (const g of grid) {
        const y = Math.round(b.lagTop + lagY(g, axisMaxMs, b.lagHeight));
        ctx.fillRect(0, y, width, 1);
      }
      const series = model.lag.get(lanes[i].id);
      if (series && series.length) {
        this.columns = decimateLag(series, win, this.columns);
        this.drawSeries(this.columns, b, axisMaxMs, colors);
      }
      // Labels last, on a chip of the background, so a spike never hides a number.
      this.drawLabels(labels, b, width, colors);
    }
    ctx.globalAlpha = 1;
  }

  private drawLabels(labels: readonly LagAxisLabel[], b: LaneBox, width: number, colors: ChartColors): void {
    const ctx = this.ctx;
    ctx.lineJoin = 'round';
    for (const l of labels) {
      const y = Math.round(b.lagTop + l.y);
      if (l.threshold) {
        // The threshold: a dashed line across the band, labelled at the left.
        ctx.globalAlpha = colors.highContrast ? 1 : 0.8;
        ctx.strokeStyle = colors.stallMedium;
        ctx.lineWidth = 1;
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(0, y + 0.5);
        ctx.lineTo(width, y + 0.5);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      const textWidth = ctx.measureText(l.text).width;
      const x = l.threshold ? 4 : width - textWidth - 4;
      // Above its line, or below it where the band's top would cut it.
      const ty = y - 6 < b.lagTop + 4 ? y + 7 : y - 6;
      // On a chip of the background: a dense lag curve under a number would otherwise cross it.
      ctx.globalAlpha = 0.85;
      ctx.fillStyle = colors.background;
      ctx.fillRect(x - 2, ty - 6, textWidth + 4, 12);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = colors.background;
      ctx.lineWidth = 3;
      ctx.strokeText(l.text, x, ty);
      ctx.fillStyle = l.threshold ? colors.foreground : colors.muted;
      ctx.fillText(l.text, x, ty);
    }
  }

  /**
   * The stall marks: a bar per mark, coloured by severity, outlined when selected (2 px) or in
   * the selected group (1 px); ongoing ones pulse with `ongoingAlpha` (the live frames animate it).
   */
  drawMarks(boxes: readonly LaneBox[], marks: readonly (readonly StallMark[])[], states: readonly Uint8Array[], colors: ChartColors, ongoingAlpha: number, visibleTop = 0, visibleBottom = Infinity): void {
    const ctx = this.ctx;
    const fill = { low: colors.stallLow, medium: colors.stallMedium, high: colors.stallHigh };
    const outlined: { x: number; y: number; w: number; h: number; state: number }[] = [];
    for (let i = 0; i < marks.length; i++) {
      const b = boxes[i];
      if (!b || b.top + b.height < visibleTop || b.top > visibleBottom) continue;
      const lane = marks[i];
      for (let k = 0; k < lane.length; k++) {
        const m = lane[k];
        const g = markGeometry(m, b);
        ctx.globalAlpha = m.ongoing ? ongoingAlpha : 1;
        ctx.fillStyle = fill[m.severity];
        ctx.fillRect(g.x, g.y, g.w, g.h);
        // High contrast outlines the bars wide enough to keep their fill visible inside the outline.
        if (colors.highContrast && g.w >= 6) {
          ctx.globalAlpha = 1;
          ctx.strokeStyle = colors.contrastBorder;
          ctx.lineWidth = 1;
          ctx.strokeRect(g.x + 0.5, g.y + 0.5, g.w - 1, g.h - 1);
        }
        if (states[i][k]) outlined.push({ ...g, state: states[i][k] });
      }
    }
    ctx.globalAlpha = 1;
    // Outlines last, so a neighbour never paints over them.
    for (const o of outlined) {
      const sel = o.state === MARK_SELECTED;
      ctx.strokeStyle = sel ? colors.selection : colors.foreground;
      ctx.lineWidth = sel ? 2 : 1;
      const pad = sel ? 1 : 0.5;
      ctx.strokeRect(o.x - pad, o.y - pad, o.w + 2 * pad, o.h + 2 * pad);
    }
  }

  private drawSeries(c: LagColumns, b: LaneBox, axisMaxMs: number, colors: ChartColors): void {
    const n = c.count;
    if (!n) return;
    const y = (ms: number): number => b.lagTop + lagY(ms, axisMaxMs, b.lagHeight);
    const base = b.lagTop + b.lagHeight;
    const ctx = this.ctx;
    // max: a soft area, so a spike reads as a shape and the lines stay legible on top of it.
    ctx.globalAlpha = colors.highContrast ? 0.45 : 0.22;
    ctx.fillStyle = colors.max;
    if (c.raw) this.fillArea(c, y, base);
    else for (let k = 0; k < n; k++) {
      const top = Math.round(y(c.maxHi[k]));
      ctx.fillRect(c.x[k] - 0.5, top, 1, base - top);
    }
    const p99w = colors.highContrast ? 2 : 1.5;
    if (c.raw) {
      ctx.globalAlpha = 1;
      this.strokeLine(c, c.p99Hi, y, colors.p99, p99w);
      ctx.globalAlpha = colors.highContrast ? 1 : 0.8;
      this.strokeLine(c, c.p50Hi, y, colors.p50, 1);
    } else {
      // Many samples per pixel: the min–max envelope, faint, and the column mean as the line,
      // so an hour of dense data still reads as a level with spikes rather than a solid block.
      ctx.globalAlpha = colors.highContrast ? 0.6 : 0.35;
      this.columnBand(c, c.p99Lo, c.p99Hi, y, colors.p99, 1);
      ctx.globalAlpha = 1;
      this.columnBand(c, c.p99Avg, c.p99Avg, y, colors.p99, p99w);
      ctx.globalAlpha = colors.highContrast ? 1 : 0.8;
      this.columnBand(c, c.p50Avg, c.p50Avg, y, colors.p50, 1);
    }
    ctx.globalAlpha = 1;
  }

  private fillArea(c: LagColumns, y: (ms: number) => number, base: number): void {
    const ctx = this.ctx;
    ctx.beginPath();
    let runStart = -1;
    for (let k = 0; k < c.count; k++) {
      if (runStart < 0 || c.breakBefore[k]) {
        if (runStart >= 0) {
          ctx.lineTo(c.x[k - 1], base);
          ctx.closePath();
        }
        runStart = k;
        ctx.moveTo(c.x[k], base);
      }
      ctx.lineTo(c.x[k], y(c.maxHi[k]));
    }
    ctx.lineTo(c.x[c.count - 1], base);
    ctx.closePath();
    ctx.fill();
  }

  private strokeLine(c: LagColumns, v: Float32Array, y: (ms: number) => number, color: string, width: number): void {
    const ctx = this.ctx;
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    for (let k = 0; k < c.count; k++) {
      if (k === 0 || c.breakBefore[k]) ctx.moveTo(c.x[k], y(v[k]));
      else ctx.lineTo(c.x[k], y(v[k]));
    }
    ctx.stroke();
  }

  /**
   * One pixel column per rect, each reaching to its neighbour's range so the band is continuous:
   * visually a line through every min and max, at a fraction of a stroked path's cost.
   */
  private columnBand(c: LagColumns, lo: Float32Array, hi: Float32Array, y: (ms: number) => number, color: string, width: number): void {
    const ctx = this.ctx;
    ctx.fillStyle = color;
    let prevTop = NaN;
    let prevBottom = NaN;
    for (let k = 0; k < c.count; k++) {
      let top = y(hi[k]);
      let bottom = y(lo[k]);
      const t = top;
      const bt = bottom;
      if (!c.breakBefore[k] && k > 0 && c.x[k] - c.x[k - 1] <= 1.5) {
        // Join the previous column: cover the gap between the two ranges.
        if (prevBottom < top) top = prevBottom;
        if (prevTop > bottom) bottom = prevTop;
      }
      prevTop = t;
      prevBottom = bt;
      ctx.fillRect(c.x[k] - 0.5, top - width / 2, 1, bottom - top + width);
    }
  }
}
