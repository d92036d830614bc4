/**
 * The watchdog's side of a thread's heartbeat buffer (heartbeatLayout.ts): what the thread's loop
 * wrote (its last beat, whether it parked or exits, the gap, lag and GC rings) and the few requests
 * the watchdog writes back (threshold, stop, parking allowed, request tracking, GC recording).
 */
import {
  F_BEAT,
  F_HEARTBEAT,
  F_INSPECTOR,
  F_PARKED_AT,
  F_STALLED_BEAT,
  F_THRESHOLD,
  GAP_BASE,
  GAP_SLOTS,
  GAP_STRIDE,
  GC_BASE,
  GC_SLOTS,
  GC_STRIDE,
  I_ACK,
  I_EXIT,
  I_GAPS,
  I_GC_WATCH,
  I_GCS,
  I_LAGS,
  I_PARK_OK,
  I_PARKED,
  I_SESSION,
  I_STOP,
  I_TRACK,
  I_WAKE,
  LAG_BASE,
  LAG_SLOTS,
  LAG_STRIDE,
  views,
  type GapRecord,
  type HeartbeatViews,
  type LagRecord,
} from './heartbeatLayout';

type WaitAsync = (a: Int32Array, i: number, v: number) => { async: boolean; value: unknown };

export class HeartbeatReader {
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;

  constructor(sab: SharedArrayBuffer) {
    const v: HeartbeatViews = views(sab);
    this.f64 = v.f64;
    this.i32 = v.i32;
  }

  /** hr ms of the thread's latest beat. */
  get beat(): number {
    return this.f64[F_BEAT];
  }

  get periodMs(): number {
    return this.f64[F_HEARTBEAT];
  }

  /** The heartbeat stopped its timer: the loop was idle (see heartbeat.ts, park). */
  get parked(): boolean {
    return Atomics.load(this.i32, I_PARKED) === 1;
  }

  /** hr ms when the heartbeat last parked. */
  get parkedAt(): number {
    return this.f64[F_PARKED_AT];
  }

  get exiting(): boolean {
    return Atomics.load(this.i32, I_EXIT) === 1;
  }

  /** The main thread's inspector has a URL: a debugger may be attached. */
  get inspectorOpen(): boolean {
    return this.f64[F_INSPECTOR] === 1;
  }

  /** What counts as a stall, and the period that makes it visible (options.ts, heartbeatFor). */
  configure(thresholdMs: number, periodMs?: number): void {
    this.f64[F_THRESHOLD] = thresholdMs;
    if (periodMs !== undefined) this.f64[F_HEARTBEAT] = periodMs;
  }

  /** The stall that began after `beat` is on (0: none): the thread notes the requests queued behind it. */
  markStalled(beat: number): void {
    this.f64[F_STALLED_BEAT] = beat;
  }

  /** For good: the thread stops beating. */
  stop(): void {
    Atomics.store(this.i32, I_STOP, 1);
  }

  /** The watchdog can see the thread idle without its beats (/proc): it may park. */
  allowParking(): void {
    Atomics.store(this.i32, I_PARK_OK, 1);
  }

  /** Asks the thread to carry requests across awaits; false when it already does. */
  trackRequests(): boolean {
    if (Atomics.load(this.i32, I_TRACK) === 1) return false;
    Atomics.store(this.i32, I_TRACK, 1);
    return true;
  }

  /** Asks the thread to record its GC pauses; false when it already does. */
  watchGc(): boolean {
    if (Atomics.load(this.i32, I_GC_WATCH) === 1) return false;
    Atomics.store(this.i32, I_GC_WATCH, 1);
    return true;
  }

  // ── the main thread's exit handshake (its buffer only) ──

  /**
   * Dekker-style: the watchdog announces its session before it checks for an exit, so that either
   * it sees the exit or the exiting thread waits for its ack. Returns whether the thread exits already.
   */
  holdSession(): boolean {
    Atomics.store(this.i32, I_SESSION, 1);
    return this.exiting;
  }

  /** Done with the exit (or for good): the exiting thread may go on. */
  ack(): void {
    Atomics.store(this.i32, I_SESSION, 0);
    Atomics.store(this.i32, I_ACK, 1);
    Atomics.notify(this.i32, I_ACK);
  }

  /** Calls `then` once the thread signals its exit (at once if it did); false without Atomics.waitAsync (poll `exiting` then). */
  whenExiting(then: () => void): boolean {
    const w = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
    if (typeof w !== 'function') return false;
    const r = w(this.i32, I_EXIT, 0);
    if (r.async) (r.value as Promise<unknown>).then(then, () => undefined);
    else then();
    return true;
  }

  /** Sleeps up to `ms` unless woken (a message, a new thread, the exit): true when woken. */
  doze(ms: number): boolean {
    return Atomics.wait(this.i32, I_WAKE, 0, ms) !== 'timed-out';
  }

  // ── the rings ──

  /** The gap record that ended the stall which began after `prevBeat`, if still in the ring. */
  gapAfter(prevBeat: number): GapRecord | undefined {
    return this.gapsSince(prevBeat).find((g) => g.prevBeat === prevBeat);
  }

  /** The gap records still in the ring that began at or after `beat`, oldest first. */
  gapsSince(beat: number): GapRecord[] {
    const n = Atomics.load(this.i32, I_GAPS);
    const f = this.f64;
    const out: GapRecord[] = [];
    for (let k = Math.max(0, n - GAP_SLOTS); k < n; k++) {
      const at = GAP_BASE + (k % GAP_SLOTS) * GAP_STRIDE;
      if (f[at] >= beat) out.push({ prevBeat: f[at], endBeat: f[at + 1], activeMs: f[at + 2] });
    }
    return out;
  }

  /** Lag samples written so far (a counter to pass to readLag). */
  get lagCount(): number {
    return Atomics.load(this.i32, I_LAGS);
  }

  /** Lag samples written since `seen`, appended to `out`; returns the new counter. */
  readLag(seen: number, out: LagRecord[]): number {
    const n = Atomics.load(this.i32, I_LAGS);
    const f = this.f64;
    for (let k = Math.max(seen, n - LAG_SLOTS); k < n; k++) {
      const at = LAG_BASE + (k % LAG_SLOTS) * LAG_STRIDE;
      out.push({ atHr: f[at], intervalMs: f[at + 1], p50Ms: f[at + 2], p99Ms: f[at + 3], maxMs: f[at + 4], elu: f[at + 5] });
    }
    return n;
  }

  /** Total GC time inside [fromHr, toHr], from the GC ring. */
  gcTimeWithin(fromHr: number, toHr: number): number {
    const n = Atomics.load(this.i32, I_GCS);
    let total = 0;
    for (let k = Math.max(0, n - GC_SLOTS); k < n; k++) {
      const at = GC_BASE + (k % GC_SLOTS) * GC_STRIDE;
      const start = this.f64[at];
      const end = start + this.f64[at + 1];
      total += Math.max(0, Math.min(end, toHr) - Math.max(start, fromHr));
    }
    return total;
  }

  /** GC records written so far, to notice new ones cheaply. */
  get gcCount(): number {
    return Atomics.load(this.i32, I_GCS);
  }
}
