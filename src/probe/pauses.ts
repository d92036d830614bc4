/**
 * Debugger pauses per thread. A loop stopped at a breakpoint is not a stall: stalls that overlap a
 * pause are dropped (or, if already announced, ended where the pause began).
 */
export interface PauseSpan {
  seq: number;
  startHr: number;
  endHr: number | null;
  reason: string;
}

const KEEP = 64;

export class PauseTracker {
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

  /** The first pause overlapping [fromHr, toHr], if any. */
  overlapping(fromHr: number, toHr: number): PauseSpan | undefined {
    return this.spans.find((s) => s.startHr <= toHr && (s.endHr === null || s.endHr >= fromHr));
  }
}
