/**
 * The probed thread's side of its heartbeat buffer (heartbeatLayout.ts): its beats, the gap, lag and
 * GC rings, its parking, its exit; and the watchdog's requests it reads (threshold and period, stop,
 * parking allowed, GC recording). Plain writes first, then the ring's counter with an SC store,
 * which publishes them.
 */
import {
  F_BEAT,
  F_HEARTBEAT,
  F_IDLE,
  F_INSPECTOR,
  F_PARKED_AT,
  F_THRESHOLD,
  F_UNPARKED_AT,
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
  I_WAKE,
  LAG_BASE,
  LAG_SLOTS,
  LAG_STRIDE,
  SAB_BYTES,
  views,
  type GapRecord,
  type HeartbeatViews,
  type LagRecord,
} from './heartbeatLayout';

export class HeartbeatWriter {
  readonly sab: SharedArrayBuffer;
  /** For the request log and request context, which read a slot or two of it (requestLog.ts, requestContext.ts). */
  readonly views: HeartbeatViews;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;

  constructor(sab = new SharedArrayBuffer(SAB_BYTES)) {
    this.sab = sab;
    this.views = views(sab);
    this.f64 = this.views.f64;
    this.i32 = this.views.i32;
  }

  /** hr ms of the latest beat. */
  get beat(): number {
    return this.f64[F_BEAT];
  }

  /** libuv's cumulative idle ms at the latest beat. */
  get idle(): number {
    return this.f64[F_IDLE];
  }

  stamp(beatHr: number, idleMs: number): void {
    this.f64[F_IDLE] = idleMs;
    this.f64[F_BEAT] = beatHr;
  }

  get thresholdMs(): number {
    return this.f64[F_THRESHOLD];
  }

  /** The period the beats should have (the watchdog changes it with the threshold). */
  get periodMs(): number {
    return this.f64[F_HEARTBEAT];
  }

  configure(thresholdMs: number, periodMs: number): void {
    this.f64[F_THRESHOLD] = thresholdMs;
    this.f64[F_HEARTBEAT] = periodMs;
  }

  get inspectorOpen(): boolean {
    return this.f64[F_INSPECTOR] === 1;
  }

  set inspectorOpen(open: boolean) {
    this.f64[F_INSPECTOR] = open ? 1 : 0;
  }

  get stopRequested(): boolean {
    return Atomics.load(this.i32, I_STOP) === 1;
  }

  get parkAllowed(): boolean {
    return Atomics.load(this.i32, I_PARK_OK) === 1;
  }

  get gcWatchRequested(): boolean {
    return Atomics.load(this.i32, I_GC_WATCH) === 1;
  }

  /** GC pauses are recorded from now on (set by the thread itself when it starts recording). */
  gcWatched(): void {
    Atomics.store(this.i32, I_GC_WATCH, 1);
  }

  get parked(): boolean {
    return Atomics.load(this.i32, I_PARKED) === 1;
  }

  /** The timer stopped; `sinceHr`: where the idle span the watchdog fills with zero lag begins. */
  park(sinceHr: number): void {
    this.f64[F_PARKED_AT] = sinceHr;
    Atomics.store(this.i32, I_PARKED, 1);
  }

  unparked(atHr: number): void {
    this.f64[F_UNPARKED_AT] = atHr;
    Atomics.store(this.i32, I_PARKED, 0);
  }

  writeGap(g: GapRecord): void {
    const n = Atomics.load(this.i32, I_GAPS);
    const at = GAP_BASE + (n % GAP_SLOTS) * GAP_STRIDE;
    this.f64[at] = g.prevBeat;
    this.f64[at + 1] = g.endBeat;
    this.f64[at + 2] = g.activeMs;
    Atomics.store(this.i32, I_GAPS, n + 1);
  }

  writeLag(r: LagRecord): void {
    const n = Atomics.load(this.i32, I_LAGS);
    const at = LAG_BASE + (n % LAG_SLOTS) * LAG_STRIDE;
    const f = this.f64;
    f[at] = r.atHr;
    f[at + 1] = r.intervalMs;
    f[at + 2] = r.p50Ms;
    f[at + 3] = r.p99Ms;
    f[at + 4] = r.maxMs;
    f[at + 5] = r.elu;
    Atomics.store(this.i32, I_LAGS, n + 1);
  }

  writeGc(startHr: number, durationMs: number): void {
    const n = Atomics.load(this.i32, I_GCS);
    const at = GC_BASE + (n % GC_SLOTS) * GC_STRIDE;
    this.f64[at] = startHr;
    this.f64[at + 1] = durationMs;
    Atomics.store(this.i32, I_GCS, n + 1);
  }

  /** The thread exits: the watchdog must not take its silent heartbeat for a stall (and may be woken for it). */
  exit(): void {
    Atomics.store(this.i32, I_EXIT, 1);
    Atomics.notify(this.i32, I_EXIT);
    Atomics.notify(this.i32, I_WAKE);
  }

  /** After exit(): waits (bounded) for a watchdog that holds a session on this thread to finish its exit work. */
  waitForWatchdog(maxMs: number): void {
    if (Atomics.load(this.i32, I_SESSION) === 1) Atomics.wait(this.i32, I_ACK, 0, maxMs);
  }

  /** Wakes a dozing watchdog (main thread's buffer): a message or a new thread is waiting for it. */
  wake(): void {
    Atomics.notify(this.i32, I_WAKE);
  }
}
