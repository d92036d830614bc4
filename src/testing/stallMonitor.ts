/**
 * The probe's detection and capture, in the current process, for test code: a heartbeat on this
 * thread and the probe's own watchdog thread, which posts its stalls back here instead of to a
 * host. One per process, started on first use; every timer and the thread are unref'd, so it never
 * keeps a test run alive. It has its own snapshot key, so it works beside a probe loaded through
 * NODE_OPTIONS (e.g. `stallscope run -- node --test`).
 */
import type { Worker } from 'node:worker_threads';
import type { Stall } from '../shared/protocol/model';
import { isStall } from '../shared/protocol/model';
import { measureEpochOffset } from '../probe/clock';
import { startHeartbeat, type Heartbeat } from '../probe/heartbeat';
import { clampThreshold, heartbeatFor, resolveOptions, type ResolvedOptions } from '../probe/options';
import { installSnapshot } from '../probe/snapshot';
import { isWatchdogToParent, prepareWatchdog, spawnWatchdog, type MainToWatchdog, type WatchdogData } from '../probe/watchdogSpawn';

export const TESTING_MARKER = 'stallscope.testing.watchdog.v1';
const SNAPSHOT_KEY = 'stallscope.testing.snapshot';
/** How long start-up (the thread and its inspector session) may take before measuring goes ahead without stacks. */
const READY_TIMEOUT_MS = 5000;
const FLUSH_TIMEOUT_MS = 5000;

export class StallMonitor {
  private static instance: Promise<StallMonitor> | undefined;
  private readonly stalls = new Map<string, Stall>();
  private readonly flushes = new Map<number, () => void>();
  private nextFlush = 1;
  private alive = true;
  private configured = false;

  private constructor(
    private readonly hb: Heartbeat,
    private readonly worker: Worker | undefined,
  ) {}

  /** The process's monitor, started once; `script` is the bundle the watchdog thread runs (dist/testing.js). */
  static get(script: string): Promise<StallMonitor> {
    StallMonitor.instance ??= StallMonitor.start(script);
    return StallMonitor.instance;
  }

  private static async start(script: string): Promise<StallMonitor> {
    // No url: nothing goes to a host. GC pauses recorded from the start: a measurement is short.
    const options: ResolvedOptions = { ...resolveOptions(undefined), gc: 'always' };
    const epochOffset = measureEpochOffset();
    const hb = startHeartbeat({ heartbeatMs: options.heartbeatMs, thresholdMs: options.thresholdMs, lagIntervalMs: options.lagIntervalMs });
    installSnapshot(hb.writer, { key: SNAPSHOT_KEY });
    const data: WatchdogData = { ...prepareWatchdog(hb, epochOffset, options, script), inProcess: { snapshotKey: SNAPSHOT_KEY } };
    let worker: Worker | undefined;
    try {
      worker = spawnWatchdog(script, TESTING_MARKER, data, 'Stallscope measureStalls (not your code)');
    } catch {
      worker = undefined; // no workers allowed (permission model): nothing can be measured from here
    }
    const monitor = new StallMonitor(hb, worker);
    if (!worker) return monitor;
    const ready = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, READY_TIMEOUT_MS);
      worker.on('message', (m: unknown) => {
        if (isStall((m as { stall?: unknown })?.stall)) monitor.onStall((m as { stall: Stall }).stall);
        if (!isWatchdogToParent(m)) return;
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'flushed') monitor.flushes.get(m.id)?.();
      });
      worker.on('error', () => {
        monitor.alive = false;
        resolve();
      });
      worker.on('exit', () => {
        monitor.alive = false;
        for (const done of monitor.flushes.values()) done();
        resolve();
      });
    });
    // Referenced while something waits for it (start-up here, flushes later), else unref'd: it never keeps a test run alive.
    await ready;
    worker.unref();
    return monitor;
  }

  get available(): boolean {
    return this.alive && this.worker !== undefined;
  }

  /**
   * What counts as a stall from now on (the probe's range, 10 ms at the least). Resolves once the
   * watchdog applied it: a block right after must be judged by the new threshold, not the old one.
   */
  async configure(thresholdMs: number): Promise<void> {
    const t = clampThreshold(thresholdMs);
    if (this.hb.writer.thresholdMs === t && this.configured) return;
    this.configured = true;
    this.hb.writer.configure(t, heartbeatFor(t));
    this.post({ type: 'configure', thresholdMs: t });
    await this.flush(); // a round trip: messages are handled in order
  }

  /**
   * Resolves once every stall that began so far has been reported in its final form: the loop has
   * turned (so the heartbeat recorded the end of a stall that just ended), then the watchdog looked
   * at the thread and finished what it was capturing.
   */
  async flush(): Promise<void> {
    if (!this.available) return;
    // Two heartbeats: a stall that ended just now has its closing beat recorded.
    await new Promise((r) => setTimeout(r, 2 * this.hb.writer.periodMs + 1));
    const id = this.nextFlush++;
    this.worker?.ref();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
      this.flushes.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      this.post({ type: 'flush', id });
    });
    this.flushes.delete(id);
    this.worker?.unref();
  }

  /**
   * Final stalls that overlap [fromMs, toMs] (epoch ms), in start order. Overlap, not start: a block
   * at the very start of the span is measured from when the loop left idle, a moment before it.
   */
  stallsBetween(fromMs: number, toMs: number): Stall[] {
    return [...this.stalls.values()]
      .filter((s) => !s.ongoing && s.startMs <= toMs && s.startMs + s.durationMs >= fromMs)
      .sort((a, b) => a.startMs - b.startMs);
  }

  private onStall(stall: Stall): void {
    this.stalls.set(stall.id, stall);
    // A long test run must not grow this without bound: keep the latest thousand.
    if (this.stalls.size > 1000) this.stalls.delete(this.stalls.keys().next().value as string);
  }

  private post(m: MainToWatchdog): void {
    try {
      this.worker?.postMessage(m);
    } catch {
      this.alive = false;
    }
  }
}
