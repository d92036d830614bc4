/**
 * Where the watchdog's messages go: the host's websocket (Transport), or in process
 * (`stallscope/testing`) the parent thread, which wants only the stalls.
 */
import { parentPort } from 'node:worker_threads';
import type { Transport } from './transport';
import type { WatchdogToParent } from './watchdogSpawn';

export type Sink = Pick<Transport, 'send' | 'start' | 'flush' | 'busy'>;

export function parentSink(): Sink {
  return {
    send: (m) => {
      if (m.type === 'stall') parentPort?.postMessage(m);
    },
    start: () => undefined,
    flush: () => Promise.resolve(),
    busy: false,
  };
}

/** The typed way to the parent thread (the probe's main thread, or the test's). */
export function toParent(m: WatchdogToParent): void {
  try {
    parentPort?.postMessage(m);
  } catch {
    // the parent is gone
  }
}
