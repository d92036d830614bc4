/**
 * The probe's entry point, injected with `NODE_OPTIONS=--require "<abs>/dist/probe.js"`. The same
 * file is also the watchdog worker's script. Nothing here may throw into the user's program.
 *
 *   watchdog thread (our own worker, marked by workerData)  -> runWatchdog
 *   main thread of a probed process                          -> startMainProbe
 *   a user's worker thread                                   -> startThreadProbe
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { claimLoad, isHelperProcess } from './bootstrap';
import { WATCHDOG_MARKER, startMainProbe } from './mainProbe';
import { readOptions } from './options';
import { startThreadProbe } from './threadProbe';
import type * as WatchdogModule from './watchdog';

function boot(): void {
  const watchdog = !isMainThread && workerData && typeof workerData === 'object' ? (workerData as Record<string, unknown>)[WATCHDOG_MARKER] : undefined;
  if (!claimLoad()) return;
  if (watchdog) {
    // Required lazily: the websocket client, source maps and inspector code are the watchdog's alone,
    // so the user's threads never even initialise them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./watchdog') as typeof WatchdogModule).runWatchdog(watchdog as WatchdogModule.WatchdogData);
    return;
  }
  if (isHelperProcess(process.argv)) return;
  const options = readOptions();
  if (!options.url) return; // nowhere to report: the probe does nothing at all
  if (isMainThread) startMainProbe(options, __filename);
  else startThreadProbe(options);
}

try {
  boot();
} catch {
  // The user's program comes first: a probe that cannot start stays out of the way.
}
