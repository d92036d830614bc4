/**
 * A thread's stalls, from its heartbeat: one begins when the beat is late by the threshold (the
 * first look is requested then), is announced while it lasts, and ends when the beat moves, with
 * its exact duration from the heartbeat's gap record. A debugger pause it overlaps is not a stall.
 */
import { hrMs } from './clock';
import type { InspectorLink } from './inspectorLink';
import { PARKED_POLL_MS, STALL_POLL_MS, type ParkedLoop } from './parkedLoop';
import type { StallLooks } from './stallLooks';
import type { StallReporter } from './stallReporter';
import { readSchedstat } from './threadState';
import { newStall, stillBlocked, type StallState, type WatchedThread } from './watchedThread';

const ONGOING_UPDATE_MS = 1000;
/** After a stall ended, how long to wait for a capture still in flight (a native call returning late). */
const CAPTURE_GRACE_MS = 500;
/** The same at exit, where the main thread waits for the watchdog. */
const CAPTURE_GRACE_EXITING_MS = 50;

export interface TrackerHost {
  thresholdMs(): number;
  link(): InspectorLink | undefined;
  stacks: boolean;
  debuggerOpen(): boolean;
  exiting(): boolean;
  /** A worker thread's heartbeat says it exits. */
  threadExited(t: WatchedThread, now: number): void;
}

export class StallTracker {
  /** Final stalls waiting for their first look (bounded by CAPTURE_GRACE_MS). */
  readonly finishing = new Set<Promise<void>>();

  constructor(
    private readonly host: TrackerHost,
    private readonly looks: StallLooks,
    private readonly reporter: StallReporter,
    private readonly parked: ParkedLoop,
  ) {}

  /** Checks one thread; returns the hr time it next needs a look. */
  check(t: WatchedThread, now: number): number {
    if (t.gone) return Infinity;
    if (t.threadId !== 0 && t.hb.exiting) {
      this.host.threadExited(t, now);
      return Infinity;
    }
    const threshold = this.host.thresholdMs();
    const beat = t.hb.beat;
    const s = t.stall;
    const parked = t.hb.parked;
    if (!parked) {
      t.parked.unparkSent = false;
      if (t.parked.beat && !s) this.missedWhileParked(t);
    }
    // The last evidence that the loop turned: its beat, or (parked) the last time it was seen idle.
    let since = beat;
    if (parked && !s) {
      const p = this.parked.check(t, now, threshold);
      if (p.busy && this.earlyLooks()) t.early = this.looks.early(t, beat);
      if (p.nextHr !== undefined) return p.nextHr;
      since = p.since;
    }
    if (!s) {
      if (now - since <= threshold) {
        if (parked) return Math.min(now + STALL_POLL_MS, since + threshold + 1);
        if (now >= this.earlyLookHr(t, beat)) t.early = this.looks.early(t, beat);
        return this.dueHr(t);
      }
      t.parked.beat = 0; // the stall's own end reads that gap record
      this.begin(t, beat, since, now);
      return now + STALL_POLL_MS;
    }
    if (beat !== s.beat) {
      t.stall = undefined;
      t.hb.markStalled(0);
      if (!s.suppressed) this.end(t, s);
      return this.dueHr(t);
    }
    if (s.suppressed) this.afterPause(t, s, now);
    else this.goesOn(t, s, now, parked);
    return now + STALL_POLL_MS;
  }

  /**
   * When a running thread (its heartbeat not parked) that has not stalled next needs a look: at its
   * early look (a period before the threshold), or at the threshold after its last beat.
   */
  dueHr(t: WatchedThread): number {
    const beat = t.hb.beat;
    return Math.min(this.earlyLookHr(t, beat), beat + this.host.thresholdMs() + 1);
  }

  /**
   * Looks early, a heartbeat period before the threshold: a stall just over the threshold then
   * still has its stack when the look lands. It costs a look for each block that comes within a
   * period of the threshold without reaching it, and the watchdog's doze wakes a period earlier.
   * Not under a debugger, where a look takes tens of milliseconds of the thread's time: it would
   * itself make a near block a stall.
   */
  private earlyLooks(): boolean {
    return this.host.stacks && !!this.host.link() && !this.host.debuggerOpen();
  }

  private earlyLookHr(t: WatchedThread, beat: number): number {
    if (t.early?.beat === beat || !this.earlyLooks()) return Infinity;
    const at = this.host.thresholdMs() - t.hb.periodMs;
    return at > 0 ? beat + at : Infinity;
  }

  /** The watchdog is exiting: every stall ends with what is known now. */
  endAll(threads: Iterable<WatchedThread>, now: number): void {
    for (const t of threads) {
      const s = t.stall;
      if (!s) continue;
      if (t.hb.beat !== s.beat) {
        t.stall = undefined;
        if (!s.suppressed) this.end(t, s);
      } else if (!s.suppressed && s.announced) {
        this.finish(t, s, s.sinceHr, now - s.sinceHr);
      }
    }
  }

  /** A worker terminated while blocked: its stall ends here. */
  endGone(t: WatchedThread): void {
    const s = t.stall;
    if (s && !s.suppressed && s.announced) this.finish(t, s, s.sinceHr, hrMs() - s.sinceHr);
    t.stall = undefined;
  }

  /** A look arrived while the stall goes on: the announced version gets its stack. */
  liveUpdate(t: WatchedThread, s: StallState): void {
    if (!s.announced || !stillBlocked(t, s)) return;
    s.lastSentHr = hrMs();
    this.reporter.send(t, s, { ongoing: true, startHr: s.sinceHr, durationMs: s.lastSentHr - s.sinceHr });
  }

  private begin(t: WatchedThread, beat: number, since: number, now: number): void {
    const suppressed = t.pauses.paused || !!t.pauses.overlapping(since, now);
    const s = newStall(t.threadId, suppressed ? 0 : ++t.seq, beat, since, now, suppressed, t.threadId === 0 ? readSchedstat(process.pid) : undefined);
    t.stall = s;
    // The thread notes the requests that queue up behind it from now on (requestLog.ts).
    t.hb.markStalled(beat);
    const early = t.early;
    t.early = undefined;
    if (suppressed || !this.host.link() || !this.host.stacks) return;
    this.looks.start(t, s, early);
  }

  /**
   * The loop turn a debugger paused goes on after Continue (the rest of the handler that hit the
   * breakpoint): once that rest alone reaches the threshold it is a stall of its own, from the
   * pause's end (shared/pauses.ts, outsidePauses).
   */
  private afterPause(t: WatchedThread, s: StallState, now: number): void {
    if (t.pauses.paused) return;
    const rest = t.pauses.remainder(s.sinceHr, now, this.host.thresholdMs(), now);
    if (!rest || rest.endsAtPause || rest.startMs <= s.sinceHr) return;
    this.begin(t, s.beat, rest.startMs, now);
  }

  /** The stall goes on: it may have hit a breakpoint, or be due to be announced (again). */
  private goesOn(t: WatchedThread, s: StallState, now: number, parked: boolean): void {
    const threshold = this.host.thresholdMs();
    const pause = t.pauses.overlapping(s.sinceHr, now);
    if (pause) {
      // A breakpoint hit inside the blocking code: from here the debugger holds the loop. What
      // blocked before it is a stall if it alone reached the threshold.
      const before = t.pauses.remainder(s.sinceHr, now, threshold, now);
      if (before?.endsAtPause) this.finish(t, s, before.startMs, before.endMs - before.startMs);
      else if (s.announced) this.finish(t, s, s.sinceHr, Math.max(0, pause.startHr - s.sinceHr));
      s.suppressed = true;
    } else if (
      now - s.sinceHr >= threshold + (parked ? Math.min(PARKED_POLL_MS, threshold + 1) : t.hb.periodMs) &&
      (!s.announced || now - s.lastSentHr >= ONGOING_UPDATE_MS) &&
      // Without a look at JavaScript on its stack, a thread that only waited for a CPU is not
      // blocked but starved: let the exact duration at the end decide.
      !(s.first ? s.first.result.frames.length === 0 : this.starved(s, now))
    ) {
      s.announced = true;
      s.lastSentHr = now;
      this.reporter.send(t, s, { ongoing: true, startHr: s.sinceHr, durationMs: now - s.sinceHr });
    }
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

  /**
   * A parked loop was unparked (a request, a busy turn, the watchdog) after a block that had
   * finished before a look could catch it past the threshold (a block of about the threshold's
   * length right after a look). The heartbeat's gap records still know how long it was busy: if
   * that was a stall, report it, without a stack.
   */
  private missedWhileParked(t: WatchedThread): void {
    const gaps = t.hb.gapsSince(t.parked.beat);
    t.parked.beat = 0;
    for (const g of gaps) {
      if (g.activeMs < this.host.thresholdMs()) continue;
      const s = newStall(t.threadId, ++t.seq, g.prevBeat, g.endBeat - g.activeMs, g.endBeat, false, undefined);
      if (!t.pauses.overlapping(s.sinceHr, g.endBeat)) this.reporter.send(t, s, { startHr: s.sinceHr, durationMs: g.activeMs });
    }
  }

  private end(t: WatchedThread, s: StallState): void {
    const gap = t.hb.gapAfter(s.beat);
    // Without the record (ring overrun), fall back to the heartbeat gap less half a period.
    const endHr = gap ? gap.endBeat : t.hb.beat;
    const durationMs = gap ? gap.activeMs : Math.max(0, endHr - s.sinceHr - t.hb.periodMs / 2);
    const startHr = endHr - durationMs;
    const pause = t.pauses.overlapping(Math.min(startHr, s.sinceHr), endHr);
    if (pause) {
      // The gap's busy time counts the pause: what is left outside it, if still a stall.
      const rest = t.pauses.remainder(Math.max(startHr, Math.min(s.sinceHr, pause.startHr)), endHr, this.host.thresholdMs(), hrMs());
      if (rest) this.finish(t, s, rest.startMs, rest.endMs - rest.startMs);
      else if (s.announced) this.finish(t, s, s.sinceHr, Math.max(0, pause.startHr - s.sinceHr));
      return;
    }
    if (durationMs < this.host.thresholdMs()) {
      // The loop idled most of the gap: not a stall (typically a process starved of CPU). If it was
      // already announced, its final version says what it really was: a short busy time, no culprit.
      if (s.announced) this.reporter.send(t, s, { startHr, durationMs, idle: true });
      return;
    }
    this.finish(t, s, startHr, durationMs);
  }

  private finish(t: WatchedThread, s: StallState, startHr: number, durationMs: number): void {
    const done = (): void => this.reporter.send(t, s, { startHr, durationMs });
    if (!s.capture || s.first || s.stale) return done();
    const grace = this.host.exiting() ? CAPTURE_GRACE_EXITING_MS : CAPTURE_GRACE_MS;
    const p = Promise.race([s.capture, new Promise((r) => setTimeout(r, grace))])
      .then(done, done)
      .finally(() => this.finishing.delete(p));
    this.finishing.add(p);
  }
}
