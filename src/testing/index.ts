/**
 * `stallscope/testing` (dist/testing.js): assertions about the event loop for test suites.
 *
 *   const { measureStalls } = require('stallscope/testing');
 *   const stalls = await measureStalls(() => handler(req), { thresholdMs: 20 });
 *   assert.deepEqual(stalls, []);   // this handler never blocks the loop for 20 ms or more
 *
 * The same file is the watchdog thread's script: started with the marker in its workerData, it runs
 * the probe's watchdog, in process.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import type { Stall } from '../shared/protocol/model';
import { DEFAULT_THRESHOLD_MS } from '../shared/protocol/options';
import { runWatchdog } from '../probe/watchdog';
import type { WatchdogData } from '../probe/watchdogSpawn';
import { StallMonitor, TESTING_MARKER } from './stallMonitor';

export type { Stall };

export interface MeasureOptions {
  /** A block of at least this many milliseconds is a stall (10 to 60000; default 50). */
  thresholdMs?: number;
}

/**
 * Runs `fn` (and awaits what it returns) and resolves to the stalls it caused in this process: each
 * with its duration, culprit line, stack, handler and cause, in start order. An error thrown by `fn`
 * is thrown again, after the measurement ended.
 *
 * The measurement covers this thread's event loop from the call until `fn` settled; a stall of
 * other code running meanwhile (a timer of another test) counts too. Calls do not nest.
 */
export async function measureStalls(fn: () => unknown, options: MeasureOptions = {}): Promise<Stall[]> {
  if (typeof fn !== 'function') throw new TypeError('measureStalls(fn): fn must be a function');
  const thresholdMs = options.thresholdMs ?? DEFAULT_THRESHOLD_MS;
  if (typeof thresholdMs !== 'number' || !(thresholdMs >= 10 && thresholdMs <= 60_000)) {
    throw new RangeError(`measureStalls: thresholdMs must be a number of milliseconds from 10 to 60000, got ${String(options.thresholdMs)}`);
  }
  const monitor = await StallMonitor.get(__filename);
  if (!monitor.available) throw new Error('measureStalls: the probe thread could not start here (are worker threads allowed?)');
  await monitor.configure(thresholdMs);
  const fromMs = performance.timeOrigin + performance.now();
  let failed: { error: unknown } | undefined;
  try {
    await fn();
  } catch (error) {
    failed = { error };
  }
  const toMs = performance.timeOrigin + performance.now();
  await monitor.flush();
  if (failed) throw failed.error;
  return monitor.stallsBetween(fromMs, toMs).filter((s) => s.durationMs >= thresholdMs);
}

const role = !isMainThread && workerData && typeof workerData === 'object' ? (workerData as Record<string, unknown>)[TESTING_MARKER] : undefined;
if (role) runWatchdog(role as WatchdogData);
