/**
 * The debugger pauses of one watched thread, as its inspector reports them (on the probe's hr
 * clock). Whether a busy time was a stall once they are taken out is the shared rule in
 * shared/pauses.ts, the same one the extension applies to the debug adapter's pauses.
 */
import { outsidePauses, overlapsPause, type BusyRemainder } from '../shared/pauses';

export interface PauseSpan {
  seq: number;
  startHr: number;
  endHr: number | null;
  reason: string;
}

const KEEP = 64;

export class ThreadPauses {
  private readonly spans: PauseSpan[] = [];
  private seq = 0;

  get paused(): boolean {
    const last = this.spans[this.spans.length - 1];
    return !!last && last.endHr === null;
  }

  /** Returns the new span, or undefined if already paused. */
  pause(atHr: number, reason: string): PauseSpan | undefined {
    if (this.paused) return undefined;
    const span: PauseSpan = { seq: ++this.seq, startHr: atHr, endHr: null, reason };
    this.spans.push(span);
    if (this.spans.length > KEEP) this.spans.shift();
    return span;
  }

  resume(atHr: number): PauseSpan | undefined {
    const last = this.spans[this.spans.length - 1];
    if (!last || last.endHr !== null) return undefined;
    last.endHr = atHr;
    return last;
  }

  /** The first pause overlapping [fromHr, toHr], if any (an open one lasts until now). */
  overlapping(fromHr: number, toHr: number): PauseSpan | undefined {
    return this.spans.find((s) => overlapsPause(fromHr, toHr, { startMs: s.startHr, endMs: s.endHr }));
  }

  /** What of the busy time [fromHr, toHr] is still a stall once the pauses are taken out (see outsidePauses). */
  remainder(fromHr: number, toHr: number, thresholdMs: number, nowHr: number): BusyRemainder | undefined {
    const spans = this.spans.map((s) => ({ startMs: s.startHr, endMs: s.endHr }));
    return outsidePauses(fromHr, toHr, spans, thresholdMs, nowHr);
  }
}
