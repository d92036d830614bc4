/**
 * Stall marks and pause bands for the visible window. Only what is in view is laid out, and
 * stalls that would overlap on screen (closer than a pixel at this zoom) merge into one mark
 * that stands for the longest of them: at an hour across 1000 px, 10k stalls become at most a
 * few hundred marks per lane, and zooming in separates them again. Pure (no DOM).
 */
import type { PauseRange, Stall } from '../src/shared/protocol/model';
import { lowerBoundStart, type StallLane } from './timelineModel';
import { timeToPx, type PixelWindow } from './layoutView';

export type Severity = 'low' | 'medium' | 'high';

/** Under 100 ms a user barely notices; past 500 ms every request in flight is visibly late. */
export const SEVERITY_MEDIUM_MS = 100;
export const SEVERITY_HIGH_MS = 500;

export function severityOf(durationMs: number): Severity {
  return durationMs >= SEVERITY_HIGH_MS ? 'high' : durationMs >= SEVERITY_MEDIUM_MS ? 'medium' : 'low';
}

/**
 * What a severity means, said as its range of durations (a word like "high" explains nothing):
 * `under 100 ms`, `100–500 ms`, `500 ms or more`.
 */
export function severityRange(sev: Severity): string {
  switch (sev) {
    case 'low':
      return `under ${SEVERITY_MEDIUM_MS} ms`;
    case 'medium':
      return `${SEVERITY_MEDIUM_MS}–${SEVERITY_HIGH_MS} ms`;
    case 'high':
      return `${SEVERITY_HIGH_MS} ms or more`;
  }
}

/** Bar height in the stall track: from 35 % at 50 ms to full at 5 s, on a log scale. */
export function stallBarHeight(durationMs: number, trackPx: number): number {
  const v = Math.log(Math.max(1, durationMs / 50)) / Math.log(100);
  return Math.round(trackPx * (0.35 + 0.65 * Math.min(1, Math.max(0, v))));
}

/** While live, an ongoing stall has lasted at least until now. */
export function effectiveDuration(s: Stall, nowMs?: number): number {
  return s.ongoing && nowMs !== undefined ? Math.max(s.durationMs, nowMs - s.startMs) : s.durationMs;
}

export interface StallMark {
  /** The stalls this mark stands for: lane.stalls[i0 .. i1). */
  i0: number;
  i1: number;
  /** The longest of them: its id is the mark's id, its severity the mark's colour. */
  rep: Stall;
  x: number;
  w: number;
  durationMs: number;
  count: number;
  ongoing: boolean;
  severity: Severity;
}

export const MIN_MARK_WIDTH_PX = 3;

export function layoutStallMarks(
  lane: StallLane,
  win: PixelWindow,
  nowMs?: number,
  minWidthPx = MIN_MARK_WIDTH_PX,
  mergeGapPx = 0,
): StallMark[] {
  const stalls = lane.stalls;
  const marks: StallMark[] = [];
  if (!stalls.length) return marks;
  // A stall that started before the window may still reach into it: look back by the longest one.
  let lookBack = lane.maxDurationMs;
  if (nowMs !== undefined) for (const s of lane.ongoing) lookBack = Math.max(lookBack, nowMs - s.startMs);
  const minStartPx = -minWidthPx;
  let cur: StallMark | undefined;
  for (let i = lowerBoundStart(stalls, win.startMs - lookBack); i < stalls.length; i++) {
    const s = stalls[i];
    if (s.startMs > win.endMs) break;
    const dur = effectiveDuration(s, nowMs);
    const x0 = timeToPx(win, s.startMs);
    const realX1 = timeToPx(win, s.startMs + dur);
    const x1 = Math.max(x0 + minWidthPx, realX1);
    if (x1 < minStartPx) continue;
    if (cur && x0 < cur.x + cur.w + mergeGapPx) {
      cur.i1 = i + 1;
      cur.count++;
      // Only real time widens a mark, never another member's minimum width: else dense stalls
      // would chain into one mark across the whole lane.
      cur.w = Math.max(cur.w, realX1 - cur.x);
      if (s.ongoing) cur.ongoing = true;
      if (dur > cur.durationMs) {
        cur.durationMs = dur;
        cur.rep = s;
        cur.severity = severityOf(dur);
      }
    } else {
      cur = { i0: i, i1: i + 1, rep: s, x: x0, w: x1 - x0, durationMs: dur, count: 1, ongoing: !!s.ongoing, severity: severityOf(dur) };
      marks.push(cur);
    }
  }
  return marks;
}

/**
 * The mark under `x`, or the nearest one within `tolerancePx` (3 px marks are hard to hit with a
 * mouse). Marks are sorted by x and do not overlap, so this is a binary search.
 */
export function hitTestMarks(marks: readonly StallMark[], x: number, tolerancePx = 4): StallMark | undefined {
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (marks[mid].x + marks[mid].w < x) lo = mid + 1;
    else hi = mid;
  }
  let best: StallMark | undefined;
  let bestD = tolerancePx;
  for (const j of [lo - 1, lo, lo + 1]) {
    const m = marks[j];
    if (!m) continue;
    const d = x < m.x ? m.x - x : x > m.x + m.w ? x - (m.x + m.w) : 0;
    if (d <= bestD) {
      best = m;
      bestD = d;
    }
  }
  return best;
}

/** What a mark is, for drawing: part of the selected group, or holding the selected stall. */
export const MARK_IN_GROUP = 1;
export const MARK_SELECTED = 2;

/**
 * Where a mark is drawn inside its lane's stall track: bottom-aligned, taller when longer,
 * snapped to whole pixels so narrow bars stay crisp (and at least 2 px wide).
 */
export function markGeometry(m: StallMark, box: { stallTop: number; stallHeight: number }): { x: number; y: number; w: number; h: number } {
  const h = stallBarHeight(m.durationMs, box.stallHeight);
  const x = Math.round(m.x);
  const w = Math.max(2, Math.round(m.x + m.w) - x);
  return { x, y: box.stallTop + box.stallHeight - h, w, h };
}

/** Index of the mark holding a stall (by its index in the lane), or -1. */
export function markIndexOfStall(marks: readonly StallMark[], stallIndex: number): number {
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (marks[mid].i1 <= stallIndex) lo = mid + 1;
    else hi = mid;
  }
  return lo < marks.length && marks[lo].i0 <= stallIndex ? lo : -1;
}

export interface PauseMark {
  pause: PauseRange;
  x: number;
  w: number;
  durationMs: number;
}

/** Debugger pauses in view; one still paused lasts until now. */
export function layoutPauses(pauses: readonly PauseRange[], win: PixelWindow, nowMs?: number): PauseMark[] {
  const out: PauseMark[] = [];
  for (const p of pauses) {
    const end = p.endMs ?? nowMs ?? p.startMs;
    if (end < win.startMs || p.startMs > win.endMs) continue;
    const x = timeToPx(win, p.startMs);
    const w = Math.max(2, timeToPx(win, end) - x);
    out.push({ pause: p, x, w, durationMs: end - p.startMs });
  }
  return out;
}
