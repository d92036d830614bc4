/**
 * The probe's entry point, injected with `NODE_OPTIONS=--require "<abs>/dist/probe.js"`. The same
 * file is also the watchdog worker's script. Nothing here may throw into the user's program.
 *
 *   watchdog thread (our own worker, marked by workerData)  -> runWatchdog
 *   main thread of a probed process                          -> startMainProbe
 *   a user's worker thread                                   -> startThreadProbe
 */
import { getEnvironmentData, isMainThread, workerData } from 'node:worker_threads';
import { claimLoad, isHelperProcess } from './bootstrap';
import { startMainProbe } from './mainProbe';
import { OPTIONS_ENV_DATA, readOptions, type ResolvedOptions } from './options';
import { startThreadProbe } from './threadProbe';
import type * as WatchdogModule from './watchdog';
import { WATCHDOG_MARKER, type WatchdogData } from './watchdogSpawn';

function boot(): void {
  const watchdog = !isMainThread && workerData && typeof workerData === 'object' ? (workerData as Record<string, unknown>)[WATCHDOG_MARKER] : undefined;
  if (!claimLoad()) return;
  if (watchdog) {
    // Required lazily: the websocket client, source maps and inspector code are the watchdog's alone,
    // so the user's threads never even initialise them.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('./watchdog') as typeof WatchdogModule).runWatchdog(watchdog as WatchdogData);
    return;
  }
  if (isHelperProcess(process.argv)) return;
  if (isMainThread) {
    const options = readOptions();
    if (!options.url) return; // nowhere to report: the probe does nothing at all
    startMainProbe(options, __filename);
    return;
  }
  // A user's worker: the main thread's probe handed its options down through the environment data
  // every new worker inherits (a worker created with its own `env` would not see STALLSCOPE_OPTIONS).
  const options = (getEnvironmentData(OPTIONS_ENV_DATA) as ResolvedOptions | undefined) ?? readOptions();
  if (options.url) startThreadProbe(options);
}

try {
  boot();
} catch {
  // The user's program comes first: a probe that cannot start stays out of the way.
}
