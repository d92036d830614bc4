/**
 * When the watchdog looks. Without polling: each thread's heartbeat is read when it could first be
 * late, at `lastBeat + threshold`, so the watchdog wakes about once per threshold and detects at
 * the threshold exactly (to the timer's ~1 ms); while a stall lasts it looks every STALL_POLL_MS.
 *
 * Between looks it dozes in Atomics.wait rather than in its event loop when nothing needs the loop
 * (no capture, GC re-check, debugger or host traffic pending): a look is then a futex wake and a
 * few loads, not a timer turn of its event loop (CHANGELOG). The event loop still turns
 * for the lag flush, at least every DOZE_MAX_MS, and at once when woken (a message from the main
 * thread, a new thread, the exit: see heartbeatWriter.wake).
 */
import { hrMs } from './clock';
import { PARKED_POLL_MS, STALL_POLL_MS, type ParkedLoop } from './parkedLoop';
import type { ThreadRegistry } from './threadRegistry';
import type { WatchedThread } from './watchedThread';

/** The longest the watchdog dozes (Atomics.wait) before it gives its event loop a turn. */
const DOZE_MAX_MS = 500;
/** The longest between two timer turns. */
const MAX_TIMER_MS = 250;

export interface PollRound {
  /** One look at every thread, and the watchdog's periodic work: the hr time it is next due, or undefined to stop (exit). */
  poll(): number | undefined;
  /** Nothing needs the watchdog's event loop right now. */
  mayDoze(): boolean;
  /** hr ms by which the event loop must turn anyway (the lag flush). */
  turnBy(): number;
  thresholdMs(): number;
  /** When a running thread that has not stalled next needs a look (stallTracker.ts). */
  dueHr(t: WatchedThread): number;
}

type Doze = 'no' | 'due' | 'woken';

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly threads: ThreadRegistry,
    private readonly parked: ParkedLoop,
    private readonly round: PollRound,
  ) {}

  /** The first round at once: an inspector session does not keep this thread alive, the timer does. */
  start(): void {
    this.schedule(0);
  }

  /** No more rounds unless asked for (`roundNow`). */
  pause(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  stop(): void {
    this.stopped = true;
    this.pause();
  }

  /** A round now (an in-process flush), then on as usual. */
  roundNow(): void {
    this.pause();
    this.body();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.tick(), Math.max(1, Math.min(MAX_TIMER_MS, delayMs)));
  }

  private tick(): void {
    if (this.stopped) return;
    const dozed = this.dozeParked();
    if ((dozed === 'no' ? this.dozeRunning() : dozed) === 'woken') {
      this.schedule(0); // the event loop first: what woke it is a message
      return;
    }
    this.body();
  }

  private body(): void {
    let next: number | undefined;
    try {
      next = this.round.poll();
      if (next === undefined) return;
      next -= hrMs();
    } catch {
      next = STALL_POLL_MS;
    }
    this.schedule(next);
  }

  /**
   * Loops that run (under load, or a program with its own timers): between two looks the watchdog
   * waits in Atomics.wait instead of a libuv timer. Returns 'due' when a look may find a stall, a
   * thread parked or exited, or the lag is to be sent: the round goes on.
   */
  private dozeRunning(): Doze {
    if (!this.round.mayDoze()) return 'no';
    for (const t of this.threads.values()) if (t.stall || t.parked.unparkSent || t.parked.beat || t.gone) return 'no';
    const until = Math.min(hrMs() + DOZE_MAX_MS, this.round.turnBy());
    const wake = this.threads.main.hb;
    for (;;) {
      const now = hrMs();
      let due = until;
      for (const t of this.threads.values()) {
        if (t.hb.parked || t.hb.exiting) return 'due';
        due = Math.min(due, this.round.dueHr(t));
      }
      if (due <= now) return 'due';
      if (wake.doze(due - now)) return 'woken';
    }
  }

  /**
   * The only probed loop is parked and idle and nothing else is going on: the watchdog sleeps in
   * Atomics.wait between its looks through /proc instead of going through libuv timers (the timer
   * path was most of the idle cost). It comes back at once when the thread exits, resumes its
   * heartbeat (a request, a busy turn) or leaves its epoll. 'due': the round takes over at once.
   */
  private dozeParked(): Doze {
    const t = this.threads.main;
    if (this.threads.size !== 1 || t.stall || t.parked.unparkSent || !this.round.mayDoze()) return 'no';
    if (!t.hb.parked) return 'no';
    const step = Math.min(PARKED_POLL_MS, this.round.thresholdMs() + 1);
    const until = Math.min(hrMs() + DOZE_MAX_MS, this.round.turnBy());
    for (let now = hrMs(); now < until; now = hrMs()) {
      if (t.hb.doze(Math.min(step, until - now))) return 'woken';
      if (!t.hb.parked || !this.parked.idle()) return 'due';
      t.parked.idleSeenHr = hrMs();
      t.parked.beat = t.hb.beat;
    }
    return 'due';
  }
}
