/**
 * The lag series the watchdog sends: the heartbeats' 100 ms samples, read from each thread's ring,
 * plus zero samples for spans when a thread's heartbeat was parked. A parked loop was idle (seen so
 * through /proc), so its lag was nil: the series goes on at its 10 Hz, zero samples up to now while
 * still parked, and once it resumed, the rest of the span from the heartbeat's own record of it
 * (which also knows the span's true utilisation).
 *
 * A debugger pause is not lag: the beat after a breakpoint was late by the whole pause, so the
 * samples that span one are taken as if the pause had not been (withoutPause).
 */
import { round2, type LagSample } from '../shared/protocol/model';
import { PARKED_SPAN, type LagRecord } from './heartbeatLayout';
import type { HeartbeatReader } from './heartbeatReader';

/** What the series remembers per thread. */
export interface LagCursor {
  threadId: number;
  hb: HeartbeatReader;
  /** Ring records read so far. */
  seen: number;
  /** Zero samples synthesised up to here (hr ms). */
  synthesizedTo: number;
  /** The thread's latest debugger pauses (the tracker's own spans: an open one gets its end later). */
  pauses: PausedSpan[];
}

export interface PausedSpan {
  startHr: number;
  endHr: number | null;
}

const KEEP_PAUSES = 16;

/**
 * A lag sample with `pausedMs` of debugger pause inside it taken out: the late beat's delay counted
 * the pause (the highest delay: max, and p99 with the ~10 delays of a sample), and so did the busy
 * time; the utilisation is that of the time the thread ran.
 */
export function withoutPause(r: LagRecord, pausedMs: number): LagRecord {
  if (pausedMs <= 0) return r;
  const maxMs = Math.max(0, r.maxMs - pausedMs);
  const p99Ms = Math.min(r.p99Ms, maxMs);
  const running = r.intervalMs - pausedMs;
  const elu = running > 0 ? Math.min(1, Math.max(0, (r.elu * r.intervalMs - pausedMs) / running)) : 0;
  return { ...r, maxMs, p99Ms, p50Ms: Math.min(r.p50Ms, p99Ms), elu };
}

export class LagSeries {
  private out: LagSample[] = [];

  constructor(
    private readonly epochOffset: number,
    private readonly intervalMs: number,
  ) {}

  cursor(threadId: number, hb: HeartbeatReader): LagCursor {
    return { threadId, hb, seen: hb.lagCount, synthesizedTo: 0, pauses: [] };
  }

  /** A debugger pause of the cursor's thread began (`span.endHr` is set when it ends). */
  paused(c: LagCursor, span: PausedSpan): void {
    c.pauses.push(span);
    if (c.pauses.length > KEEP_PAUSES) c.pauses.shift();
  }

  /** Collects what one thread has to say up to `now`. */
  collect(c: LagCursor, now: number): void {
    this.drain(c); // first: it closes spans that ended before the current one began
    if (c.hb.parked) {
      const from = c.hb.parkedAt;
      if (c.synthesizedTo < from) c.synthesizedTo = from;
      this.idle(c, now, 0, false);
    }
  }

  /** Samples collected so far, in time order, in batches the protocol accepts. */
  take(maxBatch: number): LagSample[][] {
    const all = this.out.sort((a, b) => a.atMs - b.atMs);
    this.out = [];
    const batches: LagSample[][] = [];
    for (let i = 0; i < all.length; i += maxBatch) batches.push(all.slice(i, i + maxBatch));
    return batches;
  }

  private drain(c: LagCursor): void {
    const recs: LagRecord[] = [];
    c.seen = c.hb.readLag(c.seen, recs);
    for (const r of recs) {
      if (r.p50Ms === PARKED_SPAN) {
        // A parked span that ended: its remainder after what was already synthesised.
        const start = r.atHr - r.intervalMs;
        if (c.synthesizedTo < start) c.synthesizedTo = start;
        this.idle(c, r.atHr, r.elu, true);
        continue;
      }
      const x = c.pauses.length ? withoutPause(r, pausedWithin(c.pauses, r.atHr - r.intervalMs, r.atHr)) : r;
      this.push(c, x.atHr, x.intervalMs, x.p50Ms, x.p99Ms, x.maxMs, x.elu);
    }
  }

  /** Zero-lag samples from the cursor up to `until`, one per interval (the remainder too if `all`). */
  private idle(c: LagCursor, until: number, elu: number, all: boolean): void {
    while (c.synthesizedTo + (all ? 1 : this.intervalMs) <= until) {
      const interval = Math.min(this.intervalMs, until - c.synthesizedTo);
      c.synthesizedTo += interval;
      this.push(c, c.synthesizedTo, interval, 0, 0, 0, elu);
    }
  }

  private push(c: LagCursor, atHr: number, intervalMs: number, p50: number, p99: number, max: number, elu: number): void {
    this.out.push({
      pid: process.pid,
      threadId: c.threadId,
      atMs: round2(atHr + this.epochOffset),
      intervalMs: round2(intervalMs),
      p50Ms: round2(p50),
      p99Ms: round2(p99),
      maxMs: round2(max),
      elu: Math.round(elu * 1000) / 1000,
    });
  }
}

/** Paused time inside [fromHr, toHr]; an open pause lasts to `toHr`. */
function pausedWithin(pauses: readonly PausedSpan[], fromHr: number, toHr: number): number {
  let ms = 0;
  for (const p of pauses) ms += Math.max(0, Math.min(p.endHr ?? toHr, toHr) - Math.max(p.startHr, fromHr));
  return ms;
}
