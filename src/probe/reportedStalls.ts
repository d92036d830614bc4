/**
 * The stalls already reported in their final form, in one store: a stall may have to be sent again
 * when its victims arrive (the main thread reads them after the stall ended) or when its thread's
 * GC records arrive (they come after the fact) and show it was a GC. Victims may also arrive
 * before the watchdog saw the stall end; they wait here for it.
 */
import type { StallRequests } from './requestLog';
import type { StallState, StallTiming, WatchedThread } from './watchedThread';

/** Final stalls kept for their victims. */
const KEEP_FINALS = 16;
/** Victims kept for stalls not seen to end yet. */
const KEEP_EARLY = 16;
/** How long a reported stall is re-checked against GC records that arrive after it. */
const GC_RECHECK_MS = 2000;

export interface Reported {
  t: WatchedThread;
  s: StallState;
  /** As first reported in final form. */
  at: StallTiming;
  /** Sent as "not a stall after all" (idle): no victims are added to it. */
  idle: boolean;
  /** The GC counter when last checked. */
  gcSeen: number;
  /** Re-checked against new GC records until then (hr ms); 0: not (any more). */
  gcUntilHr: number;
  /** Was it ever re-checked (a stall is watched for GC once). */
  gcWatched: boolean;
}

export class ReportedStalls {
  private entries: Reported[] = [];
  /** Victims of a stall whose end has not been seen yet, by the stall's beat (main thread). */
  private readonly early = new Map<number, StallRequests>();

  /**
   * A stall is about to be sent in its final form: remember it (once; the first timing stays), and
   * hand it victims that came early. `watchGc`: its cause is not GC yet, so later GC records may say it was.
   */
  settle(t: WatchedThread, s: StallState, at: StallTiming, watchGc: boolean, nowHr: number): void {
    let e = this.entries.find((r) => r.s === s);
    if (!e) {
      e = { t, s, at: { startHr: at.startHr, durationMs: at.durationMs }, idle: !!at.idle, gcSeen: 0, gcUntilHr: 0, gcWatched: false };
      this.entries.push(e);
    } else if (!at.idle) e.idle = false;
    if (watchGc && !e.gcWatched) {
      e.gcWatched = true;
      e.gcSeen = t.hb.gcCount;
      e.gcUntilHr = nowHr + GC_RECHECK_MS;
    }
    const told = this.early.get(s.beat);
    if (told) {
      tell(s, told);
      this.early.delete(s.beat);
    }
    this.prune(nowHr);
  }

  /**
   * Victims of the main thread's stall that began after `prevBeat`: the final stall to send again
   * with them, if it was reported already; else they wait for it (or go to the open stall, `open`).
   */
  victims(prevBeat: number, told: StallRequests, open: StallState | undefined): Reported | undefined {
    const final = this.entries.find((r) => !r.idle && r.t.threadId === 0 && r.s.beat === prevBeat);
    if (final) {
      tell(final.s, told);
      return final;
    }
    if (open?.beat === prevBeat) tell(open, told);
    else {
      this.early.set(prevBeat, told);
      if (this.early.size > KEEP_EARLY) this.early.delete(this.early.keys().next().value as number);
    }
    return undefined;
  }

  /** Some stall is still re-checked against GC records (the watchdog keeps its event loop turning). */
  get watchingGc(): boolean {
    return this.entries.some((e) => e.gcUntilHr > 0);
  }

  /** The stalls that new GC records show were mostly GC: to be sent again (each once). */
  gcRevealed(nowHr: number): Reported[] {
    const out: Reported[] = [];
    for (const e of this.entries) {
      if (e.gcUntilHr === 0) continue;
      if (e.gcUntilHr <= nowHr || e.t.gone) {
        e.gcUntilHr = 0;
        continue;
      }
      const n = e.t.hb.gcCount;
      if (n === e.gcSeen) continue;
      e.gcSeen = n;
      if (e.t.hb.gcTimeWithin(e.at.startHr, e.at.startHr + e.at.durationMs) >= e.at.durationMs / 2) {
        e.gcUntilHr = 0;
        out.push(e);
      }
    }
    this.prune(nowHr);
    return out;
  }

  /** Keeps the last KEEP_FINALS final stalls, and any still watched for GC. */
  private prune(nowHr: number): void {
    let finals = 0;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      const asFinal = !e.idle && finals++ < KEEP_FINALS;
      if (!asFinal && !(e.gcUntilHr > nowHr && !e.t.gone)) this.entries.splice(i, 1);
    }
  }
}

function tell(s: StallState, told: StallRequests): void {
  s.victims = told.victims;
  s.backToBack = told.backToBack.length ? told.backToBack : undefined;
}
