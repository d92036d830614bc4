/**
 * The probe on a process's main thread: heartbeat, request context, snapshot function, and the
 * watchdog worker that does everything else. The main thread's own cost is one 10 ms timer
 * (heartbeat + lag), an emit wrapper per HTTP request, and nothing at all while nothing stalls.
 *
 * When no worker may be started (the permission model without --allow-worker), the probe falls
 * back to lag-only mode on this thread: lag, and stalls with exact durations reported after they
 * end, without stacks.
 */
import type * as InspectorModule from 'node:inspector';
import { setEnvironmentData, type Worker } from 'node:worker_threads';
import { hrMs, measureEpochOffset } from './clock';
import { observeGc, startHeartbeat, type Heartbeat } from './heartbeat';
import type { GapRecord } from './heartbeatLayout';
import type * as LagOnlyModule from './lagOnly';
import type { GapHook } from './lagOnly';
import { OPTIONS_ENV_DATA, type ResolvedOptions } from './options';
import { installRequestContext } from './requestContext';
import { RequestLog } from './requestLog';
import { installSnapshot } from './snapshot';
import { WAKE_ENV_DATA } from './threads';
import { WATCHDOG_MARKER, WATCHDOG_THREAD_NAME, isWatchdogToParent, prepareWatchdog, spawnWatchdog, type MainToWatchdog, type WatchdogData } from './watchdogSpawn';

/** The longest a stall's victims are waited for (the backlog it left being read). */
const VICTIMS_WAIT_MS = 200;
/** The longest the main thread's exit waits for the watchdog's last flush. Typically ~1 ms. */
const EXIT_WAIT_MS = 250;

export function startMainProbe(o: ResolvedOptions, probeFile: string): void {
  const epochOffset = measureEpochOffset();
  try {
    setEnvironmentData(OPTIONS_ENV_DATA, o);
  } catch {
    // workers then read the env var, as they inherit it by default
  }
  let inspector: typeof InspectorModule | undefined;
  let noInspector: string | undefined;
  try {
    // Lazily: a Node built without the inspector throws on require.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    inspector = require('node:inspector') as typeof InspectorModule;
    if (!process.features.inspector) noInspector = 'this Node.js has no inspector';
  } catch (e) {
    noInspector = `the inspector is unavailable (${(e as Error).message})`;
  }
  const gapHook: GapHook = {};
  const hb: Heartbeat = startHeartbeat({
    heartbeatMs: o.heartbeatMs,
    thresholdMs: o.thresholdMs,
    lagIntervalMs: o.lagIntervalMs,
    inspectorOpen: inspector && !noInspector ? () => inspector.url() !== undefined : undefined,
    onGcWatch: () => observeGc(hb.writer, epochOffset),
    onGap: (g) => {
      gapHook.onGap?.(g);
      collectVictims(g);
    },
  });
  const queued: MainToWatchdog[] = [];
  let toWatchdog = (m: MainToWatchdog): void => void queued.push(m);
  try {
    setEnvironmentData(WAKE_ENV_DATA, hb.sab);
  } catch {
    // workers then register at the watchdog's next turn (within half a second)
  }
  // Read by collectVictims, which the heartbeat calls only from its first beat on (a timer, later).
  const requests = new RequestLog(hb.writer.views);
  installRequestContext(
    {
      onListening: (server, srv) => {
        requests.addServer(srv);
        toWatchdog({ type: 'listening', server });
      },
      onRequest: (res) => {
        // A request to an idle (parked) server resumes the heartbeat at once, before its handler runs.
        if (hb.writer.parked) hb.unpark();
        requests.note(res);
      },
    },
    o.requestContext,
    hb.writer.views.i32,
  );
  installSnapshot(hb.writer, { onBlocked: (beat, request) => requests.markBlocked(beat, request), wrapNativeCalls: true });
  /**
   * After a stall, once the requests that queued up behind it have been read: who it held up. The
   * backlog is read over several loop turns (a queued connection is accepted in one turn and read in
   * a later one), so this waits until the loop has been idle again (libuv's idle time moves: its
   * poll found nothing left), looking every millisecond, for at most VICTIMS_WAIT_MS.
   */
  function collectVictims(g: GapRecord): void {
    if (g.activeMs < hb.writer.thresholdMs) return void requests.discard(g.prevBeat);
    requests.ensureOpen(g.prevBeat);
    const until = hrMs() + VICTIMS_WAIT_MS;
    let idle = performance.eventLoopUtilization().idle;
    const drained = (): void => {
      const now = performance.eventLoopUtilization().idle;
      const wasIdle = now - idle > 0.3;
      idle = now;
      if (!wasIdle && hrMs() < until) return void setTimeout(drained, 1).unref();
      try {
        const told = requests.victims(g.prevBeat, g.endBeat - g.activeMs, g.activeMs);
        if (!told.victims.length) return;
        if (gapHook.onVictims) gapHook.onVictims(g.prevBeat, told);
        else toWatchdog({ type: 'victims', prevBeat: g.prevBeat, victims: told.victims, backToBack: told.backToBack });
      } catch {
        // victims are a nicety; the stall itself is reported regardless
      }
    };
    setTimeout(drained, 1).unref();
  }
  const data: WatchdogData = {
    ...prepareWatchdog(hb, epochOffset, o, probeFile),
    ...(noInspector ? { lagOnlyReason: `Stallscope: ${noInspector}; stacks are not captured (lag and stall durations only).` } : {}),
  };
  let worker: Worker;
  try {
    worker = spawnWatchdog(probeFile, WATCHDOG_MARKER, data, WATCHDOG_THREAD_NAME);
  } catch (e) {
    // Typically the permission model: no workers. Lag-only, from this thread.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./lagOnly') as typeof LagOnlyModule).startLagOnly(o, hb, gapHook, data, `Stallscope: cannot start its watchdog thread (${(e as Error).message}); lag-only mode, no stacks.`);
    return;
  }
  let alive = true;
  worker.on('error', () => {
    alive = false;
    hb.stop();
  });
  worker.on('exit', () => {
    alive = false;
  });
  // The watchdog saw this thread busy while its heartbeat was parked.
  worker.on('message', (m: unknown) => {
    if (isWatchdogToParent(m) && m.type === 'unpark') hb.unpark();
  });
  worker.unref();
  toWatchdog = (m) => {
    try {
      worker.postMessage(m);
      hb.writer.wake();
    } catch {
      // the watchdog is gone
    }
  };
  for (const m of queued.splice(0)) toWatchdog(m);

  process.on('exit', () => {
    try {
      // A stall that ends in process.exit() still gets its exact end.
      hb.finalBeat();
      hb.writer.exit();
      // Wait only for a live watchdog that holds a session or a host connection; it answers in ~1 ms
      // (and disconnecting its session keeps Node from printing "Waiting for the debugger to disconnect").
      if (alive) hb.writer.waitForWatchdog(EXIT_WAIT_MS);
    } catch {
      // never disturb the exit
    }
  });
}
