/**
 * What the watchdog keeps per probed thread, and per stall while it lasts. Plain state: the thread
 * registry owns the threads, the stall tracker their stalls.
 */
import type { BackToBack, Victim } from '../shared/protocol/model';
import type { HeartbeatReader } from './heartbeatReader';
import type { LagCursor } from './lagSeries';
import type { Look } from './looks';
import type { ThreadPauses } from './pauses';
import type { SchedTimes } from './threadState';

export interface StallState {
  seq: number;
  id: string;
  /** The heartbeat value when detected (the end is when it changes). */
  beat: number;
  /** The last evidence of the loop turning: the beat, or a parked loop seen idle (hr ms). */
  sinceHr: number;
  detectedHr: number;
  suppressed: boolean;
  announced: boolean;
  lastSentHr: number;
  /** The first look, requested at detection; resolves when it is in (or failed). */
  capture: Promise<void> | undefined;
  first: Look | undefined;
  /** The first prompt look after a late first one, taken while the thread stayed blocked. */
  second: Look | undefined;
  /** The looks after a late first one that were late too (looks.ts, agreedLate). */
  lateRetries: Look[];
  /** Looks that vote on the culprit besides the first (looks.ts, preferSamples): the early one, then those while the stall went on. */
  samples: Look[];
  /** The look whose stack and handler the stall reports, when not the first. */
  chosen: Look | undefined;
  /** The first look came back stale: the loop had already turned. */
  stale: boolean;
  threadId: number;
  /** The thread's CPU/runqueue times at detection (Linux, main thread). */
  sched: SchedTimes | undefined;
  /** The requests it held up, once the main thread told (after the stall). */
  victims?: Victim[];
  /** The handlers that ran back to back inside it, told with its victims. */
  backToBack?: BackToBack[];
}

/** A look requested before a stall began, for the turn that began after `beat` (stallLooks.ts, early). */
export interface EarlyLook {
  beat: number;
  look: Promise<Look | undefined>;
}

/** When a stall message says the stall began and how long it lasted (so far, when `ongoing`). */
export interface StallTiming {
  startHr: number;
  durationMs: number;
  ongoing?: boolean;
  /** The loop idled most of the gap: the final word on an announced stall that was none. */
  idle?: boolean;
}

/** A parked heartbeat, as the watchdog follows it (parkedLoop.ts). */
export interface ParkedWatch {
  /** Last time the thread was seen idle in its event loop while its heartbeat was parked (hr ms). */
  idleSeenHr: number;
  unparkSent: boolean;
  unparkSentHr: number;
  /** The beat last seen while parked: the gap records after it tell what the loop did meanwhile. */
  beat: number;
}

export interface WatchedThread {
  readonly threadId: number;
  name: string | undefined;
  readonly hb: HeartbeatReader;
  readonly pauses: ThreadPauses;
  readonly lag: LagCursor;
  stall: StallState | undefined;
  /** A look taken as the thread neared a stall (stallLooks.ts, early). */
  early: EarlyLook | undefined;
  /** Stalls numbered so far on this thread. */
  seq: number;
  announced: boolean;
  gone: boolean;
  readonly parked: ParkedWatch;
}

export function newStall(threadId: number, seq: number, beat: number, sinceHr: number, detectedHr: number, suppressed: boolean, sched: SchedTimes | undefined): StallState {
  return {
    seq,
    id: `${process.pid}.${threadId}.${seq}`,
    beat,
    sinceHr,
    detectedHr,
    suppressed,
    announced: false,
    lastSentHr: 0,
    capture: undefined,
    first: undefined,
    second: undefined,
    lateRetries: [],
    samples: [],
    chosen: undefined,
    stale: false,
    threadId,
    sched,
  };
}

/** The thread is still blocked in `s`: its heartbeat has not moved since. */
export function stillBlocked(t: WatchedThread, s: StallState): boolean {
  return t.stall === s && t.hb.beat === s.beat && !s.suppressed;
}
