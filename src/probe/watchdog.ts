/**
 * The watchdog thread: one per process, started by the main thread's probe (watchdogSpawn.ts). All
 * network I/O and all heavy work (inspector round trips, source maps, JSON) happen here, so a stall
 * is detected and reported while the blocked thread is still blocked, even if it never comes back.
 *
 * This is the coordinator: the threads it watches (threadRegistry.ts), when it looks
 * (scheduler.ts, parkedLoop.ts), each thread's stalls (stallTracker.ts) and the looks at them
 * (stallLooks.ts), and what is sent about them (stallReporter.ts). It also ends everything when
 * the main thread exits or the host is gone.
 */
import { writeFileSync } from 'node:fs';
import type * as InspectorModule from 'node:inspector';
import { parentPort, threadId as ownThreadId, BroadcastChannel } from 'node:worker_threads';
import { MAX_LAG_BATCH } from '../shared/protocol/constants';
import { round2, type ListeningServer, type ProbeMode } from '../shared/protocol/model';
import { hrMs } from './clock';
import { InspectorLink } from './inspectorLink';
import { LagSeries } from './lagSeries';
import { clampThreshold } from './options';
import { ParkedLoop } from './parkedLoop';
import { Scheduler } from './scheduler';
import { parentSink, toParent, type Sink } from './sink';
import { snapshotExpression } from './snapshot';
import { SourceMapResolver } from './sourceMaps';
import { StallLooks } from './stallLooks';
import { StallReporter } from './stallReporter';
import { StallTracker } from './stallTracker';
import { ThreadRegistry } from './threadRegistry';
import { THREADS_CHANNEL, isThreadsMessage } from './threads';
import { Transport, nodeHello } from './transport';
import type { WatchedThread } from './watchedThread';
import type { MainToWatchdog, WatchdogData } from './watchdogSpawn';

const LAG_FLUSH_MS = 500;
/** How long the exit waits for stalls being finished, and then for the socket. */
const EXIT_FINISH_MS = 60;
const EXIT_FLUSH_MS = 60;

export function runWatchdog(data: WatchdogData): void {
  new Watchdog(data).start();
}

class Watchdog {
  private readonly mode: ProbeMode;
  private threshold: number;
  private readonly sink: Sink | undefined;
  private readonly lagSeries: LagSeries;
  private readonly threads: ThreadRegistry;
  private readonly reporter: StallReporter;
  private readonly tracker: StallTracker;
  private readonly scheduler: Scheduler;
  private link: InspectorLink | undefined;
  private channel: BroadcastChannel | undefined;
  private nextLagFlush = 0;
  private stopped = false;
  private exiting = false;

  constructor(private readonly d: WatchdogData) {
    this.mode = d.lagOnlyReason ? 'lag-only' : 'full';
    this.threshold = d.options.thresholdMs;
    this.sink = this.openSink();
    this.lagSeries = new LagSeries(d.epochOffset, d.options.lagIntervalMs);
    this.threads = new ThreadRegistry(d.sab, this.lagSeries, this.sink, this.threshold);
    const debuggerOpen = (): boolean => this.threads.main.hb.inspectorOpen;
    this.reporter = new StallReporter(this.sink, {
      probeFile: d.probeFile,
      resolver: new SourceMapResolver(d.cwd),
      epochOffset: d.epochOffset,
      requestContext: d.options.requestContext,
      debuggerOpen,
    });
    const looks = new StallLooks({ link: () => this.link, debuggerOpen, onLook: (t, s) => this.tracker.liveUpdate(t, s) });
    const parked = new ParkedLoop(() => toParent({ type: 'unpark' }));
    this.tracker = new StallTracker(
      {
        thresholdMs: () => this.threshold,
        link: () => this.link,
        stacks: d.options.stacks,
        debuggerOpen,
        exiting: () => this.exiting,
        threadExited: (t, now) => {
          this.lagSeries.collect(t.lag, now);
          this.threadGone(t);
        },
      },
      looks,
      this.reporter,
      parked,
    );
    this.scheduler = new Scheduler(this.threads, parked, {
      poll: () => this.poll(),
      mayDoze: () => this.mayDoze(),
      turnBy: () => this.nextLagFlush,
      thresholdMs: () => this.threshold,
      dueHr: (t) => this.tracker.dueHr(t),
    });
  }

  start(): void {
    try {
      // Name this OS thread (Linux): `top -H` and per-thread CPU accounting can tell the probe's cost apart.
      if (process.platform === 'linux') writeFileSync('/proc/thread-self/comm', 'stallscope');
    } catch {
      // cosmetic
    }
    const main = this.threads.main.hb;
    if (main.holdSession()) return main.ack();
    // The main loop may park its heartbeat while idle if we can see its CPU time without it
    // (not in process: a test's measurement should not first have to wake the heartbeat).
    if (!this.d.inProcess && ParkedLoop.available()) main.allowParking();
    this.scheduler.start();
    // Without Atomics.waitAsync each round notices the exit.
    main.whenExiting(() => this.onExit());
    if (this.mode === 'full') this.connectInspector();
    if (this.mode === 'lag-only' && this.d.lagOnlyReason) this.notice('warn', this.d.lagOnlyReason);
    parentPort?.on('message', (m: MainToWatchdog) => this.onMainMessage(m));
    if (!this.d.inProcess) this.openThreadsChannel();
    else if (!this.link) toParent({ type: 'ready' });
    this.sink?.start();
  }

  private openSink(): Sink | undefined {
    const d = this.d;
    if (d.inProcess) return parentSink();
    if (!d.options.url) return undefined;
    return new Transport({
      url: d.options.url,
      hello: nodeHello(d.options, d, this.mode),
      onMessage: (m) => {
        if (m.type === 'configure') this.configure(m.thresholdMs);
      },
      onState: (s) => {
        if (s === 'quiet') this.stop();
      },
    });
  }

  private connectInspector(): void {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const inspector = require('node:inspector') as typeof InspectorModule;
      const key = this.d.inProcess?.snapshotKey;
      this.link = new InspectorLink(
        inspector,
        ownThreadId,
        {
          onAttach: (threadId, name) => this.threads.named(threadId, name),
          onDetach: (threadId) => {
            const t = this.threads.get(threadId);
            if (t) this.threadGone(t);
          },
          onPaused: (threadId, reason) => this.onPaused(threadId, reason),
          onResumed: (threadId) => this.onResumed(threadId),
        },
        key ? snapshotExpression(key) : undefined,
      );
      // In process, the caller waits for this before it measures: a stall right away still gets its stack.
      const ready = (): void => {
        if (this.d.inProcess) toParent({ type: 'ready' });
      };
      this.link.init().then(ready, ready);
    } catch (e) {
      this.link = undefined;
      this.notice('warn', `stack capture unavailable (${(e as Error).message}); reporting stall durations only`);
    }
  }

  private openThreadsChannel(): void {
    try {
      const ch = new BroadcastChannel(THREADS_CHANNEL);
      ch.onmessage = (e: unknown) => {
        const m = (e as { data?: unknown }).data;
        if (!isThreadsMessage(m)) return;
        if (m.type === 'register') this.registerThread(m.threadId, m.sab);
        else if (m.type === 'listening') this.sendListening(m.server);
      };
      ch.postMessage({ type: 'watchdog' });
      this.channel = ch;
    } catch {
      this.channel = undefined;
    }
  }

  private registerThread(threadId: number, sab: SharedArrayBuffer): void {
    if (this.stopped || threadId === ownThreadId) return;
    const t = this.threads.register(threadId, sab);
    if (!t) return;
    if (!this.link) return this.threads.announce(t);
    this.link.enableWorkers();
    if (this.debuggerOpen()) this.link.enableDebugger();
    if (this.link.hasWorker(threadId)) this.threads.announce(t);
    else this.threads.announceLater(t);
  }

  private threadGone(t: WatchedThread): void {
    if (t.gone) return;
    t.gone = true;
    this.tracker.endGone(t);
    this.threads.remove(t);
  }

  private configure(thresholdMs: number): void {
    this.threshold = clampThreshold(thresholdMs);
    this.threads.configure(this.threshold);
  }

  private debuggerOpen(): boolean {
    return this.threads.main.hb.inspectorOpen;
  }

  private onMainMessage(m: MainToWatchdog): void {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'listening':
        return this.sendListening(m.server);
      case 'notice':
        return this.notice(m.level, m.message);
      case 'victims':
        return this.reporter.victims(this.threads.main, m.prevBeat, { victims: m.victims, backToBack: Array.isArray(m.backToBack) ? m.backToBack : [] });
      case 'configure':
        if (this.d.inProcess && typeof m.thresholdMs === 'number') this.configure(m.thresholdMs);
        return;
      case 'flush':
        if (this.d.inProcess) void this.flushInProcess(m.id);
        return;
    }
  }

  /** In process: look at every thread now, wait for stalls being finished, then tell the parent. */
  private async flushInProcess(id: number): Promise<void> {
    this.scheduler.roundNow();
    await Promise.all([...this.tracker.finishing]);
    toParent({ type: 'flushed', id });
  }

  private sendListening(server: Omit<ListeningServer, 'pid'>): void {
    if (!server || typeof server.port !== 'number') return;
    const protocol = server.protocol === 'https' ? 'https' : 'http';
    this.sink?.send({ type: 'listening', server: { pid: process.pid, protocol, address: String(server.address).slice(0, 256), port: server.port } });
  }

  private notice(level: 'info' | 'warn', message: string): void {
    this.sink?.send({ type: 'notice', pid: process.pid, level, message: message.slice(0, 2048) });
  }

  // ───────────── the round ─────────────

  /** Nothing the event loop must do right now: no capture or GC re-check pending, no debugger to hear, nothing for the host. */
  private mayDoze(): boolean {
    return !this.exiting && !this.d.inProcess && !this.tracker.finishing.size && !this.reporter.pending && !(this.sink?.busy ?? false) && !this.debuggerOpen();
  }

  private poll(): number | undefined {
    const now = hrMs();
    if (this.threads.main.hb.exiting) {
      this.onExit();
      return undefined;
    }
    if (this.link && this.debuggerOpen()) this.link.enableDebugger();
    let next = Infinity;
    for (const t of this.threads.values()) next = Math.min(next, this.tracker.check(t, now));
    this.reporter.recheckGc(now);
    if (now >= this.nextLagFlush) {
      this.flushLag();
      // An idle (parked) program has only zero samples to send: batch them twice as long.
      this.nextLagFlush = now + (this.threads.main.hb.parked ? 2 * LAG_FLUSH_MS : LAG_FLUSH_MS);
    }
    return Math.min(next, this.nextLagFlush);
  }

  private flushLag(): void {
    const now = hrMs();
    for (const t of this.threads.values()) this.lagSeries.collect(t.lag, now);
    for (const samples of this.lagSeries.take(MAX_LAG_BATCH)) this.sink?.send({ type: 'lag', samples });
  }

  // ───────────── debugger pauses ─────────────

  private onPaused(threadId: number, reason: string): void {
    const t = this.threads.get(threadId);
    const span = t?.pauses.pause(hrMs(), reason);
    if (!t || !span) return;
    this.lagSeries.paused(t.lag, span);
    this.sendPause(t, span.seq, span.startHr, null, reason);
  }

  private onResumed(threadId: number): void {
    const t = this.threads.get(threadId);
    const span = t?.pauses.resume(hrMs());
    if (t && span) this.sendPause(t, span.seq, span.startHr, span.endHr, span.reason);
  }

  private sendPause(t: WatchedThread, seq: number, startHr: number, endHr: number | null, reason: string): void {
    this.sink?.send({
      type: 'pause',
      pause: {
        id: `${process.pid}.${t.threadId}.p${seq}`,
        pid: process.pid,
        threadId: t.threadId,
        startMs: round2(startHr + this.d.epochOffset),
        endMs: endHr === null ? null : round2(endHr + this.d.epochOffset),
        reason: reason.slice(0, 256),
      },
    });
  }

  // ───────────── exit and stop ─────────────

  /** The main thread is exiting and waits (bounded) for us: finish what we know, flush, disconnect, ack. */
  private onExit(): void {
    if (this.exiting) return;
    this.exiting = true;
    this.scheduler.pause();
    try {
      this.tracker.endAll(this.threads.values(), hrMs());
      this.flushLag();
    } catch {
      // ack regardless
    }
    const finishing = Promise.all([...this.tracker.finishing]);
    Promise.race([finishing, new Promise((r) => setTimeout(r, EXIT_FINISH_MS))])
      .then(() => this.sink?.flush(EXIT_FLUSH_MS))
      .finally(() => {
        this.link?.disconnect();
        this.threads.main.hb.ack();
      });
  }

  /** No host, or refused: stop everything, including the heartbeats, and let this thread end. */
  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.scheduler.stop();
    for (const t of this.threads.values()) t.hb.stop();
    this.link?.disconnect();
    this.link = undefined;
    try {
      this.channel?.close();
    } catch {
      // ignore
    }
    parentPort?.removeAllListeners('message');
    parentPort?.close();
    if (!this.exiting) this.threads.main.hb.ack();
  }
}
