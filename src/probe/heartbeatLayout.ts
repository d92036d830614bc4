/**
 * The heartbeat's shared buffer: one per probed thread, written by that thread's loop
 * (heartbeatWriter.ts) and read by the watchdog (heartbeatReader.ts); a few slots go the other
 * way (the watchdog's requests), as noted. Only those two classes index it.
 *
 * Float64 slots, then Int32 slots for Atomics. Three rings follow the fixed Float64 slots: the gaps
 * longer than the threshold, the lag samples, and the GC pauses; each has a monotonic counter
 * (an Int32 slot) that publishes a record once its plain writes are done.
 */
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

/** Marks a lag record that covers a parked span (in its p50 slot). */
export const PARKED_SPAN = -1;

export interface HeartbeatViews {
  f64: Float64Array;
  i32: Int32Array;
}

export function views(sab: SharedArrayBuffer): HeartbeatViews {
  return { f64: new Float64Array(sab, 0, F64_LEN), i32: new Int32Array(sab, F64_LEN * 8, I32_LEN) };
}

/** A beat that closed a gap longer than the threshold: how long the loop was busy in it. */
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
