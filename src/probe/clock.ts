/**
 * One monotonic clock for every thread of the process. `process.hrtime` is CLOCK_MONOTONIC in the
 * main thread and in workers alike, so heartbeat stamps written by one thread can be compared by
 * another. Each thread reads it as `performance.now()` (the same clock, offset by the thread's
 * start) plus an offset measured once: no BigInt per read, which matters at 100 reads a second.
 * Epoch conversion uses one offset measured on the main thread and handed to the watchdog, so the
 * probe's times and the app's own `performance.timeOrigin + performance.now()` agree to µs.
 */
const hrOffset = Number(process.hrtime.bigint()) / 1e6 - performance.now();

export function hrMs(): number {
  return performance.now() + hrOffset;
}

/** epochMs = hrMs + offset. Measured where it is called (call it on the main thread). */
export function measureEpochOffset(): number {
  return performance.timeOrigin + performance.now() - hrMs();
}
