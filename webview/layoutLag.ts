/**
 * Lag series → pixel columns, and the lag y scale. An hour at 10 Hz is 36k samples per lane; the
 * plot is ~1000 px wide, so beyond one sample per two pixels each column keeps the min and max of
 * p50 and p99 and the max of max (the M4 idea): every spike survives, the cost is O(visible
 * samples) with no allocation per frame. Pure (no DOM).
 */
import { lowerBoundF64, upperBoundF64, type LagSeries } from './timelineModel';
import { timeToPx, type PixelWindow } from './layoutView';

export interface LagColumns {
  count: number;
  /** true: one column per sample (zoomed in); false: one per pixel. */
  raw: boolean;
  x: Float32Array;
  p50Lo: Float32Array;
  p50Hi: Float32Array;
  p99Lo: Float32Array;
  p99Hi: Float32Array;
  maxHi: Float32Array;
  /** Column means: the typical value, drawn as the line inside the min–max envelope. */
  p50Avg: Float32Array;
  p99Avg: Float32Array;
  /** 1 where the line must break: a gap in the data (process idle, probe disconnected). */
  breakBefore: Uint8Array;
  /** The largest max in view. */
  visibleMaxMs: number;
}

export function createLagColumns(capacity = 0): LagColumns {
  return {
    count: 0,
    raw: true,
    x: new Float32Array(capacity),
    p50Lo: new Float32Array(capacity),
    p50Hi: new Float32Array(capacity),
    p99Lo: new Float32Array(capacity),
    p99Hi: new Float32Array(capacity),
    maxHi: new Float32Array(capacity),
    p50Avg: new Float32Array(capacity),
    p99Avg: new Float32Array(capacity),
    breakBefore: new Uint8Array(capacity),
    visibleMaxMs: 0,
  };
}

function ensure(out: LagColumns, n: number): LagColumns {
  if (out.x.length >= n) return out;
  const next = createLagColumns(Math.max(n, out.x.length * 2));
  next.count = out.count;
  return next;
}

/** Samples further apart than this are a gap, not a line. */
export function gapThresholdMs(series: Pick<LagSeries, 'intervalMs'>): number {
  return Math.max(3 * series.intervalMs, 250);
}

/**
 * Columns for the part of `series` inside `win` (plus one sample either side, so lines reach the
 * edges). Pass the previous result as `out` to reuse its buffers.
 */
export function decimateLag(series: LagSeries, win: PixelWindow, out: LagColumns = createLagColumns()): LagColumns {
  const n = series.length;
  const t = series.t;
  const i0 = Math.max(0, lowerBoundF64(t, n, win.startMs) - 1);
  const i1 = Math.min(n, upperBoundF64(t, n, win.endMs) + 1);
  const gap = gapThresholdMs(series);
  const visible = i1 - i0;
  const width = Math.max(1, Math.round(win.widthPx));
  if (visible <= 0) {
    out.count = 0;
    out.visibleMaxMs = 0;
    return out;
  }
  // Raw points while there are at least two pixels per sample (a path looks best); beyond, columns
  // (drawn as 1 px rects: software-rastered paths with thousands of tiny segments cost 10s of ms).
  if (visible <= width / 2) {
    out = ensure(out, visible);
    out.raw = true;
    let vmax = 0;
    for (let k = 0, i = i0; i < i1; i++, k++) {
      out.x[k] = timeToPx(win, t[i]);
      out.p50Lo[k] = out.p50Hi[k] = out.p50Avg[k] = series.p50[i];
      out.p99Lo[k] = out.p99Hi[k] = out.p99Avg[k] = series.p99[i];
      out.maxHi[k] = series.max[i];
      out.breakBefore[k] = i > i0 && t[i] - t[i - 1] > gap ? 1 : 0;
      if (series.max[i] > vmax) vmax = series.max[i];
    }
    out.count = visible;
    out.visibleMaxMs = vmax;
    return out;
  }
  // Columns -1 and width hold the samples just outside the window.
  out = ensure(out, width + 3);
  out.raw = false;
  const scale = width / (win.endMs - win.startMs);
  let k = -1;
  let col = Number.NaN;
  let vmax = 0;
  let inCol = 0;
  for (let i = i0; i < i1; i++) {
    const c = Math.floor((t[i] - win.startMs) * scale);
    const p50 = series.p50[i];
    const p99 = series.p99[i];
    const mx = series.max[i];
    if (c !== col) {
      if (k >= 0) {
        out.p50Avg[k] /= inCol;
        out.p99Avg[k] /= inCol;
      }
      k++;
      col = c;
      inCol = 1;
      out.x[k] = c + 0.5;
      out.p50Lo[k] = out.p50Hi[k] = out.p50Avg[k] = p50;
      out.p99Lo[k] = out.p99Hi[k] = out.p99Avg[k] = p99;
      out.maxHi[k] = mx;
      out.breakBefore[k] = i > i0 && t[i] - t[i - 1] > gap ? 1 : 0;
    } else {
      inCol++;
      out.p50Avg[k] += p50;
      out.p99Avg[k] += p99;
      if (p50 < out.p50Lo[k]) out.p50Lo[k] = p50;
      if (p50 > out.p50Hi[k]) out.p50Hi[k] = p50;
      if (p99 < out.p99Lo[k]) out.p99Lo[k] = p99;
      if (p99 > out.p99Hi[k]) out.p99Hi[k] = p99;
      if (mx > out.maxHi[k]) out.maxHi[k] = mx;
      // A gap inside one pixel column is invisible at this zoom; only gaps between columns break the line.
    }
    if (mx > vmax) vmax = mx;
  }
  if (k >= 0) {
    out.p50Avg[k] /= inCol;
    out.p99Avg[k] /= inCol;
  }
  out.count = k + 1;
  out.visibleMaxMs = vmax;
  return out;
}

/** The sample nearest to `tMs` (for the lag tooltip), or -1 if none is within `maxDistanceMs`. */
export function nearestSample(series: LagSeries, tMs: number, maxDistanceMs: number): number {
  const n = series.length;
  if (!n) return -1;
  const i = lowerBoundF64(series.t, n, tMs);
  let best = -1;
  let bestD = maxDistanceMs;
  for (const j of [i - 1, i]) {
    if (j < 0 || j >= n) continue;
    const d = Math.abs(series.t[j] - tMs);
    if (d <= bestD) {
      best = j;
      bestD = d;
    }
  }
  return best;
}

const NICE_MAX = [100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000, 3_600_000];

/** The top of the shared lag axis: a round value above the largest max, at least 100 ms. */
export function lagAxisMax(maxMs: number): number {
  for (const v of NICE_MAX) if (maxMs <= v) return v;
  return NICE_MAX[NICE_MAX.length - 1];
}

/**
 * Log-like y (symlog with a 1 ms knee): a healthy loop's 1 ms p50 and a 5 s stall both stay
 * readable in the same 50 px. Returns the offset from the band's top, in px.
 */
export function lagY(ms: number, axisMaxMs: number, heightPx: number): number {
  const v = Math.log1p(Math.max(0, Math.min(ms, axisMaxMs))) / Math.log1p(axisMaxMs);
  return heightPx - v * heightPx;
}

/** Gridlines worth drawing on that axis: 1 ms, 10 ms, 100 ms, 1 s, 10 s… up to the top. */
export function lagGridlines(axisMaxMs: number): number[] {
  const out: number[] = [];
  for (let v = 1; v <= axisMaxMs; v *= 10) out.push(v);
  return out;
}

/** A decade of the lag axis with its unit: `1 ms`, `10 ms`, `100 ms`, `1 s`, `10 s`. */
export function lagTickText(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

export interface LagAxisLabel {
  ms: number;
  /** Offset from the lag band's top, px. */
  y: number;
  text: string;
  /** The stall threshold's line, not a decade. */
  threshold: boolean;
}

/** Labels closer than this (px) would overlap at the 10 px font the canvas uses. */
export const LAG_LABEL_GAP_PX = 11;

/**
 * Labels of the lag axis: every decade (1 ms, 10 ms, 100 ms, 1 s…) with its unit, drawn at the
 * plot's right edge, and the stall threshold, drawn at its left edge (so the two never collide).
 * Where decades would overlap the larger one stays: the small ones drop out first.
 */
export function lagAxisLabels(axisMaxMs: number, heightPx: number, thresholdMs?: number, formatThreshold: (ms: number) => string = lagTickText): LagAxisLabel[] {
  const out: LagAxisLabel[] = [];
  const fits = (y: number): boolean => y >= 0 && y <= heightPx - 3 && out.every((l) => l.threshold || Math.abs(l.y - y) >= LAG_LABEL_GAP_PX);
  if (thresholdMs !== undefined && thresholdMs > 0 && thresholdMs <= axisMaxMs) {
    const y = lagY(thresholdMs, axisMaxMs, heightPx);
    if (y >= 0 && y <= heightPx) out.push({ ms: thresholdMs, y, text: `stall threshold ${formatThreshold(thresholdMs)}`, threshold: true });
  }
  for (const ms of lagGridlines(axisMaxMs).reverse()) {
    const y = lagY(ms, axisMaxMs, heightPx);
    if (fits(y)) out.push({ ms, y, text: lagTickText(ms), threshold: false });
  }
  return out.sort((a, b) => a.y - b.y);
}
