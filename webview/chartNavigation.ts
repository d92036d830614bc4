/**
 * Which stall an arrow key moves to in the chart: along a lane the next mark on screen (past the
 * last one, the next stall of the lane, which the app then pans to), across lanes the mark
 * nearest in time. Pure (no DOM): it reads the marks the chart laid out for this frame.
 */
import type { Stall } from '../src/shared/protocol/model';
import type { StepTo } from './keymap';
import { hitTestMarks, markIndexOfStall, type StallMark } from './layoutStalls';
import { timeToPx, type PixelWindow } from './layoutView';
import { laneIdOf, lowerBoundStart, type StallLane } from './timelineModel';

export interface NavigationFrame {
  stallLanes: ReadonlyMap<string, StallLane>;
  /** Lane ids, top to bottom, as drawn. */
  laneIds: readonly string[];
  /** The marks of each lane in view, in the same order. */
  marks: readonly (readonly StallMark[])[];
  pw: PixelWindow;
  selected: Stall | undefined;
}

export function neighbourStall(to: StepTo, f: NavigationFrame): string | undefined {
  const sel = f.selected;
  const laneIndexOf = (st: Stall): number => f.laneIds.indexOf(laneIdOf(st.pid, st.thread.id));
  const lanesWithStalls = f.laneIds
    .map((id, i) => ({ i, lane: f.stallLanes.get(id) }))
    .filter((x): x is { i: number; lane: StallLane } => !!x.lane && x.lane.stalls.length > 0);
  if (!lanesWithStalls.length) return undefined;
  const li = sel ? laneIndexOf(sel) : -1;
  if (!sel || li < 0) {
    // Start at the first stall in view (the left-most mark of the top lane that has one).
    for (const marks of f.marks) if (marks.length) return (to === 'last' ? marks[marks.length - 1] : marks[0]).rep.id;
    const lane = lanesWithStalls[0].lane;
    return lane.stalls[Math.min(lane.stalls.length - 1, lowerBoundStart(lane.stalls, f.pw.startMs))].id;
  }
  const lane = f.stallLanes.get(f.laneIds[li]);
  if (!lane) return sel.id;
  const idx = lane.indexOf(sel);
  const marks = f.marks[li] ?? [];
  const mi = markIndexOfStall(marks, idx);
  switch (to) {
    case 'right': {
      if (mi >= 0 && mi + 1 < marks.length) return marks[mi + 1].rep.id;
      const j = mi >= 0 ? marks[mi].i1 : idx + 1;
      return lane.stalls[j]?.id ?? sel.id;
    }
    case 'left': {
      if (mi > 0) return marks[mi - 1].rep.id;
      const j = mi >= 0 ? marks[mi].i0 - 1 : idx - 1;
      return lane.stalls[j]?.id ?? sel.id;
    }
    case 'first':
      return (marks[0]?.rep ?? lane.stalls[0]).id;
    case 'last':
      return (marks[marks.length - 1]?.rep ?? lane.stalls[lane.stalls.length - 1]).id;
    case 'up':
    case 'down': {
      const pos = lanesWithStalls.findIndex((x) => x.i === li);
      const target = lanesWithStalls[pos + (to === 'up' ? -1 : 1)];
      if (!target) return sel.id;
      const x = mi >= 0 ? marks[mi].x + marks[mi].w / 2 : timeToPx(f.pw, sel.startMs);
      const m = hitTestMarks(f.marks[target.i] ?? [], x, Infinity);
      if (m) return m.rep.id;
      const st = target.lane.stalls;
      return st[Math.min(st.length - 1, lowerBoundStart(st, sel.startMs))].id;
    }
  }
}
