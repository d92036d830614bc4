/**
 * The probe in a user's worker thread: heartbeat and snapshot function like the main thread, but no
 * watchdog of its own. Its heartbeat is handed to the process's watchdog (see threads.ts), which
 * captures this thread's stack through the main session's NodeWorker domain.
 */
import { threadId } from 'node:worker_threads';
import { measureEpochOffset } from './clock';
import { observeGc, startHeartbeat, type Heartbeat } from './heartbeat';
import type { ResolvedOptions } from './options';
import { installRequestContext } from './requestContext';
import { installSnapshot } from './snapshot';
import { announceThread } from './threads';

export function startThreadProbe(o: ResolvedOptions): void {
  const epochOffset = measureEpochOffset();
  const hb: Heartbeat = startHeartbeat({
    heartbeatMs: o.heartbeatMs,
    thresholdMs: o.thresholdMs,
    lagIntervalMs: o.lagIntervalMs,
    onGcWatch: () => observeGc(hb.writer, epochOffset),
  });
  installSnapshot(hb.writer, { wrapNativeCalls: true });
  if (o.gc === 'always') observeGc(hb.writer, epochOffset);
  const post = announceThread(threadId, hb.sab);
  installRequestContext({ onListening: (server) => post({ type: 'listening', server }) }, o.requestContext, hb.writer.views.i32);
  process.on('exit', () => {
    try {
      hb.finalBeat();
      // The watchdog must not take a finished thread's silent heartbeat for a stall.
      hb.writer.exit();
    } catch {
      // ignore
    }
  });
}
