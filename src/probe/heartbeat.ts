/**
 * The heartbeat: each probed thread stamps a SharedArrayBuffer from an unref'd timer, and the
 * watchdog thread reads it. A stamp that stops advancing is a blocked loop, seen while it is still
 * blocked.
 *
 * Exact duration. A heartbeat gap alone over-states a stall by up to one heartbeat (the loop sat
 * idle in epoll for part of the gap before the blocking task began). So each beat also records
 * libuv's cumulative idle time (`performance.eventLoopUtilization().idle`); when a gap exceeds the
 * threshold, the blocked time is the gap minus the idle time inside it, and that record is written
 * to a small ring for the watchdog to read when the stall ends.
 *
 * Loop lag. The same beats double as the lag sampler (each beat's delay past its due time, which is
 * what monitorEventLoopDelay measures with a second 100 Hz timer): per `lagIntervalMs` the beat
 * delays give p50/p99/max and the idle deltas give the utilisation. One timer instead of two.
 *
 * Layout (Float64 slots, then Int32 slots for Atomics). Writers: the probed thread, except where noted.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { hrMs } from './clock';

export const F_BEAT = 0; // hr ms of the latest beat
export const F_IDLE = 1; // cumulative libuv idle ms at the latest beat
export const F_THRESHOLD = 2; // written by the watchdog (host `configure`)
export const F_INSPECTOR = 3; // 1 while inspector.url() is set (main thread only)
export const F_HEARTBEAT = 4; // heartbeat period in ms
export const F_PARKED_AT = 5; // hr ms when the heartbeat last parked
export const F_UNPARKED_AT = 6; // hr ms when it last resumed
export const F_STALLED_BEAT = 7; // the beat a stall the watchdog sees began after; 0: none (set by the watchdog)
export const GAP_BASE = 8;
export const GAP_SLOTS = 8;
export const GAP_STRIDE = 3; // prevBeat, endBeat, activeMs
export const LAG_BASE = GAP_BASE + GAP_SLOTS * GAP_STRIDE;
export const LAG_SLOTS = 64;
export const LAG_STRIDE = 6; // atHr, intervalMs, p50, p99, max, elu
export const GC_BASE = LAG_BASE + LAG_SLOTS * LAG_STRIDE;
export const GC_SLOTS = 32;
export const GC_STRIDE = 2; // startHr, durationMs
const F64_LEN = GC_BASE + GC_SLOTS * GC_STRIDE;

export const I_GAPS = 0; // records written to the gap ring (monotonic)
export const I_LAGS = 1; // samples written to the lag ring (monotonic)
export const I_EXIT = 2; // the thread is exiting (set by it, in its 'exit' handler)
export const I_ACK = 3; // the watchdog finished its exit work (set by the watchdog)
export const I_SESSION = 4; // the watchdog holds an inspector session on this thread (set by the watchdog)
export const I_STOP = 5; // the watchdog gave up for good: stop beating (set by the watchdog)
export const I_GCS = 6; // records written to the GC ring (monotonic)
export const I_PARK_OK = 7; // the watchdog can see this thread idle without beats (set by the watchdog)
export const I_PARKED = 8; // the heartbeat is parked: the loop was idle, no timer is running
/** Never written, only notified (main thread's SAB): wakes a dozing watchdog for a message, a new thread, the exit. */
export const I_WAKE = 9;
export const I_TRACK = 10; // 1: carry HTTP requests across awaits from now on (set by the watchdog, see requestContext.ts)
export const I_GC_WATCH = 11; // 1: record GC pauses from now on (set by the watchdog; the thread's next beat starts it)
const I32_LEN = 12;

export const SAB_BYTES = F64_LEN * 8 + I32_LEN * 4;

export interface HeartbeatViews {
  f64: Float64Array;
  i32: Int32Array;
}

export function views(sab: SharedArrayBuffer): HeartbeatViews {
  return { f64: new Float64Array(sab, 0, F64_LEN), i32: new Int32Array(sab, F64_LEN * 8, I32_LEN) };
}

export interface GapRecord {
  prevBeat: number;
  endBeat: number;
  activeMs: number;
}

export interface LagRecord {
  atHr: number;
  intervalMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  elu: number;
}

/** The gap record that ended the stall which began after `prevBeat`, if still in the ring. */
export function findGap(v: HeartbeatViews, prevBeat: number): GapRecord | undefined {
  return gapsSince(v, prevBeat).find((g) => g.prevBeat === prevBeat);
}

/** The gap records still in the ring that began at or after `beat`, oldest first. */
export function gapsSince(v: HeartbeatViews, beat: number): GapRecord[] {
  const n = Atomics.load(v.i32, I_GAPS);
  const out: GapRecord[] = [];
  for (let k = Math.max(0, n - GAP_SLOTS); k < n; k++) {
    const at = GAP_BASE + (k % GAP_SLOTS) * GAP_STRIDE;
    if (v.f64[at] >= beat) out.push({ prevBeat: v.f64[at], endBeat: v.f64[at + 1], activeMs: v.f64[at + 2] });
  }
  return out;
}

/** Lag samples written since `seen` (a counter the reader keeps); returns the new counter. */
export function readLag(v: HeartbeatViews, seen: number, out: LagRecord[]): number {
  const n = Atomics.load(v.i32, I_LAGS);
  for (let k = Math.max(seen, n - LAG_SLOTS); k < n; k++) {
    const at = LAG_BASE + (k % LAG_SLOTS) * LAG_STRIDE;
    const f = v.f64;
    out.push({ atHr: f[at], intervalMs: f[at + 1], p50Ms: f[at + 2], p99Ms: f[at + 3], maxMs: f[at + 4], elu: f[at + 5] });
  }
  return n;
}

/** Total GC time inside [fromHr, toHr], from the GC ring. */
export function gcTimeWithin(v: HeartbeatViews, fromHr: number, toHr: number): number {
  const n = Atomics.load(v.i32, I_GCS);
  let total = 0;
  for (let k = Math.max(0, n - GC_SLOTS); k < n; k++) {
    const at = GC_BASE + (k % GC_SLOTS) * GC_STRIDE;
    const start = v.f64[at];
    const end = start + v.f64[at + 1];
    total += Math.max(0, Math.min(end, toHr) - Math.max(start, fromHr));
  }
  return total;
}

/** GC counter, to notice new GC records cheaply. */
export function gcCount(v: HeartbeatViews): number {
  return Atomics.load(v.i32, I_GCS);
}

/** This thread's GC observer, once started (module state is per thread). */
let gcObserver: PerformanceObserver | undefined;

/**
 * Records garbage-collection pauses of this thread (>= 2 ms) into the GC ring, from now on (once per
 * thread; never throws: GC attribution is a nicety). The observer's entries arrive after the fact (the
 * loop must turn first), so the watchdog re-checks a stall it already reported when new GC records
 * appear. On demand only: a 'gc' PerformanceObserver makes Node create an entry per collection, and
 * measured on a hello-world server at 35k req/s that costs ~1 % CPU and doubles V8's young
 * generation (+17 MB RSS). The watchdog asks for it (I_GC_WATCH) after a stall no look explained.
 */
export function observeGc(v: HeartbeatViews, epochOffset: number): void {
  if (gcObserver) return;
  Atomics.store(v.i32, I_GC_WATCH, 1);
  // entry.startTime is on this thread's performance clock; hr = epoch - offset.
  const toHr = performance.timeOrigin - epochOffset;
  const obs = new PerformanceObserver((list) => {
    try {
      for (const e of list.getEntries()) {
        if (e.duration < 2) continue;
        const n = Atomics.load(v.i32, I_GCS);
        const at = GC_BASE + (n % GC_SLOTS) * GC_STRIDE;
        v.f64[at] = e.startTime + toHr;
        v.f64[at + 1] = e.duration;
        Atomics.store(v.i32, I_GCS, n + 1);
      }
    } catch {
      // ignore
    }
  });
  try {
    obs.observe({ entryTypes: ['gc'] });
    gcObserver = obs;
  } catch {
    // without perf_hooks' gc entries, no stall is put down to GC
  }
}

function idleMs(): number {
  return performance.eventLoopUtilization().idle;
}

/** Quantile of the first `n` values of a scratch array (sorted in place; n is ~10). */
function quantile(a: Float64Array, n: number, q: number): number {
  const s = a.subarray(0, n).sort();
  return s[Math.min(n - 1, Math.floor(q * n))];
}

export interface Heartbeat {
  readonly sab: SharedArrayBuffer;
  readonly views: HeartbeatViews;
  /** Stamps one last beat (so a stall that ends in process.exit() gets its exact duration). */
  finalBeat(): void;
  /** The watchdog saw the thread busy while parked: beat again. */
  unpark(): void;
  stop(): void;
}

export interface HeartbeatOptions {
  heartbeatMs: number;
  thresholdMs: number;
  lagIntervalMs: number;
  /** Called on each beat that closes a gap longer than the threshold (lag-only mode reports stalls from it). */
  onGap?: (g: GapRecord) => void;
  /** Main thread only: publish inspector.url() state now and then. */
  inspectorOpen?: () => boolean;
  /** Called from a beat once the watchdog asks for GC pauses to be recorded (I_GC_WATCH). */
  onGcWatch?: () => void;
}

/** Fully idle beats in a row (100 ms) before the heartbeat parks (when the watchdog allows it). */
const PARK_AFTER_BEATS = 10;
/** A turn of a parked loop busy this long resumes the heartbeat (GC idle tasks, a timer's tick stay under it). */
const TURN_BUSY_MS = 1;
/** Marks a lag record that covers a parked span. */
export const PARKED_SPAN = -1;

export function startHeartbeat(o: HeartbeatOptions): Heartbeat {
  const sab = new SharedArrayBuffer(SAB_BYTES);
  const v = views(sab);
  const f = v.f64;
  f[F_THRESHOLD] = o.thresholdMs;
  f[F_HEARTBEAT] = o.heartbeatMs;
  let lastBeat = hrMs();
  let lastIdle = idleMs();
  f[F_BEAT] = lastBeat;
  f[F_IDLE] = lastIdle;
  if (o.inspectorOpen) f[F_INSPECTOR] = o.inspectorOpen() ? 1 : 0;

  const delays = new Float64Array(Math.ceil(10_000 / Math.min(o.heartbeatMs, 2)) + 16);
  let nDelays = 0;
  let lagStart = lastBeat;
  // The interval's last tick (or its start): its next tick is due a period later, so this, not the
  // last beat of any kind, is what a tick's lateness is measured from.
  let lastTick = lastBeat;
  let lagStartIdle = lastIdle;
  let beats = 0;
  let idleBeats = 0;
  let period = o.heartbeatMs;
  let timer: NodeJS.Timeout | undefined;
  let turnHook: NodeJS.Immediate | undefined;
  let stopped = false;

  const writeLag = (now: number, idle: number, p50: number, p99: number, max: number): void => {
    const span = now - lagStart;
    const idleSpan = idle - lagStartIdle;
    const n = Atomics.load(v.i32, I_LAGS);
    const at = LAG_BASE + (n % LAG_SLOTS) * LAG_STRIDE;
    f[at] = now;
    f[at + 1] = span;
    f[at + 2] = p50;
    f[at + 3] = p99;
    f[at + 4] = max;
    f[at + 5] = span > 0 ? Math.min(1, Math.max(0, 1 - idleSpan / span)) : 0;
    Atomics.store(v.i32, I_LAGS, n + 1);
    nDelays = 0;
    lagStart = now;
    lagStartIdle = idle;
  };
  const closeLagInterval = (now: number, idle: number): void => {
    const p99 = quantile(delays, nDelays, 0.99);
    writeLag(now, idle, quantile(delays, nDelays, 0.5), p99, delays[nDelays - 1]); // sorted: the last is the max
  };

  /** `timed`: called by the timer (its delay is loop lag); else by an unpark or the exit. */
  const beat = (timed: boolean): void => {
    const now = hrMs();
    const idle = idleMs();
    const gap = now - lastBeat;
    if (gap > f[F_THRESHOLD]) {
      const g: GapRecord = { prevBeat: lastBeat, endBeat: now, activeMs: Math.max(0, gap - (idle - lastIdle)) };
      const n = Atomics.load(v.i32, I_GAPS);
      const at = GAP_BASE + (n % GAP_SLOTS) * GAP_STRIDE;
      f[at] = g.prevBeat;
      f[at + 1] = g.endBeat;
      f[at + 2] = g.activeMs;
      Atomics.store(v.i32, I_GAPS, n + 1); // publishes the record (SC store orders the plain writes before it)
      o.onGap?.(g);
    }
    if (timed) {
      if (nDelays < delays.length) delays[nDelays++] = Math.max(0, now - lastTick - period);
      lastTick = now;
    }
    idleBeats = timed && idle - lastIdle >= 0.97 * gap ? idleBeats + 1 : 0;
    lastBeat = now;
    lastIdle = idle;
    f[F_IDLE] = idle;
    f[F_BEAT] = now;
    if (nDelays > 0 && now - lagStart >= o.lagIntervalMs) closeLagInterval(now, idle);
    if (o.inspectorOpen && ++beats % Math.max(1, Math.round(1000 / period)) === 0) f[F_INSPECTOR] = o.inspectorOpen() ? 1 : 0;
    if (!gcObserver && o.onGcWatch && Atomics.load(v.i32, I_GC_WATCH) === 1) o.onGcWatch();
    if (Atomics.load(v.i32, I_STOP) === 1) {
      stopped = true;
      disarm();
      return;
    }
    if (!timed) return;
    if (f[F_HEARTBEAT] !== period) {
      period = f[F_HEARTBEAT]; // the host changed the threshold
      disarm();
      arm();
    } else if (idleBeats >= PARK_AFTER_BEATS && Atomics.load(v.i32, I_PARK_OK) === 1 && f[F_INSPECTOR] !== 1) {
      park();
    }
  };

  /**
   * Parking: a loop idle for several beats stops its timer, so an idle program is not woken 100
   * times a second (a timer wake costs ~50-100 µs of CPU on a small VM: 100 Hz alone would be ~1 %
   * of a core). Only when the watchdog can see this thread sit in its event loop by other means
   * (I_PARK_OK, where /proc says in which call it sleeps); the thread or the watchdog resumes the
   * heartbeat as soon as the thread is busy again.
   */
  const park = (): void => {
    disarm();
    // The open lag interval is idle beats only: the watchdog's zero samples take over from its start.
    f[F_PARKED_AT] = lagStart;
    nDelays = 0;
    Atomics.store(v.i32, I_PARKED, 1);
    armTurnHook();
  };

  /**
   * While parked, a beat at each loop turn that something else woke (an interval, a socket), from
   * an unref'd immediate: it wakes nothing itself (measured: 10 runs a second beside a 100 ms
   * interval, none in a loop that sleeps). Without it, a block that starts from idle would count
   * every small task since the heartbeat parked (a 20 ms interval ticking 0.1 ms: +14 ms measured
   * after 2.5 s). A turn busy for TURN_BUSY_MS or more unparks: the loop is active again (or it
   * was blocked, and the unpark's beat records that gap).
   */
  const onTurn = (): void => {
    turnHook = undefined;
    try {
      if (stopped || Atomics.load(v.i32, I_PARKED) !== 1) return;
      if (hrMs() - lastBeat - (idleMs() - lastIdle) >= TURN_BUSY_MS) return unpark();
      beat(false);
      armTurnHook();
    } catch {
      // never throw into the app's loop
    }
  };
  function armTurnHook(): void {
    if (turnHook || stopped) return;
    turnHook = setImmediate(onTurn);
    turnHook.unref();
  }

  /** Resumes the heartbeat: a request, a busy turn, or the watchdog saw the loop out of its sleep. */
  function unpark(): void {
    try {
      if (Atomics.load(v.i32, I_PARKED) !== 1 || stopped) return;
      beat(false);
      const now = f[F_BEAT];
      // The parked span goes into the lag ring as one record (marked by p50 = -1): no delay was
      // measured, the loop was idle; the watchdog cuts it into the series' 100 ms samples.
      writeLag(now, f[F_IDLE], PARKED_SPAN, 0, 0);
      idleBeats = 0;
      f[F_UNPARKED_AT] = now;
      Atomics.store(v.i32, I_PARKED, 0);
      arm();
      // Beat again once this turn's callbacks are done (the request that woke it): a block that
      // starts in a later turn (a timer it set, its await) then does not count the request's work.
      setImmediate(settle).unref();
    } catch {
      // never throw into the app's loop
    }
  }

  const settle = (): void => {
    try {
      if (!stopped) beat(false);
    } catch {
      // never throw into the app's loop
    }
  };
  const tick = (): void => {
    try {
      beat(true);
    } catch {
      // never throw into the app's loop
    }
  };
  function arm(): void {
    if (timer || stopped) return;
    lastTick = hrMs();
    timer = setInterval(tick, period);
    timer.unref();
  }
  function disarm(): void {
    if (timer) clearInterval(timer);
    timer = undefined;
  }
  arm();

  return {
    sab,
    views: v,
    finalBeat: () => {
      try {
        beat(false);
      } catch {
        // ignore
      }
    },
    unpark,
    stop: () => {
      stopped = true;
      disarm();
      if (turnHook) clearImmediate(turnHook);
    },
  };
}
