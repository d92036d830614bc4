/**
 * Watching a loop whose heartbeat is parked (heartbeat.ts, park): its beats stopped because it was
 * idle, so a silent heartbeat alone no longer means blocked. /proc says where the main thread
 * sleeps (threadState.ts): in its own event loop's epoll it is idle; anywhere else (running, or
 * asleep in Atomics.wait, a sync read, spawnSync) it may be blocked, and the watchdog asks it to
 * beat again. One that does not within UNPARK_GRACE_MS is stuck.
 */
import { debug } from './debugLog';
import { epollWaitFd } from './threadState';
import type { WatchedThread } from './watchedThread';

/**
 * How often a parked (idle) main loop is looked at through /proc: the probe's whole idle cost. The
 * look is due anyway at the threshold after the last time it was seen idle (so a block that starts
 * right after is still caught while it lasts); this caps the period for high thresholds.
 */
export const PARKED_POLL_MS = 100;
/** How long a parked loop seen busy gets to resume its heartbeat before it counts as stuck. */
const UNPARK_GRACE_MS = 5;
/** How often a thread that may be stalled is looked at. */
export const STALL_POLL_MS = 10;

export class ParkedLoop {
  /**
   * How often the main thread was seen waiting on each epoll instance, and the one it waits on
   * most: its event loop's (the process has several: the platform's, the inspector's, spawnSync's
   * own loop, made before or after it). A wrong first guess is outvoted within two looks.
   */
  private readonly epollSeen = new Map<number, number>();
  private loopFd = -1;

  /** `unpark`: asks the main thread to beat again. */
  constructor(private readonly unpark: () => void) {}

  /** Whether /proc can tell a parked loop idle from a blocked one here (else the heartbeat never parks). */
  static available(): boolean {
    return epollWaitFd(process.pid) !== undefined;
  }

  /**
   * The parked main loop sleeps in its own epoll: idle. Its CPU time cannot tell: a loop blocked in
   * Atomics.wait, a sync read or spawnSync uses none either. The loop's own turns beat on their own
   * while it is parked (heartbeat.ts), so a short task between two looks needs no look to be seen.
   */
  idle(): boolean {
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
   * A parked thread with no stall open: the last evidence that its loop turned (its beat, when it
   * parked, or when it was last seen idle), and `nextHr` when that evidence is fresh enough that no
   * stall can have begun: look again then. `busy`: it was just seen out of its loop's sleep.
   */
  check(t: WatchedThread, now: number, thresholdMs: number): { since: number; nextHr?: number; busy?: boolean } {
    const p = t.parked;
    const beat = t.hb.beat;
    const since = Math.max(beat, t.hb.parkedAt, p.idleSeenHr);
    p.beat = beat;
    let busy = false;
    if (!p.unparkSent) {
      if (this.idle()) {
        p.idleSeenHr = now;
        return { since, nextHr: now + Math.min(PARKED_POLL_MS, thresholdMs + 1) };
      }
      // It is not asleep in its loop: beat again (if it is blocked, this waits, and the stall shows).
      p.unparkSent = true;
      p.unparkSentHr = now;
      this.unpark();
      busy = true;
    }
    // A loop that is merely busy honours the unpark within a turn; only one that does not is stuck.
    if (now - p.unparkSentHr < UNPARK_GRACE_MS) {
      return { since, busy, nextHr: Math.max(p.unparkSentHr + UNPARK_GRACE_MS, Math.min(now + STALL_POLL_MS, since + thresholdMs + 1)) };
    }
    return { since, busy };
  }
}
