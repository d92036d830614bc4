/**
 * The webview's copy of the timeline data, indexed for drawing: lag per lane in growable typed
 * arrays sorted by time, stalls per lane sorted by start, everything upserted by id. Pure (no DOM).
 *
 * Version counters tell the views what changed so a delta redraws only what it touched.
 */
import type { LagSample, PauseRange, ProcessInfo, Stall } from '../src/shared/protocol/model';
import type { TimelineState } from '../src/shared/protocol/webviewMessages';

export type LaneId = string;

export const laneIdOf = (pid: number, threadId: number): LaneId => `${pid}:${threadId}`;

/** One lane's lag series, columnar so an hour at 10 Hz (36k samples) is four flat arrays. */
export class LagSeries {
  t: Float64Array = new Float64Array(64);
  p50: Float32Array = new Float32Array(64);
  p99: Float32Array = new Float32Array(64);
  max: Float32Array = new Float32Array(64);
  length = 0;
  /** The sampling interval, for telling a gap (process idle or probe disconnected) from the next sample. */
  intervalMs = 100;
  maxMs = 0;

  push(s: LagSample): void {
    if (this.length === this.t.length) this.grow();
    let i = this.length;
    // Samples arrive in order; a late batch from another connection is inserted, not appended.
    if (i > 0 && s.atMs < this.t[i - 1]) {
      i = upperBoundF64(this.t, this.length, s.atMs);
      this.t.copyWithin(i + 1, i, this.length);
      this.p50.copyWithin(i + 1, i, this.length);
      this.p99.copyWithin(i + 1, i, this.length);
      this.max.copyWithin(i + 1, i, this.length);
    }
    this.t[i] = s.atMs;
    this.p50[i] = s.p50Ms;
    this.p99[i] = s.p99Ms;
    this.max[i] = s.maxMs;
    this.length++;
    if (s.intervalMs > 0) this.intervalMs = s.intervalMs;
    if (s.maxMs > this.maxMs) this.maxMs = s.maxMs;
  }

  private grow(): void {
    const cap = this.t.length * 2;
    const grow64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const grow32 = (a: Float32Array): Float32Array => {
      const b = new Float32Array(cap);
      b.set(a);
      return b;
    };
    this.t = grow64(this.t);
    this.p50 = grow32(this.p50);
    this.p99 = grow32(this.p99);
    this.max = grow32(this.max);
  }
}

/** First index with a[i] > v. */
export function upperBoundF64(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with a[i] >= v. */
export function lowerBoundF64(a: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose startMs >= v, in an array sorted by startMs. */
export function lowerBoundStart(items: readonly { startMs: number }[], v: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid].startMs < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A lane's stalls sorted by start, with what the visible-range search needs to look back far enough. */
export class StallLane {
  readonly stalls: Stall[] = [];
  maxDurationMs = 0;
  /** Stalls still blocking: they grow until their end arrives. */
  readonly ongoing = new Set<Stall>();

  insert(s: Stall): void {
    const arr = this.stalls;
    if (!arr.length || arr[arr.length - 1].startMs <= s.startMs) arr.push(s);
    else {
      let i = lowerBoundStart(arr, s.startMs);
      while (i < arr.length && arr[i].startMs === s.startMs) i++;
      arr.splice(i, 0, s);
    }
    this.note(s);
  }

  /** Replaces `old` (same id) with `s`; returns false if `old` was not found. */
  replace(old: Stall, s: Stall): boolean {
    const i = this.indexOf(old);
    if (i < 0) return false;
    this.ongoing.delete(old);
    if (old.startMs === s.startMs) {
      this.stalls[i] = s;
      this.note(s);
    } else {
      this.stalls.splice(i, 1);
      this.insert(s);
    }
    return true;
  }

  indexOf(s: Stall): number {
    const arr = this.stalls;
    for (let i = lowerBoundStart(arr, s.startMs); i < arr.length && arr[i].startMs === s.startMs; i++) {
      if (arr[i].id === s.id) return i;
    }
    return -1;
  }

  private note(s: Stall): void {
    if (s.durationMs > this.maxDurationMs) this.maxDurationMs = s.durationMs;
    if (s.ongoing) this.ongoing.add(s);
  }
}

export interface LaneSource {
  pid: number;
  threadId: number;
  name?: string;
}

export class TimelineModel {
  title = '';
  live = false;
  startedAtMs = 0;
  /** The probe's stall threshold, when the host says it. */
  thresholdMs: number | undefined;
  readonly processes = new Map<number, ProcessInfo>();
  readonly lag = new Map<LaneId, LagSeries>();
  readonly stallLanes = new Map<LaneId, StallLane>();
  readonly stallsById = new Map<string, Stall>();
  readonly pauses = new Map<string, PauseRange>();
  /** Every lane that has data or is announced by a process, with the thread's name when known. */
  readonly lanes = new Map<LaneId, LaneSource>();
  /** Earliest and latest time with data (NaN while empty). */
  minMs = NaN;
  maxMs = NaN;
  /** Largest lag max seen in any lane: the shared y scale of all lanes. */
  lagMaxMs = 0;

  /** Bumped on any change. */
  version = 0;
  /** Bumped when stalls change (the list regroups only then). */
  stallsVersion = 0;
  /** Bumped when lanes or process info change (labels and lane layout). */
  lanesVersion = 0;
  /** Bumped when pauses change. */
  pausesVersion = 0;

  reset(state: TimelineState): void {
    this.processes.clear();
    this.lag.clear();
    this.stallLanes.clear();
    this.stallsById.clear();
    this.pauses.clear();
    this.lanes.clear();
    this.minMs = NaN;
    this.maxMs = NaN;
    this.lagMaxMs = 0;
    this.title = state.title;
    this.live = state.live;
    this.startedAtMs = state.startedAtMs;
    this.thresholdMs = state.thresholdMs;
    this.append({ processes: state.processes, lag: state.lag, pauses: state.pauses });
    // Sort once instead of inserting 10k stalls one by one.
    const sorted = [...state.stalls].sort((a, b) => a.startMs - b.startMs);
    for (const s of sorted) this.upsertStall(s);
    this.bump(true, true, true);
  }

  append(delta: { stalls?: Stall[]; lag?: LagSample[]; pauses?: PauseRange[]; processes?: ProcessInfo[] }): void {
    let lanes = false;
    for (const p of delta.processes ?? []) {
      this.processes.set(p.pid, p);
      for (const t of p.threads) this.noteLane(p.pid, t.id, t.name);
      this.extend(p.startedAtMs, p.endedAtMs ?? p.startedAtMs);
      lanes = true;
    }
    for (const s of delta.lag ?? []) {
      const id = laneIdOf(s.pid, s.threadId);
      let series = this.lag.get(id);
      if (!series) {
        series = new LagSeries();
        this.lag.set(id, series);
        lanes = this.noteLane(s.pid, s.threadId) || lanes;
      }
      series.push(s);
      if (s.maxMs > this.lagMaxMs) this.lagMaxMs = s.maxMs;
      this.extend(s.atMs - s.intervalMs, s.atMs);
    }
    for (const p of delta.pauses ?? []) {
      this.pauses.set(p.id, p);
      lanes = this.noteLane(p.pid, p.threadId) || lanes;
      this.extend(p.startMs, p.endMs ?? p.startMs);
    }
    for (const s of delta.stalls ?? []) lanes = this.upsertStall(s) || lanes;
    this.bump(!!delta.stalls?.length, lanes || !!delta.processes?.length, !!delta.pauses?.length);
  }

  setLive(live: boolean): void {
    this.live = live;
    this.version++;
  }

  /** Lanes whose stalls include an ongoing one: they need redrawing as time passes. */
  hasOngoing(): boolean {
    for (const lane of this.stallLanes.values()) if (lane.ongoing.size) return true;
    for (const p of this.pauses.values()) if (p.endMs === null) return true;
    return false;
  }

  get isEmpty(): boolean {
    return !this.processes.size && !this.lag.size && !this.stallsById.size && !this.pauses.size;
  }

  /** Returns true if the stall opened a new lane. */
  private upsertStall(s: Stall): boolean {
    const id = laneIdOf(s.pid, s.thread.id);
    const newLane = this.noteLane(s.pid, s.thread.id, s.thread.name);
    let lane = this.stallLanes.get(id);
    if (!lane) {
      lane = new StallLane();
      this.stallLanes.set(id, lane);
    }
    const old = this.stallsById.get(s.id);
    if (!old || !lane.replace(old, s)) lane.insert(s);
    this.stallsById.set(s.id, s);
    this.extend(s.startMs, s.startMs + s.durationMs);
    return newLane;
  }

  private noteLane(pid: number, threadId: number, name?: string): boolean {
    const id = laneIdOf(pid, threadId);
    const known = this.lanes.get(id);
    if (!known) {
      this.lanes.set(id, { pid, threadId, ...(name ? { name } : {}) });
      return true;
    }
    if (name && known.name !== name) {
      known.name = name;
      return true;
    }
    return false;
  }

  private extend(from: number, to: number): void {
    if (!(from >= this.minMs)) this.minMs = from;
    if (!(to <= this.maxMs)) this.maxMs = to;
  }

  private bump(stalls: boolean, lanes: boolean, pauses: boolean): void {
    this.version++;
    if (stalls) this.stallsVersion++;
    if (lanes) this.lanesVersion++;
    if (pauses) this.pausesVersion++;
  }
}
