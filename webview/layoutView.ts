/**
 * The visible time window: zoom, pan, follow, and the mapping to d3-zoom's transform. Kept as
 * plain numbers (epoch ms) so the window, not the transform, is the truth: the data extent of a
 * live session grows every frame, and a transform relative to it would drift. Pure (no DOM).
 */

export interface TimeWindow {
  startMs: number;
  endMs: number;
}

/** A window mapped onto pixels. */
export interface PixelWindow extends TimeWindow {
  widthPx: number;
}

/** Zooming in stops at 20 ms across the plot: finer than the probe's own resolution. */
export const MIN_SPAN_MS = 20;
/** An extent is never shorter than this, so a session that just started does not fill the plot with 2 s. */
export const MIN_EXTENT_MS = 30_000;
/** What follow mode shows of a live session until the user zooms. */
export const DEFAULT_FOLLOW_SPAN_MS = 60_000;

export const span = (w: TimeWindow): number => w.endMs - w.startMs;

export function timeToPx(w: PixelWindow, t: number): number {
  return ((t - w.startMs) * w.widthPx) / (w.endMs - w.startMs);
}

export function pxToTime(w: PixelWindow, x: number): number {
  return w.startMs + (x * (w.endMs - w.startMs)) / w.widthPx;
}

/**
 * Everything the user can scroll to: the data, up to `nowMs` while live, at least MIN_EXTENT_MS
 * long (the short extent grows to the right, where new data will arrive).
 */
export function fullExtent(dataMinMs: number, dataMaxMs: number, nowMs?: number): TimeWindow {
  let startMs = Number.isFinite(dataMinMs) ? dataMinMs : (nowMs ?? 0);
  let endMs = Number.isFinite(dataMaxMs) ? dataMaxMs : startMs;
  if (nowMs !== undefined && nowMs > endMs) endMs = nowMs;
  if (endMs - startMs < MIN_EXTENT_MS) {
    if (nowMs !== undefined) startMs = Math.min(startMs, endMs - MIN_EXTENT_MS);
    else endMs = startMs + MIN_EXTENT_MS;
  }
  return { startMs, endMs };
}

/**
 * A finished recording's extent: just its data, with a little room at either end. Unlike a live
 * session's (`fullExtent`), it is not padded to MIN_EXTENT_MS: a 2-second CI run fills the plot.
 */
export function recordedExtent(dataMinMs: number, dataMaxMs: number): TimeWindow {
  if (!Number.isFinite(dataMinMs) || !Number.isFinite(dataMaxMs)) return fullExtent(dataMinMs, dataMaxMs);
  const pad = Math.max(MIN_SPAN_MS, (dataMaxMs - dataMinMs) * 0.02);
  return { startMs: dataMinMs - pad, endMs: dataMaxMs + pad };
}

/** Keeps a window inside the extent and its span within [MIN_SPAN_MS, extent]. */
export function clampWindow(w: TimeWindow, extent: TimeWindow): TimeWindow {
  const maxSpan = span(extent);
  const s = Math.min(maxSpan, Math.max(MIN_SPAN_MS, Number.isFinite(span(w)) ? span(w) : maxSpan));
  let startMs = Number.isFinite(w.startMs) ? w.startMs : extent.startMs;
  if (span(w) !== s) startMs = (w.startMs + w.endMs) / 2 - s / 2;
  startMs = Math.max(extent.startMs, Math.min(extent.endMs - s, startMs));
  return { startMs, endMs: startMs + s };
}

/** Zooms by `factor` (> 1 zooms in) keeping `anchorMs` at the same place on screen. */
export function zoomAt(w: TimeWindow, factor: number, anchorMs: number, extent: TimeWindow): TimeWindow {
  const s = span(w);
  const next = Math.min(span(extent), Math.max(MIN_SPAN_MS, s / factor));
  const ratio = (anchorMs - w.startMs) / s;
  const startMs = anchorMs - ratio * next;
  return clampWindow({ startMs, endMs: startMs + next }, extent);
}

export function panBy(w: TimeWindow, deltaMs: number, extent: TimeWindow): TimeWindow {
  return clampWindow({ startMs: w.startMs + deltaMs, endMs: w.endMs + deltaMs }, extent);
}

/** Follow mode: the latest `spanMs` of the extent. */
export function followWindow(spanMs: number, extent: TimeWindow): TimeWindow {
  return clampWindow({ startMs: extent.endMs - spanMs, endMs: extent.endMs }, extent);
}

/** True when the window ends at the extent's end (within one pixel): follow mode may stay on. */
export function touchesEnd(w: TimeWindow, extent: TimeWindow, widthPx: number): boolean {
  return extent.endMs - w.endMs <= span(w) / Math.max(1, widthPx);
}

/**
 * d3-zoom's transform for a window, with the extent mapped to [0, widthPx] at scale 1:
 * x' = k·x + tx, so the window start lands on 0 and its end on widthPx.
 */
export function windowToTransform(w: TimeWindow, extent: TimeWindow, widthPx: number): { k: number; x: number } {
  const k = span(extent) / span(w);
  const x0 = ((w.startMs - extent.startMs) / span(extent)) * widthPx;
  return { k, x: -x0 * k };
}

export function transformToWindow(k: number, x: number, extent: TimeWindow, widthPx: number): TimeWindow {
  const s = span(extent) / k;
  const startMs = extent.startMs + (-x / k / widthPx) * span(extent);
  return { startMs, endMs: startMs + s };
}

/** The largest zoom factor d3-zoom may reach for an extent. */
export function maxZoom(extent: TimeWindow): number {
  return Math.max(1, span(extent) / MIN_SPAN_MS);
}

/**
 * A window that shows [startMs, endMs]: unchanged if it is already in view, else centred on it,
 * widened when the range does not fit (with a margin so its edges are visible).
 */
export function revealRange(w: TimeWindow, startMs: number, endMs: number, extent: TimeWindow): TimeWindow {
  const margin = span(w) * 0.02;
  if (startMs >= w.startMs + margin && endMs <= w.endMs - margin) return w;
  const s = Math.max(span(w), (endMs - startMs) * 1.5);
  const mid = (startMs + endMs) / 2;
  return clampWindow({ startMs: mid - s / 2, endMs: mid + s / 2 }, extent);
}
