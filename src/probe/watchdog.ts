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
import type * as InspectorModule from 'node:inspector';
import { parentPort, threadId as ownThreadId, BroadcastChannel } from 'node:worker_threads';
import {
  PROTOCOL_VERSION,
  type HelloMessage,
  type LagSample,
  type Cause,
  type ListeningServer,
  type ProbeMode,
  type Stall,
  type ThreadRef,
} from '../shared/protocol';
import { hrMs, round2 } from './clock';
import { interpretCapture, type Interpretation } from './frames';
import {
  F_BEAT,
  F_HEARTBEAT,
  F_INSPECTOR,
  F_THRESHOLD,
  I_ACK,
  I_EXIT,
  I_SESSION,
  I_STOP,
  findGap,
  gcCount,
  gcTimeWithin,
  readLag,
  views,
  type HeartbeatViews,
  type LagRecord,
} from './heartbeat';
import { InspectorLink } from './inspectorLink';
import { heartbeatFor, clampThreshold, type ResolvedOptions } from './options';
import { PauseTracker } from './pauses';
import type { SnapshotResult } from './snapshot';
import { epollWaitFd, readSchedstat, type SchedTimes } from './threadState';
import { SourceMapResolver } from './sourceMaps';
import { THREADS_CHANNEL, isThreadsMessage } from './threads';
import { Transport } from './transport';

export interface WatchdogData {
  sab: SharedArrayBuffer;
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
export type MainToWatchdog = { type: 'listening'; server: Omit<ListeningServer, 'pid'> } | { type: 'notice'; level: 'info' | 'warn'; message: string };

const STALL_POLL_MS = 10;
const LAG_FLUSH_MS = 500;
const ONGOING_UPDATE_MS = 1000;
/** After a stall ended, how long to wait for a capture still in flight (a native call returning late). */
const CAPTURE_GRACE_MS = 500;
/**
 * Telling a look that ran on top of the blocking code from one that ran after it. V8 services the
 * snapshot interrupt in JavaScript within ~0.5 ms (measured 0.3-0.6 ms, runqueue time taken out). A
 * look that took longer ran only once a call V8 cannot interrupt (JSON.parse, spawnSync, a GC, an
 * addon) had returned, so its stack shows the code that ran next. Two cases:
 * - the stall ended soon after the look (within LATE_END_MS): late if it took over SOON_MS;
 * - the stall went on: late if it took over LATE_MS of the thread's own time (known only where the
 *   OS reports runqueue time; otherwise a slow look followed by more blocking is taken for a thread
 *   that merely waited for a CPU, and trusted).
 */
const SOON_MS = 0.8;
const LATE_MS = 2;
const LATE_END_MS = 15;
const MAX_ARG = 1024;
/** How long a reported stall is re-checked against GC records that arrive after it. */
const GC_RECHECK_MS = 2000;

/** One look at the blocked stack. */
interface Look {
  result: SnapshotResult;
  /** hr ms when the thread ran the snapshot. */
  atHr: number;
  /**
   * How long the thread took to run the snapshot, less the time it waited for a CPU (when the OS
   * tells, `exact`): above LATE_MS it was inside a call V8 cannot interrupt.
   */
  delayMs: number;
  exact: boolean;
}

interface StallState {
  seq: number;
  id: string;
  beat: number;
  detectedHr: number;
  suppressed: boolean;
  announced: boolean;
  lastSentHr: number;
  /** The first look, requested at detection; resolves when it is in (or failed). */
  capture: Promise<void> | undefined;
  first: Look | undefined;
  /** A second look, taken when the first was late and the thread stayed blocked. */
  second: Look | undefined;
  /** The first look came back stale: the loop had already turned. */
  stale: boolean;
}

interface ThreadWatch {
  threadId: number;
  name: string | undefined;
  v: HeartbeatViews;
  pauses: PauseTracker;
  stall: StallState | undefined;
  seq: number;
  lagSeen: number;
  announced: boolean;
  gone: boolean;
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
  private readonly transport: Transport | undefined;
  private readonly resolver: SourceMapResolver;
  private link: InspectorLink | undefined;
  private channel: BroadcastChannel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private nextLagFlush = 0;
  private lagOut: LagSample[] = [];
  private readonly finishing = new Set<Promise<void>>();
  /** Recently finalised stalls, re-checked when the thread's GC records arrive (they come late). */
  private recent: Array<{ t: ThreadWatch; s: StallState; startHr: number; durationMs: number; gcSeen: number; untilHr: number }> = [];
  private readonly mode: ProbeMode;
  private stopped = false;
  private exiting = false;

  constructor(private readonly d: WatchdogData) {
    this.o = d.options;
    this.threshold = d.options.thresholdMs;
    this.resolver = new SourceMapResolver(d.cwd);
    this.main = this.watch(0, d.sab);
    this.mode = d.lagOnlyReason ? 'lag-only' : 'full';
    if (d.options.url) {
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
    // The poll timer first: an inspector session does not keep this thread alive.
    this.schedule(0);
    this.watchExit();
    if (this.mode === 'full') this.connectInspector();
    if (this.mode === 'lag-only' && this.d.lagOnlyReason) {
      this.transport?.send({ type: 'notice', pid: process.pid, level: 'warn', message: this.d.lagOnlyReason });
    }
    parentPort?.on('message', (m: MainToWatchdog) => this.onMainMessage(m));
    this.openThreadsChannel();
    this.transport?.start();
  }

  // ───────────── setup ─────────────

  private connectInspector(): void {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const inspector = require('node:inspector') as typeof InspectorModule;
      this.link = new InspectorLink(inspector, ownThreadId, {
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
      });
      this.link.init().catch(() => undefined);
    } catch (e) {
      this.link = undefined;
      this.notice('warn', `stack capture unavailable (${(e as Error).message}); reporting stall durations only`);
    }
  }

  private readonly pendingNames = new Map<number, string | undefined>();
  /** The main loop's epoll fd, learned from samples taken while its heartbeat is fresh (Linux). */
  private loopFd: number | undefined;
  private loopFdVotes: number[] = [];
  private checks = 0;

  private learnLoopFd(): void {
    if (this.loopFd !== undefined || this.loopFdVotes.length > 50 || ++this.checks % 7 !== 0) return;
    const fd = epollWaitFd(process.pid);
    if (fd === undefined) {
      this.loopFdVotes.length = 51; // not available here: stop trying
      return;
    }
    if (fd < 0) return;
    this.loopFdVotes.push(fd);
    const last = this.loopFdVotes.slice(-3);
    if (last.length === 3 && last.every((x) => x === fd)) this.loopFd = fd;
  }

  /** The main thread sits idle in its own event loop (so a late heartbeat is CPU starvation). */
  private idleInLoop(t: ThreadWatch): boolean {
    return t.threadId === 0 && this.loopFd !== undefined && epollWaitFd(process.pid) === this.loopFd;
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
      lagSeen: Atomics.load(v.i32, 1),
      announced: threadId === 0,
      gone: false,
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
      if (this.main.v.f64[F_INSPECTOR] === 1) this.link.enableDebugger();
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
    if (t.stall && !t.stall.suppressed && t.stall.announced) this.finish(t, t.stall, t.stall.beat, hrMs() - t.stall.beat);
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
    if (m.type === 'listening') this.sendListening(m.server);
    else if (m.type === 'notice') this.notice(m.level, m.message);
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
    let next = Infinity;
    try {
      const now = hrMs();
      if (Atomics.load(this.main.v.i32, I_EXIT) === 1) {
        this.onExit();
        return;
      }
      if (this.link && this.main.v.f64[F_INSPECTOR] === 1) this.link.enableDebugger();
      for (const t of [...this.threads.values()]) next = Math.min(next, this.check(t, now));
      if (this.recent.length) this.recheckGc(now);
      if (now >= this.nextLagFlush) {
        this.flushLag();
        this.nextLagFlush = now + LAG_FLUSH_MS;
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
      this.drainLag(t);
      this.threadGone(t);
      return Infinity;
    }
    const beat = t.v.f64[F_BEAT];
    const s = t.stall;
    if (!s) {
      if (now - beat <= this.threshold) {
        if (t.threadId === 0 && now - beat < 2 * t.v.f64[F_HEARTBEAT]) this.learnLoopFd();
        return beat + this.threshold + 1;
      }
      this.begin(t, beat, now);
      return now + STALL_POLL_MS;
    }
    if (beat !== s.beat) {
      t.stall = undefined;
      if (!s.suppressed) this.end(t, s);
      return beat + this.threshold + 1;
    }
    if (!s.suppressed) {
      const pause = t.pauses.overlapping(s.beat, now);
      if (pause) {
        // A breakpoint hit inside the blocking code: from here the debugger holds the loop.
        if (s.announced) this.finish(t, s, s.beat, Math.max(0, pause.startHr - s.beat));
        s.suppressed = true;
      } else if (
        now - s.beat >= this.threshold + t.v.f64[F_HEARTBEAT] &&
        (!s.announced || now - s.lastSentHr >= ONGOING_UPDATE_MS) &&
        // Without a look at JavaScript on its stack, a thread idle in its own event loop is not
        // blocked but starved of CPU: let the exact duration at the end decide.
        !(s.first ? s.first.result.frames.length === 0 : this.idleInLoop(t))
      ) {
        s.announced = true;
        s.lastSentHr = now;
        this.send(t, s, { ongoing: true, startHr: s.beat, durationMs: now - s.beat });
      }
    }
    return now + STALL_POLL_MS;
  }

  private begin(t: ThreadWatch, beat: number, now: number): void {
    const suppressed = t.pauses.paused || !!t.pauses.overlapping(beat, now);
    const seq = suppressed ? 0 : ++t.seq;
    const s: StallState = {
      seq,
      id: `${process.pid}.${t.threadId}.${seq}`,
      beat,
      detectedHr: now,
      suppressed,
      announced: false,
      lastSentHr: 0,
      capture: undefined,
      first: undefined,
      second: undefined,
      stale: false,
    };
    t.stall = s;
    if (suppressed || !this.link || !this.o.stacks) return;
    s.capture = this.look(t, s).then((first) => {
      if (!first) return;
      if (first.result.stale) {
        s.stale = true;
        return;
      }
      s.first = first;
      if (first.delayMs <= LATE_MS) return this.liveUpdate(t, s);
      // The snapshot ran only once a non-interruptible call returned. If the thread stays blocked,
      // what blocks it now is interruptible code: a second look shows it.
      const again = setTimeout(() => {
        if (!this.stillBlocked(t, s)) return;
        this.look(t, s).then((second) => {
          if (second && !second.result.stale && second.delayMs <= LATE_MS) {
            s.second = second;
            this.liveUpdate(t, s);
          }
        }, () => undefined);
      }, LATE_END_MS);
      again.unref();
    }, () => undefined);
  }

  private stillBlocked(t: ThreadWatch, s: StallState): boolean {
    return t.stall === s && t.v.f64[F_BEAT] === s.beat && !s.suppressed;
  }

  /** A look arrived while the stall goes on: the announced version gets its stack. */
  private liveUpdate(t: ThreadWatch, s: StallState): void {
    if (!s.announced || !this.stillBlocked(t, s)) return;
    s.lastSentHr = hrMs();
    this.send(t, s, { ongoing: true, startHr: s.beat, durationMs: s.lastSentHr - s.beat });
  }

  private look(t: ThreadWatch, s: StallState): Promise<Look | undefined> {
    const link = this.link;
    if (!link) return Promise.resolve(undefined);
    const requestedHr = hrMs();
    // Only the main thread's kernel thread id is known (it is the pid); workers fall back to wall time.
    const sched0: SchedTimes | undefined = t.threadId === 0 ? readSchedstat(process.pid) : undefined;
    const p = t.threadId === 0 ? link.captureMain(s.beat) : link.captureWorker(t.threadId, s.beat);
    return p.then((result) => {
      if (!result) return undefined;
      const sched1 = sched0 ? readSchedstat(process.pid) : undefined;
      const waited = sched0 && sched1 ? sched1.runqueueMs - sched0.runqueueMs : 0;
      return { result, atHr: result.t, delayMs: Math.max(0, result.t - requestedHr - waited), exact: !!(sched0 && sched1) };
    });
  }

  private end(t: ThreadWatch, s: StallState): void {
    const gap = findGap(t.v, s.beat);
    // Without the record (ring overrun), fall back to the heartbeat gap less half a period.
    const endHr = gap ? gap.endBeat : t.v.f64[F_BEAT];
    const durationMs = gap ? gap.activeMs : Math.max(0, endHr - s.beat - t.v.f64[F_HEARTBEAT] / 2);
    const startHr = endHr - durationMs;
    const pause = t.pauses.overlapping(s.beat, endHr);
    if (pause) {
      if (s.announced) this.finish(t, s, s.beat, Math.max(0, pause.startHr - s.beat));
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
    const { first, second } = s;
    if (!first) return undefined;
    const resolver = this.resolver;
    const probeFile = this.d.probeFile;
    if (endHr === undefined) {
      // While it lasts, only a prompt look is shown; a late one waits for the end to be judged.
      const prompt = first.delayMs <= LATE_MS ? first : second;
      return prompt ? interpretCapture(prompt.result.frames, probeFile, resolver, false) : undefined;
    }
    const endLook = endHr - first.atHr;
    const late = endLook < LATE_END_MS ? first.delayMs > SOON_MS : first.exact && first.delayMs > LATE_MS;
    debug(() => `${s.id} look delay ${first.delayMs.toFixed(2)} exact ${first.exact} end-look ${(endHr - first.atHr).toFixed(2)} late ${late} second ${second ? (endHr - second.atHr).toFixed(2) : '-'}`);
    const it = interpretCapture(first.result.frames, probeFile, resolver, late);
    // Late and not trustworthy, but the thread went on blocking in code the second look saw.
    if (!it.culprit && late && second && endHr - second.atHr >= LATE_END_MS) return interpretCapture(second.result.frames, probeFile, resolver, false);
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
        handler: s.first && !at.idle ? s.first.result.handler : null,
        ...(cause ? { cause } : {}),
      };
      this.transport.send({ type: 'stall', stall });
      this.reportMapFailures();
    } catch {
      // a malformed capture must not take the watchdog down
    }
  }

  private drainLag(t: ThreadWatch): void {
    const recs: LagRecord[] = [];
    t.lagSeen = readLag(t.v, t.lagSeen, recs);
    for (const r of recs) {
      this.lagOut.push({
        pid: process.pid,
        threadId: t.threadId,
        atMs: round2(r.atHr + this.d.epochOffset),
        intervalMs: round2(r.intervalMs),
        p50Ms: round2(r.p50Ms),
        p99Ms: round2(r.p99Ms),
        maxMs: round2(r.maxMs),
        elu: Math.round(r.elu * 1000) / 1000,
      });
    }
  }

  private flushLag(): void {
    for (const t of this.threads.values()) this.drainLag(t);
    while (this.lagOut.length) this.transport?.send({ type: 'lag', samples: this.lagOut.splice(0, 1000) });
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
          this.finish(t, s, s.beat, now - s.beat);
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
