/**
 * The lag series the watchdog sends: the heartbeats' 100 ms samples, read from each thread's ring,
 * plus zero samples for spans when a thread's heartbeat was parked. A parked loop was idle (seen so
 * through /proc), so its lag was nil: the series goes on at its 10 Hz, zero samples up to now while
 * still parked, and once it resumed, the rest of the span from the heartbeat's own record of it
 * (which also knows the span's true utilisation).
 */
import type { LagSample } from '../shared/protocol';
import { round2 } from './clock';
import { F_PARKED_AT, I_PARKED, PARKED_SPAN, readLag, type HeartbeatViews, type LagRecord } from './heartbeat';

/** What the series remembers per thread. */
export interface LagCursor {
  threadId: number;
  v: HeartbeatViews;
  /** Ring records read so far. */
  seen: number;
  /** Zero samples synthesised up to here (hr ms). */
  synthesizedTo: number;
}

export class LagSeries {
  private out: LagSample[] = [];

  constructor(
    private readonly epochOffset: number,
    private readonly intervalMs: number,
  ) {}

  cursor(threadId: number, v: HeartbeatViews): LagCursor {
    return { threadId, v, seen: Atomics.load(v.i32, 1), synthesizedTo: 0 };
  }

  /** Collects what one thread has to say up to `now`. */
  collect(c: LagCursor, now: number): void {
    this.drain(c); // first: it closes spans that ended before the current one began
    if (Atomics.load(c.v.i32, I_PARKED) === 1) {
      const from = c.v.f64[F_PARKED_AT];
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
    c.seen = readLag(c.v, c.seen, recs);
    for (const r of recs) {
      if (r.p50Ms === PARKED_SPAN) {
        // A parked span that ended: its remainder after what was already synthesised.
        const start = r.atHr - r.intervalMs;
        if (c.synthesizedTo < start) c.synthesizedTo = start;
        this.idle(c, r.atHr, r.elu, true);
        continue;
      }
      this.push(c, r.atHr, r.intervalMs, r.p50Ms, r.p99Ms, r.maxMs, r.elu);
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
