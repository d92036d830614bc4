/**
 * The looks at a blocked thread while its stall lasts (looks.ts judges them): the first at
 * detection; if it was late, more LATE_END_MS apart until one is prompt; then samples while a long
 * stall goes on. Each is the snapshot function run on top of the blocked stack (inspectorLink.ts).
 */
import { hrMs } from './clock';
import type { InspectorLink } from './inspectorLink';
import { LATE_END_MS, LATE_MS, MAX_SAMPLES, nextSampleInMs, type Look } from './looks';
import { readSchedstat, type SchedTimes } from './threadState';
import { stillBlocked, type EarlyLook, type StallState, type WatchedThread } from './watchedThread';

/** Looks after a late first one, LATE_END_MS apart, while the thread stays blocked. */
const MAX_LATE_RETRIES = 3;

export interface LookHost {
  /** The inspector session, while there is one. */
  link(): InspectorLink | undefined;
  debuggerOpen(): boolean;
  /** A look arrived while the stall goes on (its announced version may now get a stack). */
  onLook(t: WatchedThread, s: StallState): void;
}

export class StallLooks {
  constructor(private readonly host: LookHost) {}

  /**
   * A look before the thread is known to stall: it has been busy for nearly the threshold (or was
   * seen busy while parked). If it does stall in the same turn (`beat`), the look votes with the
   * others (looks.ts, preferSamples): the one at the threshold can arrive after a block just over
   * it has ended, or in the next task of the turn. It does not replace that look: the early one may
   * have seen the task before the block.
   */
  early(t: WatchedThread, beat: number): EarlyLook {
    return { beat, look: this.look(t, beat) };
  }

  /** The first look, requested at detection (`s.capture` resolves when it is in); an early one for this turn votes too. */
  start(t: WatchedThread, s: StallState, early?: EarlyLook): void {
    if (early?.beat === s.beat) {
      early.look.then((look) => {
        if (look && !look.result.stale) s.samples.unshift(look);
      }, () => undefined);
    }
    s.capture = this.look(t, s.beat).then((first) => {
      if (!first) return;
      if (first.result.stale) {
        s.stale = true;
        return;
      }
      s.first = first;
      if (first.delayMs <= LATE_MS) {
        this.host.onLook(t, s);
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
  private lookAgain(t: WatchedThread, s: StallState, left: number): void {
    if (left <= 0) return this.sampleLater(t, s);
    this.lookLater(t, s, LATE_END_MS, () => true, (next) => {
      if (next.delayMs > LATE_MS) {
        s.lateRetries.push(next);
        return this.lookAgain(t, s, left - 1);
      }
      s.second = next;
      this.host.onLook(t, s);
      this.sampleLater(t, s);
    });
  }

  /** One more look later while the stall goes on (looks.ts: MAX_SAMPLES, preferSamples); none under a debugger. */
  private sampleLater(t: WatchedThread, s: StallState): void {
    const wanted = (): boolean => s.samples.length < MAX_SAMPLES && !this.host.debuggerOpen();
    if (!wanted()) return;
    this.lookLater(t, s, nextSampleInMs(hrMs() - s.sinceHr), wanted, (next) => {
      s.samples.push(next);
      this.sampleLater(t, s);
    });
  }

  /** A look in `inMs`, if the thread is still blocked in `s` and the look still `wanted` then; `then` gets it unless stale. */
  private lookLater(t: WatchedThread, s: StallState, inMs: number, wanted: () => boolean, then: (look: Look) => void): void {
    const later = setTimeout(() => {
      if (!stillBlocked(t, s) || !wanted()) return;
      this.look(t, s.beat).then((look) => {
        if (look && !look.result.stale) then(look);
      }, () => undefined);
    }, inMs);
    later.unref();
  }

  private look(t: WatchedThread, beat: number): Promise<Look | undefined> {
    const link = this.host.link();
    if (!link) return Promise.resolve(undefined);
    const p = t.threadId === 0 ? link.captureMain(beat) : link.captureWorker(t.threadId, beat);
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
}
