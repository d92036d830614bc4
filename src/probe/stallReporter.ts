/**
 * Sends a stall to the host, at detection, while it lasts and in its final form (stallReport.ts
 * builds the message), and again when what arrives after it changes it: its victims, GC records.
 * What a final stall reveals also changes what its thread records from then on (requests across
 * awaits, GC pauses).
 */
import * as path from 'node:path';
import type { RequestContextMode } from '../shared/protocol/options';
import { hrMs } from './clock';
import { debug } from './debugLog';
import { ReportedStalls } from './reportedStalls';
import type { StallRequests } from './requestLog';
import type { Sink } from './sink';
import type { SourceMapResolver } from './sourceMaps';
import { explain, mayBeGc, stallCause, stallMessage, wantsRequestTracking } from './stallReport';
import { threadRef } from './threadRegistry';
import type { StallState, StallTiming, WatchedThread } from './watchedThread';

export interface ReporterContext {
  probeFile: string;
  resolver: SourceMapResolver;
  epochOffset: number;
  requestContext: RequestContextMode;
  debuggerOpen(): boolean;
}

export class StallReporter {
  private readonly reported = new ReportedStalls();
  private mapFailuresSent = 0;

  constructor(
    private readonly sink: Sink | undefined,
    private readonly c: ReporterContext,
  ) {}

  /** Something sent may still change (a GC re-check): the watchdog keeps its event loop turning. */
  get pending(): boolean {
    return this.reported.watchingGc;
  }

  send(t: WatchedThread, s: StallState, at: StallTiming): void {
    if (!this.sink) return;
    try {
      const it = at.idle ? undefined : this.interpret(s, at.ongoing ? undefined : at.startHr + at.durationMs);
      const cause = at.idle ? undefined : stallCause(at, it, (from, to) => t.hb.gcTimeWithin(from, to));
      if (!at.ongoing) this.reported.settle(t, s, at, cause?.kind !== 'gc', hrMs());
      const stall = stallMessage(s, threadRef(t), at, this.c.epochOffset, it, cause);
      this.sink.send({ type: 'stall', stall });
      if (!at.ongoing) {
        if (wantsRequestTracking(stall, this.c.requestContext) && t.hb.trackRequests()) {
          debug(() => `thread ${t.threadId}: requests are carried across awaits from now on (stall ${stall.id} ran outside a handler's synchronous code)`);
        }
        if (mayBeGc(stall) && t.hb.watchGc()) debug(() => `thread ${t.threadId}: GC pauses are recorded from now on (stall ${stall.id} was not explained)`);
      }
      this.reportMapFailures();
    } catch {
      // a malformed capture must not take the watchdog down
    }
  }

  /**
   * The victims of a main-thread stall arrive after the stall ended (the main thread reads them
   * once the loop turned). The stall may be final already (sent again, with them), or not yet seen to end.
   */
  victims(main: WatchedThread, prevBeat: number, told: StallRequests): void {
    if (!Array.isArray(told.victims) || !told.victims.length) return;
    const final = this.reported.victims(prevBeat, told, main.stall);
    if (final) this.send(final.t, final.s, final.at);
  }

  /** Stalls reported before their GC records arrived, sent again when those show they were GC. */
  recheckGc(now: number): void {
    for (const r of this.reported.gcRevealed(now)) this.send(r.t, r.s, r.at);
  }

  private interpret(s: StallState, endHr: number | undefined): ReturnType<typeof explain>['it'] {
    const e = explain(s, endHr, { probeFile: this.c.probeFile, resolver: this.c.resolver, debuggerOpen: this.c.debuggerOpen() });
    if (endHr === undefined) return e.it;
    s.chosen = e.chosen;
    const first = s.first;
    if (first) {
      debug(() => {
        const c = e.it?.culprit;
        const second = s.second ? ` second ${s.second.delayMs.toFixed(2)} at +${(s.second.atHr - first.atHr).toFixed(0)}` : '';
        const samples = s.samples.length ? ` samples ${s.samples.length}${e.chosen ? ' (overruled the first)' : ''}` : '';
        return `${s.id} look delay ${first.delayMs.toFixed(2)} exact ${first.exact} end-look ${(endHr - first.atHr).toFixed(2)} late ${e.late}${second}${samples} → ${c ? `${path.basename(c.file)}:${c.line}` : 'no culprit'}`;
      });
    }
    if (e.discardFirst) s.first = undefined; // nor does its handler tell anything
    return e.it;
  }

  /** A broken or missing source map is worth telling once: the user sees generated locations. */
  private reportMapFailures(): void {
    const f = this.c.resolver.failures;
    while (this.mapFailuresSent < f.length) {
      const message = `Stallscope: source map not used, generated location kept: ${f[this.mapFailuresSent++]}`;
      this.sink?.send({ type: 'notice', pid: process.pid, level: 'info', message: message.slice(0, 2048) });
    }
  }
}
