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
 * The buffer's layout is heartbeatLayout.ts; this thread writes it through a HeartbeatWriter.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { hrMs } from './clock';
import { PARKED_SPAN, type GapRecord } from './heartbeatLayout';
import { HeartbeatWriter } from './heartbeatWriter';

/** This thread's GC observer, once started (module state is per thread). */
let gcObserver: PerformanceObserver | undefined;

/**
 * Records garbage-collection pauses of this thread (>= 2 ms) into the GC ring, from now on (once per
 * thread; never throws: GC attribution is a nicety). The observer's entries arrive after the fact (the
 * loop must turn first), so the watchdog re-checks a stall it already reported when new GC records
 * appear. On demand only: a 'gc' PerformanceObserver makes Node create an entry per collection, which
 * costs CPU per request and doubles V8's young generation (CHANGELOG). The watchdog asks for it
 * (HeartbeatReader.watchGc) after a stall no look explained.
 */
export function observeGc(hb: HeartbeatWriter, epochOffset: number): void {
  if (gcObserver) return;
  hb.gcWatched();
  // entry.startTime is on this thread's performance clock; hr = epoch - offset.
  const toHr = performance.timeOrigin - epochOffset;
  const obs = new PerformanceObserver((list) => {
    try {
      for (const e of list.getEntries()) if (e.duration >= 2) hb.writeGc(e.startTime + toHr, e.duration);
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
  readonly writer: HeartbeatWriter;
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
  /** Called from a beat once the watchdog asks for GC pauses to be recorded. */
  onGcWatch?: () => void;
}

/** Fully idle beats in a row (100 ms) before the heartbeat parks (when the watchdog allows it). */
const PARK_AFTER_BEATS = 10;
/** A turn of a parked loop busy this long resumes the heartbeat (GC idle tasks, a timer's tick stay under it). */
const TURN_BUSY_MS = 1;

export function startHeartbeat(o: HeartbeatOptions): Heartbeat {
  const hb = new HeartbeatWriter();
  hb.configure(o.thresholdMs, o.heartbeatMs);
  let lastBeat = hrMs();
  let lastIdle = idleMs();
  hb.stamp(lastBeat, lastIdle);
  if (o.inspectorOpen) hb.inspectorOpen = o.inspectorOpen();

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
    const elu = span > 0 ? Math.min(1, Math.max(0, 1 - idleSpan / span)) : 0;
    hb.writeLag({ atHr: now, intervalMs: span, p50Ms: p50, p99Ms: p99, maxMs: max, elu });
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
    if (gap > hb.thresholdMs) {
      const g: GapRecord = { prevBeat: lastBeat, endBeat: now, activeMs: Math.max(0, gap - (idle - lastIdle)) };
      hb.writeGap(g);
      o.onGap?.(g);
    }
    if (timed) {
      if (nDelays < delays.length) delays[nDelays++] = Math.max(0, now - lastTick - period);
      lastTick = now;
    }
    idleBeats = timed && idle - lastIdle >= 0.97 * gap ? idleBeats + 1 : 0;
    lastBeat = now;
    lastIdle = idle;
    hb.stamp(now, idle);
    if (nDelays > 0 && now - lagStart >= o.lagIntervalMs) closeLagInterval(now, idle);
    if (o.inspectorOpen && ++beats % Math.max(1, Math.round(1000 / period)) === 0) hb.inspectorOpen = o.inspectorOpen();
    if (!gcObserver && o.onGcWatch && hb.gcWatchRequested) o.onGcWatch();
    if (hb.stopRequested) {
      stopped = true;
      disarm();
      return;
    }
    if (!timed) return;
    if (hb.periodMs !== period) {
      period = hb.periodMs; // the host changed the threshold
      disarm();
      arm();
    } else if (idleBeats >= PARK_AFTER_BEATS && hb.parkAllowed && !hb.inspectorOpen) {
      park();
    }
  };

  /**
   * Parking: a loop idle for several beats stops its timer, so an idle program is not woken 100
   * times a second (each timer wake costs CPU; at 100 Hz that adds up to a visible share of a
   * core). Only when the watchdog can see this thread sit in its event loop by other means
   * (parkAllowed, where /proc says in which call it sleeps); the thread or the watchdog resumes the
   * heartbeat as soon as the thread is busy again.
   */
  const park = (): void => {
    disarm();
    // The open lag interval is idle beats only: the watchdog's zero samples take over from its start.
    nDelays = 0;
    hb.park(lagStart);
    armTurnHook();
  };

  /**
   * While parked, a beat at each loop turn that something else woke (an interval, a socket), from
   * an unref'd immediate: it wakes nothing itself (it runs beside a 100 ms interval, never in a
   * loop that sleeps). Without it, a block that starts from idle would count every small task
   * since the heartbeat parked (a 20 ms interval's 0.1 ms ticks add up over seconds). A turn busy
   * for TURN_BUSY_MS or more unparks: the loop is active again (or it was blocked, and the
   * unpark's beat records that gap).
   */
  const onTurn = (): void => {
    turnHook = undefined;
    try {
      if (stopped || !hb.parked) return;
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
      if (!hb.parked || stopped) return;
      beat(false);
      const now = hb.beat;
      // The parked span goes into the lag ring as one record (marked by p50 = PARKED_SPAN): no delay
      // was measured, the loop was idle; the watchdog cuts it into the series' 100 ms samples.
      writeLag(now, hb.idle, PARKED_SPAN, 0, 0);
      idleBeats = 0;
      hb.unparked(now);
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
    sab: hb.sab,
    writer: hb,
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
