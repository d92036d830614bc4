/**
 * The watchdog thread: one per process, started by the main thread's probe. All network I/O and
 * all heavy work (inspector round trips, source maps, JSON) happen here, so a stall is detected and
 * reported while the blocked thread is still blocked, even if it never comes back.
 *
 * Detection without polling: each probed thread's heartbeat is read when it could first be late,
 * at `lastBeat + threshold`, so the watchdog wakes about once per threshold instead of every few
 * ms, and detects at the threshold exactly (to the timer's ~1 ms). While a stall lasts it looks
 * every STALL_POLL_MS for the loop to come back.
 */
import { writeFileSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type * as InspectorModule from 'node:inspector';
import { parentPort, threadId as ownThreadId, BroadcastChannel } from 'node:worker_threads';
import {
  MAX_LAG_BATCH,
  PROTOCOL_VERSION,
  type HelloMessage,
  type Cause,
  type ListeningServer,
  type ProbeMode,
  type Stall,
  type ThreadRef,
  type Victim,
} from '../shared/protocol';
import { hrMs, round2 } from './clock';
import type { Interpretation } from './frames';
import {
  F_BEAT,
  F_HEARTBEAT,
  F_INSPECTOR,
  F_PARKED_AT,
  F_STALLED_BEAT,
  F_THRESHOLD,
  I_ACK,
  I_EXIT,
  I_PARK_OK,
  I_PARKED,
  I_SESSION,
  I_STOP,
  I_GC_WATCH,
  I_TRACK,
  I_WAKE,
  findGap,
  gapsSince,
  gcCount,
  gcTimeWithin,
  views,
  type HeartbeatViews,
} from './heartbeat';
import { InspectorLink } from './inspectorLink';
import { snapshotExpression } from './snapshot';
import { LagSeries, type LagCursor } from './lagSeries';
import { LATE_MS, LATE_END_MS, MAX_SAMPLES, judgeLooks, nextSampleInMs, preferSamples, type Look } from './looks';
import { heartbeatFor, clampThreshold, type ResolvedOptions } from './options';
import { PauseTracker } from './pauses';
import { epollWaitFd, readSchedstat, type SchedTimes } from './threadState';
import { SourceMapResolver } from './sourceMaps';
import { THREADS_CHANNEL, isThreadsMessage } from './threads';
import { Transport } from './transport';

export interface WatchdogData {
  sab: SharedArrayBuffer;
  /**
   * `stallscope/testing`: no host; messages go to the parent thread (parentPort), which also asks
   * for flushes; no user worker threads are watched and the heartbeat never parks.
   */
  inProcess?: { snapshotKey: string };
  epochOffset: number;
  options: ResolvedOptions;
  argv: string[];
  cwd: string;
  probeFile: string;
  startedAtMs: number;
  /** Why stacks cannot be captured (lag-only), if so. */
  lagOnlyReason?: string;
}

/** Messages the main thread's probe posts to the watchdog. */
export type MainToWatchdog =
  | { type: 'listening'; server: Omit<ListeningServer, 'pid'> }
  | { type: 'notice'; level: 'info' | 'warn'; message: string }
  /** The requests held up by the stall that began after the heartbeat `prevBeat` (see requestLog). */
  | { type: 'victims'; prevBeat: number; victims: Victim[] }
  /** In process (stallscope/testing): a new threshold, and a request to report everything seen so far. */
  | { type: 'configure'; thresholdMs: number }
  | { type: 'flush'; id: number };

/** What the watchdog posts to the parent thread in process (stallscope/testing), besides ProbeToHost messages. */
export type WatchdogToParent = { type: 'ready' } | { type: 'flushed'; id: number } | { type: 'unpark' };

/** Where the watchdog's messages go: the host's websocket, or the parent thread in process. */
type Sink = Pick<Transport, 'send' | 'start' | 'flush' | 'busy'>;

/** In process: ProbeToHost messages to the parent thread; lag and notices are not wanted there. */
function parentSink(): Sink {
  return {
    send: (m) => {
      if (m.type === 'stall') parentPort?.postMessage(m);
    },
    start: () => undefined,
    flush: () => Promise.resolve(),
    busy: false,
  };
}

const STALL_POLL_MS = 10;
/**
 * How often a parked (idle) main loop is looked at through /proc: the probe's whole idle cost. The
 * look is due anyway at the threshold after the last time it was seen idle (so a block that starts
 * right after is still caught while it lasts); this caps the period for high thresholds.
 */
const PARKED_POLL_MS = 100;
/** How long a parked loop seen busy gets to resume its heartbeat before it counts as stuck. */
const UNPARK_GRACE_MS = 5;
const LAG_FLUSH_MS = 500;
/** The longest the watchdog dozes (Atomics.wait) before it gives its event loop a turn. */
const DOZE_MAX_MS = 500;
const ONGOING_UPDATE_MS = 1000;
/** After a stall ended, how long to wait for a capture still in flight (a native call returning late). */
const CAPTURE_GRACE_MS = 500;
const MAX_ARG = 1024;
/** Looks after a late first one, LATE_END_MS apart, while the thread stays blocked. */
const MAX_LATE_RETRIES = 3;
/** How long a reported stall is re-checked against GC records that arrive after it. */
const GC_RECHECK_MS = 2000;

interface StallState {
  seq: number;
  id: string;
  /** The heartbeat value when detected (the end is when it changes). */
  beat: number;
  /** The last evidence of the loop turning: the beat, or a parked loop seen idle (hr ms). */
  sinceHr: number;
  detectedHr: number;
  suppressed: boolean;
  announced: boolean;
  lastSentHr: number;
  /** The first look, requested at detection; resolves when it is in (or failed). */
  capture: Promise<void> | undefined;
  first: Look | undefined;
  /** The first prompt look after a late first one, taken while the thread stayed blocked. */
  second: Look | undefined;
  /** Looks while the stall went on, after the first prompt one (looks.ts, preferSamples). */
  samples: Look[];
  /** The look whose stack and handler the stall reports, when not the first. */
  chosen: Look | undefined;
  /** The first look came back stale: the loop had already turned. */
  stale: boolean;
  threadId: number;
  /** The thread's CPU/runqueue times at detection (Linux, main thread). */
  sched: SchedTimes | undefined;
  /** The requests it held up, once the main thread told (after the stall). */
  victims?: Victim[];
}

function newStall(t: { threadId: number }, seq: number, beat: number, sinceHr: number, detectedHr: number, suppressed: boolean, sched: SchedTimes | undefined): StallState {
  return {
    seq,
    id: `${process.pid}.${t.threadId}.${seq}`,
    beat,
    sinceHr,
    detectedHr,
    suppressed,
    announced: false,
    lastSentHr: 0,
    capture: undefined,
    first: undefined,
    second: undefined,
    samples: [],
    chosen: undefined,
    stale: false,
    threadId: t.threadId,
    sched,
  };
}

interface ThreadWatch {
  threadId: number;
  name: string | undefined;
  v: HeartbeatViews;
  pauses: PauseTracker;
  stall: StallState | undefined;
  seq: number;
  lag: LagCursor;
  announced: boolean;
  gone: boolean;
  /** Last time the thread was seen idle in its event loop while its heartbeat was parked (hr ms). */
  idleSeenHr: number;
  unparkSent: boolean;
  unparkSentHr: number;
  /** The beat last seen while parked: the gap records after it tell what the loop did meanwhile. */
  parkedBeat: number;
}

/** STALLSCOPE_DEBUG=1: the watchdog explains its decisions on stderr (development aid only). */
const DEBUG = !!process.env.STALLSCOPE_DEBUG;
function debug(msg: () => string): void {
  if (!DEBUG) return;
  try {
    writeSync(2, `[stallscope ${process.pid}] ${msg()}\n`);
  } catch {
    // ignore
  }
}

export function runWatchdog(data: WatchdogData): void {
  new Watchdog(data).start();
}

class Watchdog {
  private readonly o: ResolvedOptions;
  private threshold: number;
  private readonly threads = new Map<number, ThreadWatch>();
  private readonly main: ThreadWatch;
  private readonly transport: Sink | undefined;
  private readonly resolver: SourceMapResolver;
  private link: InspectorLink | undefined;
  private channel: BroadcastChannel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextLagFlush = 0;
  private readonly lagSeries: LagSeries;
  private readonly finishing = new Set<Promise<void>>();
  /** Recently finalised stalls, re-checked when the thread's GC records arrive (they come late). */
  private recent: Array<{ t: ThreadWatch; s: StallState; startHr: number; durationMs: number; gcSeen: number; untilHr: number }> = [];
  /** The last stalls sent in their final form: their victims arrive after them and are sent with them again. */
  private finals: Array<{ t: ThreadWatch; s: StallState; startHr: number; durationMs: number }> = [];
  /** Victims of a stall whose end the poll loop has not seen yet, by the stall's beat. */
  private readonly earlyVictims = new Map<number, Victim[]>();
  private readonly mode: ProbeMode;
  private stopped = false;
  private exiting = false;

  constructor(private readonly d: WatchdogData) {
    this.o = d.options;
    this.threshold = d.options.thresholdMs;
    this.resolver = new SourceMapResolver(d.cwd);
    this.lagSeries = new LagSeries(d.epochOffset, d.options.lagIntervalMs);
    this.main = this.watch(0, d.sab);
    this.mode = d.lagOnlyReason ? 'lag-only' : 'full';
    if (d.inProcess) this.transport = parentSink();
    else if (d.options.url) {
      const hello: HelloMessage = {
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        token: d.options.token,
        ...(d.options.sessionId ? { sessionId: d.options.sessionId } : {}),
        pid: process.pid,
        ppid: process.ppid,
        threadId: 0,
        argv: d.argv.slice(0, 256).map((a) => a.slice(0, MAX_ARG)),
        cwd: d.cwd,
        nodeVersion: process.version,
        mode: this.mode,
        startedAtMs: round2(d.startedAtMs),
      };
      this.transport = new Transport({
        url: d.options.url,
        hello,
        onMessage: (m) => {
          if (m.type === 'configure') this.configure(m.thresholdMs);
        },
        onState: (s) => {
          if (s === 'quiet') this.stop();
        },
      });
    }
  }

  start(): void {
    try {
      // Name this OS thread (Linux): `top -H` and per-thread CPU accounting can tell the probe's cost apart.
      if (process.platform === 'linux') writeFileSync('/proc/thread-self/comm', 'stallscope');
    } catch {
      // cosmetic
    }
    const mainV = this.main.v;
    // Dekker-style handshake with the main thread's exit handler: announce the session before
    // checking for exit, so that either we see the exit or the main thread waits for our ack.
    Atomics.store(mainV.i32, I_SESSION, 1);
    if (Atomics.load(mainV.i32, I_EXIT) === 1) return this.ack();
    // The main loop may park its heartbeat while idle if we can see its CPU time without it
    // (not in process: a test's measurement should not first have to wake the heartbeat).
    if (!this.d.inProcess && epollWaitFd(process.pid) !== undefined) Atomics.store(mainV.i32, I_PARK_OK, 1);
    // The poll timer first: an inspector session does not keep this thread alive.
    this.schedule(0);
    this.watchExit();
    if (this.mode === 'full') this.connectInspector();
    if (this.mode === 'lag-only' && this.d.lagOnlyReason) {
      this.transport?.send({ type: 'notice', pid: process.pid, level: 'warn', message: this.d.lagOnlyReason });
    }
    parentPort?.on('message', (m: MainToWatchdog) => this.onMainMessage(m));
    if (!this.d.inProcess) this.openThreadsChannel();
    else if (!this.link) this.toParent({ type: 'ready' });
    this.transport?.start();
  }

  // ───────────── setup ─────────────

  private connectInspector(): void {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const inspector = require('node:inspector') as typeof InspectorModule;
      const key = this.d.inProcess?.snapshotKey;
      this.link = new InspectorLink(
        inspector,
        ownThreadId,
        {
        onAttach: (threadId, name) => {
          const t = this.threads.get(threadId);
          if (t) {
            t.name ??= name;
            this.announceThread(t);
          } else this.pendingNames.set(threadId, name);
        },
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
      this.link.init().then(
        () => this.d.inProcess && this.toParent({ type: 'ready' }),
        () => this.d.inProcess && this.toParent({ type: 'ready' }),
      );
    } catch (e) {
      this.link = undefined;
      this.notice('warn', `stack capture unavailable (${(e as Error).message}); reporting stall durations only`);
    }
  }

  private readonly pendingNames = new Map<number, string | undefined>();
  /**
   * How often the main thread was seen waiting on each epoll instance, and the one it waits on
   * most: its event loop's (the process has several: the platform's, the inspector's, spawnSync's
   * own loop, made before or after it). A wrong first guess is outvoted within two looks.
   */
  private readonly epollSeen = new Map<number, number>();
  private loopFd = -1;

  /**
   * The parked main loop sleeps in its own epoll: idle. Its CPU time cannot tell: a loop blocked in
   * Atomics.wait, a sync read or spawnSync uses none either. The loop's own turns beat on their own
   * while it is parked (heartbeat.ts), so a short task between two looks needs no look to be seen.
   */
  private loopIdle(): boolean {
    const fd = epollWaitFd(process.pid);
    if (fd === undefined || fd < 0) {
      debug(() => 'the parked loop runs, or sleeps in a synchronous call');
      return false;
    }
    const n = (this.epollSeen.get(fd) ?? 0) + 1;
    if (this.epollSeen.size >= 64 && n === 1) this.epollSeen.clear(); // one-off loops (spawnSync) add up
    this.epollSeen.set(fd, n);
    if (fd !== this.loopFd && n > (this.epollSeen.get(this.loopFd) ?? 0)) this.loopFd = fd;
    if (fd !== this.loopFd) debug(() => `the parked loop sleeps in another loop's epoll (${fd}, its own is ${this.loopFd})`);
    return fd === this.loopFd;
  }

  /**
   * A heartbeat that stands still while its thread neither ran nor slept in a call, but waited for
   * a CPU: a starved idle loop (a loaded machine), not a blocked one.
   */
  private starved(s: StallState, now: number): boolean {
    const st = s.threadId === 0 ? readSchedstat(process.pid) : undefined;
    if (!st || !s.sched) return false;
    const wall = now - s.detectedHr;
    return wall > 5 && st.runqueueMs - s.sched.runqueueMs > 0.5 * wall && st.cpuMs - s.sched.cpuMs < 0.1 * wall;
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

  private watchExit(): void {
    const i32 = this.main.v.i32;
    const w = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number) => { async: boolean; value: unknown } }).waitAsync;
    if (typeof w === 'function') {
      const r = w(i32, I_EXIT, 0);
      if (r.async) (r.value as Promise<unknown>).then(() => this.onExit(), () => undefined);
      else this.onExit();
    }
    // Without waitAsync the poll loop notices I_EXIT (checked on every wake).
  }

  private watch(threadId: number, sab: SharedArrayBuffer): ThreadWatch {
    const v = views(sab);
    const t: ThreadWatch = {
      threadId,
      name: undefined,
      v,
      pauses: new PauseTracker(),
      stall: undefined,
      seq: 0,
      lag: this.lagSeries.cursor(threadId, v),
      announced: threadId === 0,
      gone: false,
      idleSeenHr: 0,
      unparkSent: false,
      unparkSentHr: 0,
      parkedBeat: 0,
    };
    v.f64[F_THRESHOLD] = this.threshold;
    this.threads.set(threadId, t);
    return t;
  }

  private registerThread(threadId: number, sab: SharedArrayBuffer): void {
    if (this.stopped || threadId === ownThreadId) return;
    const known = this.threads.get(threadId);
    if (known && !known.gone) return;
    const t = this.watch(threadId, sab);
    t.v.f64[F_HEARTBEAT] = heartbeatFor(this.threshold);
    if (this.pendingNames.has(threadId)) t.name = this.pendingNames.get(threadId);
    if (this.link) {
      this.link.enableWorkers();
      if (this.debuggerOpen()) this.link.enableDebugger();
      // Announce once the inspector named it, or soon without a name.
      if (this.link.hasWorker(threadId)) this.announceThread(t);
      else setTimeout(() => this.announceThread(t), 300).unref();
    } else this.announceThread(t);
  }

  private announceThread(t: ThreadWatch): void {
    if (t.announced || t.gone) return;
    t.announced = true;
    const thread: ThreadRef = { id: t.threadId, ...(t.name ? { name: t.name.slice(0, 256) } : {}) };
    this.transport?.send({ type: 'thread', pid: process.pid, thread, state: 'online' });
  }

  private threadGone(t: ThreadWatch): void {
    if (t.gone) return;
    t.gone = true;
    // A worker terminated while blocked: its stall ends here.
    if (t.stall && !t.stall.suppressed && t.stall.announced) this.finish(t, t.stall, t.stall.sinceHr, hrMs() - t.stall.sinceHr);
    t.stall = undefined;
    if (t.announced) this.transport?.send({ type: 'thread', pid: process.pid, thread: { id: t.threadId }, state: 'exit' });
    this.threads.delete(t.threadId);
  }

  private configure(thresholdMs: number): void {
    this.threshold = clampThreshold(thresholdMs);
    for (const t of this.threads.values()) {
      t.v.f64[F_THRESHOLD] = this.threshold;
      t.v.f64[F_HEARTBEAT] = heartbeatFor(this.threshold);
    }
  }

  private onMainMessage(m: MainToWatchdog): void {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'listening':
        this.sendListening(m.server);
        break;
      case 'notice':
        this.notice(m.level, m.message);
        break;
      case 'victims':
        this.onVictims(m.prevBeat, m.victims);
        break;
      case 'configure':
        if (this.d.inProcess && typeof m.thresholdMs === 'number') this.configure(m.thresholdMs);
        break;
      case 'flush':
        if (this.d.inProcess) void this.flushInProcess(m.id);
        break;
    }
  }

  private toParent(m: WatchdogToParent): void {
    try {
      parentPort?.postMessage(m);
    } catch {
      // the parent is gone
    }
  }

  /** In process: look at every thread now, wait for stalls being finished, then tell the parent. */
  private async flushInProcess(id: number): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.tickBody();
    await Promise.all([...this.finishing]);
    this.toParent({ type: 'flushed', id });
  }

  /**
   * The victims of a stall arrive from the main thread after the stall ended (it reads them once the
   * loop turned). The stall may be final already (sent again, with them), or not yet seen to end.
   */
  private onVictims(prevBeat: number, victims: Victim[]): void {
    if (!Array.isArray(victims) || !victims.length) return;
    const final = this.finals.find((f) => f.t.threadId === 0 && f.s.beat === prevBeat);
    if (final) {
      final.s.victims = victims;
      this.send(final.t, final.s, { startHr: final.startHr, durationMs: final.durationMs });
      return;
    }
    const open = this.main.stall;
    if (open?.beat === prevBeat) open.victims = victims;
    else {
      this.earlyVictims.set(prevBeat, victims);
      if (this.earlyVictims.size > 16) this.earlyVictims.delete(this.earlyVictims.keys().next().value as number);
    }
  }

  private sendListening(server: Omit<ListeningServer, 'pid'>): void {
    if (!server || typeof server.port !== 'number') return;
    const protocol = server.protocol === 'https' ? 'https' : 'http';
    this.transport?.send({ type: 'listening', server: { pid: process.pid, protocol, address: String(server.address).slice(0, 256), port: server.port } });
  }

  private notice(level: 'info' | 'warn', message: string): void {
    this.transport?.send({ type: 'notice', pid: process.pid, level, message: message.slice(0, 2048) });
  }

  // ───────────── the poll loop ─────────────

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), Math.max(1, Math.min(250, delayMs)));
  }

  private tick(): void {
    if (this.stopped) return;
    const dozed = this.dozeParked();
    if ((dozed === 'no' ? this.dozeRunning() : dozed) === 'woken') {
      this.schedule(0); // the event loop first: what woke it is a message
      return;
    }
    this.tickBody();
  }

  /**
   * Nothing the event loop must do right now: no stall open, no capture or GC re-check pending, no
   * debugger to listen to, nothing queued for the host. Then the watchdog may wait in Atomics.wait.
   */
  private mayDoze(): boolean {
    return !this.exiting && !this.d.inProcess && !this.finishing.size && !this.recent.length && !(this.transport?.busy ?? false) && !this.debuggerOpen();
  }

  /**
   * The same for loops that run (under load, or a program with its own timers): between two looks
   * the watchdog waits in Atomics.wait instead of a libuv timer, so a look (~25 a second, one a
   * threshold after each beat) is a futex wake and a few loads instead of a turn of the event loop
   * and its timers. On this VM any wake costs ~100 µs of CPU (measured: a bare Atomics.wait timeout
   * in a worker), so the gain is the timer turn on top of it: the watchdog thread went from ~0.12 to
   * ~0.075 µs per request at 35k req/s. The event loop turns only for the lag flush (2/s) and when
   * woken (I_WAKE: a message from the main thread, a new thread, the exit). Returns 'due' when a
   * look may find a stall, a thread parked or exited, or the lag is to be sent: the tick goes on.
   */
  private dozeRunning(): 'no' | 'due' | 'woken' {
    if (!this.mayDoze()) return 'no';
    for (const t of this.threads.values()) if (t.stall || t.unparkSent || t.parkedBeat || t.gone) return 'no';
    const until = Math.min(hrMs() + DOZE_MAX_MS, this.nextLagFlush);
    const wake = this.main.v.i32;
    for (;;) {
      const now = hrMs();
      let due = until;
      for (const t of this.threads.values()) {
        if (Atomics.load(t.v.i32, I_PARKED) === 1 || Atomics.load(t.v.i32, I_EXIT) === 1) return 'due';
        due = Math.min(due, t.v.f64[F_BEAT] + this.threshold + 1);
      }
      if (due <= now) return 'due';
      if (Atomics.wait(wake, I_WAKE, 0, due - now) !== 'timed-out') return 'woken';
    }
  }

  /**
   * While the only probed loop is parked and idle and nothing else is going on, the watchdog sleeps
   * in Atomics.wait between its looks instead of going through libuv timers: a look then costs a
   * futex wake and one pread, not a JS timer turn (measured: the timer path was most of the idle
   * cost). It comes back to its event loop at least every DOZE_MAX_MS (socket, channel) and at once
   * when the thread exits, resumes its heartbeat (a request, a busy turn) or leaves its epoll.
   * 'due': the regular tick takes over at once (it sees what ended the doze, or sends the lag).
   */
  private dozeParked(): 'no' | 'due' | 'woken' {
    const t = this.main;
    const i32 = t.v.i32;
    if (this.threads.size !== 1 || t.stall || t.unparkSent || !this.mayDoze()) return 'no';
    if (Atomics.load(i32, I_PARKED) !== 1) return 'no';
    const step = Math.min(PARKED_POLL_MS, this.threshold + 1);
    const until = Math.min(hrMs() + DOZE_MAX_MS, this.nextLagFlush);
    for (let now = hrMs(); now < until; now = hrMs()) {
      if (Atomics.wait(i32, I_WAKE, 0, Math.min(step, until - now)) !== 'timed-out') return 'woken';
      if (Atomics.load(i32, I_PARKED) !== 1 || !this.loopIdle()) return 'due';
      t.idleSeenHr = hrMs();
      t.parkedBeat = t.v.f64[F_BEAT];
    }
    return 'due';
  }

  private tickBody(): void {
    let next = Infinity;
    try {
      const now = hrMs();
      if (Atomics.load(this.main.v.i32, I_EXIT) === 1) {
        this.onExit();
        return;
      }
      if (this.link && this.debuggerOpen()) this.link.enableDebugger();
      for (const t of this.threads.values()) next = Math.min(next, this.check(t, now));
      if (this.recent.length) this.recheckGc(now);
      if (now >= this.nextLagFlush) {
        this.flushLag();
        // An idle (parked) program has only zero samples to send: batch them twice as long.
        this.nextLagFlush = now + (Atomics.load(this.main.v.i32, I_PARKED) === 1 ? 2 * LAG_FLUSH_MS : LAG_FLUSH_MS);
      }
      next = Math.min(next, this.nextLagFlush) - hrMs();
    } catch {
      next = STALL_POLL_MS;
    }
    this.schedule(next);
  }

  /** Checks one thread; returns the hr time it next needs a look. */
  private check(t: ThreadWatch, now: number): number {
    if (t.gone) return Infinity;
    if (t.threadId !== 0 && Atomics.load(t.v.i32, I_EXIT) === 1) {
      this.lagSeries.collect(t.lag, now);
      this.threadGone(t); // deletes from this.threads while iterating: Map iteration tolerates it
      return Infinity;
    }
    const beat = t.v.f64[F_BEAT];
    const s = t.stall;
    const parked = Atomics.load(t.v.i32, I_PARKED) === 1;
    if (!parked) {
      t.unparkSent = false;
      if (t.parkedBeat && !s) this.missedWhileParked(t);
    }
    // The last evidence that the loop turned: its beat, or (parked) the last time it was seen idle.
    let since = beat;
    if (parked && !s) {
      since = Math.max(beat, t.v.f64[F_PARKED_AT], t.idleSeenHr);
      t.parkedBeat = beat;
      if (!t.unparkSent) {
        if (this.loopIdle()) {
          t.idleSeenHr = now;
          return now + Math.min(PARKED_POLL_MS, this.threshold + 1);
        }
        // It is not asleep in its loop: beat again (if it is blocked, this waits, and the stall shows below).
        t.unparkSent = true;
        t.unparkSentHr = now;
        parentPort?.postMessage({ type: 'unpark' });
      }
      // A loop that is merely busy honours the unpark within a turn; only one that does not is stuck.
      if (now - t.unparkSentHr < UNPARK_GRACE_MS) return Math.max(t.unparkSentHr + UNPARK_GRACE_MS, Math.min(now + STALL_POLL_MS, since + this.threshold + 1));
    }
    if (!s) {
      if (now - since <= this.threshold) return parked ? Math.min(now + STALL_POLL_MS, since + this.threshold + 1) : beat + this.threshold + 1;
      t.parkedBeat = 0; // the stall's own end reads that gap record
      this.begin(t, beat, since, now);
      return now + STALL_POLL_MS;
    }
    if (beat !== s.beat) {
      t.stall = undefined;
      t.v.f64[F_STALLED_BEAT] = 0;
      if (!s.suppressed) this.end(t, s);
      return beat + this.threshold + 1;
    }
    if (!s.suppressed) {
      const pause = t.pauses.overlapping(s.sinceHr, now);
      if (pause) {
        // A breakpoint hit inside the blocking code: from here the debugger holds the loop.
        if (s.announced) this.finish(t, s, s.sinceHr, Math.max(0, pause.startHr - s.sinceHr));
        s.suppressed = true;
      } else if (
        now - s.sinceHr >= this.threshold + (parked ? Math.min(PARKED_POLL_MS, this.threshold + 1) : t.v.f64[F_HEARTBEAT]) &&
        (!s.announced || now - s.lastSentHr >= ONGOING_UPDATE_MS) &&
        // Without a look at JavaScript on its stack, a thread that only waited for a CPU is not
        // blocked but starved: let the exact duration at the end decide.
        !(s.first ? s.first.result.frames.length === 0 : this.starved(s, now))
      ) {
        s.announced = true;
        s.lastSentHr = now;
        this.send(t, s, { ongoing: true, startHr: s.sinceHr, durationMs: now - s.sinceHr });
      }
    }
    return now + STALL_POLL_MS;
  }

  /**
   * A parked loop was unparked (a request, a busy turn, the watchdog) after a block that had
   * finished before a look could catch it past the threshold (a block of about the threshold's
   * length right after a look). The heartbeat's gap records still know how long it was busy: if
   * that was a stall, report it, without a stack.
   */
  private missedWhileParked(t: ThreadWatch): void {
    const gaps = gapsSince(t.v, t.parkedBeat);
    t.parkedBeat = 0;
    for (const g of gaps) {
      if (g.activeMs < this.threshold) continue;
      const s = newStall(t, ++t.seq, g.prevBeat, g.endBeat - g.activeMs, g.endBeat, false, undefined);
      if (!t.pauses.overlapping(s.sinceHr, g.endBeat)) this.send(t, s, { startHr: s.sinceHr, durationMs: g.activeMs });
    }
  }

  private begin(t: ThreadWatch, beat: number, since: number, now: number): void {
    const suppressed = t.pauses.paused || !!t.pauses.overlapping(since, now);
    const s = newStall(t, suppressed ? 0 : ++t.seq, beat, since, now, suppressed, t.threadId === 0 ? readSchedstat(process.pid) : undefined);
    t.stall = s;
    // The thread notes the requests that queue up behind it from now on (requestLog.ts).
    t.v.f64[F_STALLED_BEAT] = beat;
    if (suppressed || !this.link || !this.o.stacks) return;
    s.capture = this.look(t, s).then((first) => {
      if (!first) return;
      if (first.result.stale) {
        s.stale = true;
        return;
      }
      s.first = first;
      if (first.delayMs <= LATE_MS) {
        this.liveUpdate(t, s);
        return this.sampleLater(t, s);
      }
      // The snapshot ran only once a non-interruptible call returned, or the thread was held up by
      // something the runqueue time does not show. If it stays blocked, a later look shows it.
      this.lookAgain(t, s, MAX_LATE_RETRIES);
    }, () => undefined);
  }

  /**
   * Looks again LATE_END_MS later while the thread stays blocked, until a look is prompt (kept as
   * the second look) or `left` runs out: a block made of non-interruptible calls keeps every look
   * late, and then no culprit is better than a line near it.
   */
  private lookAgain(t: ThreadWatch, s: StallState, left: number): void {
    if (left <= 0) return this.sampleLater(t, s);
    this.lookLater(t, s, LATE_END_MS, () => true, (next) => {
      if (next.delayMs > LATE_MS) return this.lookAgain(t, s, left - 1);
      s.second = next;
      this.liveUpdate(t, s);
      this.sampleLater(t, s);
    });
  }

  /** One more look later while the stall goes on (looks.ts: MAX_SAMPLES, preferSamples); none under a debugger. */
  private sampleLater(t: ThreadWatch, s: StallState): void {
    const wanted = (): boolean => s.samples.length < MAX_SAMPLES && !this.debuggerOpen();
    if (!wanted()) return;
    this.lookLater(t, s, nextSampleInMs(hrMs() - s.sinceHr), wanted, (next) => {
      s.samples.push(next);
      this.sampleLater(t, s);
    });
  }

  /** A look in `inMs`, if the thread is still blocked in `s` and the look still `wanted` then; `then` gets it unless stale. */
  private lookLater(t: ThreadWatch, s: StallState, inMs: number, wanted: () => boolean, then: (look: Look) => void): void {
    const later = setTimeout(() => {
      if (!this.stillBlocked(t, s) || !wanted()) return;
      this.look(t, s).then((look) => {
        if (look && !look.result.stale) then(look);
      }, () => undefined);
    }, inMs);
    later.unref();
  }

  private debuggerOpen(): boolean {
    return this.main.v.f64[F_INSPECTOR] === 1;
  }

  private stillBlocked(t: ThreadWatch, s: StallState): boolean {
    return t.stall === s && t.v.f64[F_BEAT] === s.beat && !s.suppressed;
  }

  /** A look arrived while the stall goes on: the announced version gets its stack. */
  private liveUpdate(t: ThreadWatch, s: StallState): void {
    if (!s.announced || !this.stillBlocked(t, s)) return;
    s.lastSentHr = hrMs();
    this.send(t, s, { ongoing: true, startHr: s.sinceHr, durationMs: s.lastSentHr - s.sinceHr });
  }

  private look(t: ThreadWatch, s: StallState): Promise<Look | undefined> {
    const link = this.link;
    if (!link) return Promise.resolve(undefined);
    const p = t.threadId === 0 ? link.captureMain(s.beat) : link.captureWorker(t.threadId, s.beat);
    // Timed once the request is queued to the thread (synchronously, above): if this thread lost
    // its CPU before that, as on a loaded machine, the look is not late for it. The runqueue time
    // to take out ends where the snapshot ran (it reads its own, see snapshot.ts). Only the main
    // thread's kernel thread id is known (it is the pid); workers fall back to wall time.
    const requestedHr = hrMs();
    const sched0: SchedTimes | undefined = t.threadId === 0 ? readSchedstat(process.pid) : undefined;
    return p.then((result) => {
      if (!result) return undefined;
      const exact = !!sched0 && result.runqueueMs !== undefined;
      const waited = exact ? Math.max(0, result.runqueueMs! - sched0.runqueueMs) : 0;
      return { result, atHr: result.t, delayMs: Math.max(0, result.t - requestedHr - waited), exact };
    });
  }

  private end(t: ThreadWatch, s: StallState): void {
    const gap = findGap(t.v, s.beat);
    // Without the record (ring overrun), fall back to the heartbeat gap less half a period.
    const endHr = gap ? gap.endBeat : t.v.f64[F_BEAT];
    const durationMs = gap ? gap.activeMs : Math.max(0, endHr - s.sinceHr - t.v.f64[F_HEARTBEAT] / 2);
    const startHr = endHr - durationMs;
    const pause = t.pauses.overlapping(s.sinceHr, endHr);
    if (pause) {
      if (s.announced) this.finish(t, s, s.sinceHr, Math.max(0, pause.startHr - s.sinceHr));
      return;
    }
    if (durationMs < this.threshold) {
      // The loop idled most of the gap: not a stall (typically a process starved of CPU). If it was
      // already announced, its final version says what it really was: a short busy time, no culprit.
      if (s.announced) this.send(t, s, { startHr, durationMs, idle: true });
      return;
    }
    this.finish(t, s, startHr, durationMs);
  }

  private finish(t: ThreadWatch, s: StallState, startHr: number, durationMs: number): void {
    const done = (): void => this.send(t, s, { startHr, durationMs });
    if (!s.capture || s.first || s.stale) return done();
    const p = Promise.race([s.capture, new Promise((r) => setTimeout(r, this.exiting ? 50 : CAPTURE_GRACE_MS))])
      .then(done, done)
      .finally(() => this.finishing.delete(p));
    this.finishing.add(p);
  }

  // ───────────── messages ─────────────

  /** Frames, culprit and cause; `endHr` undefined while the stall goes on. */
  private interpret(s: StallState, endHr: number | undefined): Interpretation | undefined {
    const j = judgeLooks(s.first, s.second, endHr, this.d.probeFile, this.resolver, this.debuggerOpen());
    if (endHr === undefined) return j.it;
    // A discarded first look has no interpretation (j.it undefined): then any later look's culprit wins.
    const better = preferSamples(j.it, s.samples, endHr, this.d.probeFile, this.resolver);
    s.chosen = better?.look;
    const it = better ? better.it : j.it;
    const first = s.first;
    if (first) {
      debug(() => {
        const c = it?.culprit;
        const second = s.second ? ` second ${s.second.delayMs.toFixed(2)} at +${(s.second.atHr - first.atHr).toFixed(0)}` : '';
        const samples = s.samples.length ? ` samples ${s.samples.length}${better ? ' (overruled the first)' : ''}` : '';
        return `${s.id} look delay ${first.delayMs.toFixed(2)} exact ${first.exact} end-look ${(endHr - first.atHr).toFixed(2)} late ${j.late}${second}${samples} → ${c ? `${path.basename(c.file)}:${c.line}` : 'no culprit'}`;
      });
    }
    if (j.discardFirst) s.first = undefined; // nor does its handler tell anything
    return it;
  }

  private mapFailuresSent = 0;

  /** A broken or missing source map is worth telling once: the user sees generated locations. */
  private reportMapFailures(): void {
    const f = this.resolver.failures;
    while (this.mapFailuresSent < f.length) this.notice('info', `Stallscope: source map not used, generated location kept: ${f[this.mapFailuresSent++]}`);
  }

  /** Garbage collection when GC pauses fill at least half of the stall. */
  private cause(t: ThreadWatch, at: { startHr: number; durationMs: number; ongoing?: boolean }, it: Interpretation | undefined): Cause | undefined {
    if (!at.ongoing && at.durationMs > 0 && gcTimeWithin(t.v, at.startHr, at.startHr + at.durationMs) >= at.durationMs / 2) return { kind: 'gc' };
    return it?.cause;
  }

  private recheckGc(now: number): void {
    this.recent = this.recent.filter((r) => r.untilHr > now && !r.t.gone);
    for (const r of this.recent) {
      const n = gcCount(r.t.v);
      if (n === r.gcSeen) continue;
      r.gcSeen = n;
      if (gcTimeWithin(r.t.v, r.startHr, r.startHr + r.durationMs) >= r.durationMs / 2) {
        r.untilHr = 0;
        this.send(r.t, r.s, { startHr: r.startHr, durationMs: r.durationMs });
      }
    }
  }

  private send(t: ThreadWatch, s: StallState, at: { startHr: number; durationMs: number; ongoing?: boolean; idle?: boolean }): void {
    if (!this.transport) return;
    try {
      const it = at.idle ? undefined : this.interpret(s, at.ongoing ? undefined : at.startHr + at.durationMs);
      const cause = at.idle ? undefined : this.cause(t, at, it);
      if (!at.ongoing && cause?.kind !== 'gc' && !this.recent.some((r) => r.s === s)) {
        this.recent.push({ t, s, startHr: at.startHr, durationMs: at.durationMs, gcSeen: gcCount(t.v), untilHr: hrMs() + GC_RECHECK_MS });
      }
      if (!at.ongoing) {
        const early = this.earlyVictims.get(s.beat);
        if (early) {
          s.victims = early;
          this.earlyVictims.delete(s.beat);
        }
        if (!at.idle && !this.finals.some((f) => f.s === s)) {
          this.finals.push({ t, s, startHr: at.startHr, durationMs: at.durationMs });
          if (this.finals.length > 16) this.finals.shift();
        }
      }
      const stall: Stall = {
        id: s.id,
        pid: process.pid,
        thread: { id: t.threadId, ...(t.name ? { name: t.name.slice(0, 256) } : {}) },
        startMs: round2(at.startHr + this.d.epochOffset),
        durationMs: round2(Math.max(0, at.durationMs)),
        ...(at.ongoing ? { ongoing: true } : {}),
        detectedMs: round2(s.detectedHr + this.d.epochOffset),
        culprit: it?.culprit ?? null,
        frames: it?.frames ?? [],
        handler: !at.idle ? ((s.chosen ?? s.first)?.result.handler ?? null) : null,
        ...(cause ? { cause } : {}),
        ...(s.victims?.length && !at.idle ? { victims: s.victims } : {}),
      };
      this.transport.send({ type: 'stall', stall });
      if (!at.ongoing) {
        this.trackRequestsIfNeeded(t, stall);
        // A stall no look explained (a GC holds the look up until it ends, and then nothing of the
        // user's is on the stack), or a look that landed in gc() itself, may have been a GC: from
        // now on the thread records its pauses.
        const unexplained = !stall.culprit || cause?.api === 'gc';
        if (unexplained && Atomics.load(t.v.i32, I_GC_WATCH) === 0) {
          debug(() => `thread ${t.threadId}: GC pauses are recorded from now on (stall ${stall.id} was not explained)`);
          Atomics.store(t.v.i32, I_GC_WATCH, 1);
        }
      }
      this.reportMapFailures();
    } catch {
      // a malformed capture must not take the watchdog down
    }
  }

  /**
   * On-demand request tracking (requestContext.ts): a stall in the user's own code that ran outside
   * any request handler's synchronous code may have run for a request (after an await, in a timeout
   * it set). From now on that thread carries its requests across awaits. Not for start-up work,
   * intervals, GC, or a stall without user code (a loop starved of CPU under load): those are no
   * request's, and tracking costs every request.
   */
  private trackRequestsIfNeeded(t: ThreadWatch, stall: Stall): void {
    if (this.o.requestContext === 'always' || !stall.culprit || stall.cause?.kind === 'gc') return;
    const h = stall.handler;
    if (h?.kind === 'http' || h?.kind === 'main' || (h?.kind === 'timer' && h.label === 'setInterval')) return;
    if (Atomics.load(t.v.i32, I_TRACK) === 1) return;
    debug(() => `thread ${t.threadId}: requests are carried across awaits from now on (stall ${stall.id} ran outside a handler's synchronous code)`);
    Atomics.store(t.v.i32, I_TRACK, 1);
  }

  private flushLag(): void {
    const now = hrMs();
    for (const t of this.threads.values()) this.lagSeries.collect(t.lag, now);
    for (const samples of this.lagSeries.take(MAX_LAG_BATCH)) this.transport?.send({ type: 'lag', samples });
  }

  // ───────────── pauses ─────────────

  private onPaused(threadId: number, reason: string): void {
    const t = this.threads.get(threadId);
    if (!t) return;
    const span = t.pauses.pause(hrMs(), reason);
    if (span) this.sendPause(t, span.seq, span.startHr, null, reason);
  }

  private onResumed(threadId: number): void {
    const t = this.threads.get(threadId);
    if (!t) return;
    const span = t.pauses.resume(hrMs());
    if (span) this.sendPause(t, span.seq, span.startHr, span.endHr, span.reason);
  }

  private sendPause(t: ThreadWatch, seq: number, startHr: number, endHr: number | null, reason: string): void {
    this.transport?.send({
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
    if (this.timer) clearTimeout(this.timer);
    const now = hrMs();
    try {
      for (const t of this.threads.values()) {
        const s = t.stall;
        if (s && t.v.f64[F_BEAT] !== s.beat) {
          t.stall = undefined;
          if (!s.suppressed) this.end(t, s);
        } else if (s && !s.suppressed && s.announced) {
          this.finish(t, s, s.sinceHr, now - s.sinceHr);
        }
      }
      this.flushLag();
    } catch {
      // ack regardless
    }
    const finishing = Promise.all([...this.finishing]);
    Promise.race([finishing, new Promise((r) => setTimeout(r, 60))])
      .then(() => this.transport?.flush(60))
      .finally(() => {
        this.link?.disconnect();
        this.ack();
      });
  }

  private ack(): void {
    const i32 = this.main.v.i32;
    Atomics.store(i32, I_SESSION, 0);
    Atomics.store(i32, I_ACK, 1);
    Atomics.notify(i32, I_ACK);
  }

  /** No host, or refused: stop everything, including the heartbeats, and let this thread end. */
  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.threads.values()) Atomics.store(t.v.i32, I_STOP, 1);
    this.link?.disconnect();
    this.link = undefined;
    try {
      this.channel?.close();
    } catch {
      // ignore
    }
    parentPort?.removeAllListeners('message');
    parentPort?.close();
    if (!this.exiting) this.ack();
  }
}
