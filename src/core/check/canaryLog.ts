/**
 * The canary's requests as the engine sees them: answered ones with their latency, and those still
 * waiting. A request held up by a long stall may still be waiting when its endpoint is judged;
 * leaving it out would drop exactly the worst latencies, so it counts with how long it has waited
 * so far (a lower bound), as a request without an answer.
 */
import type { FromWorker } from './workerProtocol';
import type { CanarySample } from './verdict';

export const STILL_WAITING = 'no answer yet';

export class CanaryLog {
  private readonly answered: CanarySample[] = [];
  private readonly waiting = new Map<number, number>(); // seq -> sentMs

  onMessage(m: FromWorker): void {
    if (m.type === 'sent') this.waiting.set(m.seq, m.sentMs);
    else if (m.type === 'sample') {
      this.waiting.delete(m.seq);
      const { seq: _seq, type: _type, ...sample } = m;
      this.answered.push(sample);
    }
  }

  /** Every request so far; those still waiting with their latency up to `nowMs`. */
  samples(nowMs = Date.now()): CanarySample[] {
    const waiting = [...this.waiting.values()].map((sentMs) => ({ sentMs, latencyMs: Math.max(0, nowMs - sentMs), error: STILL_WAITING }));
    return waiting.length ? [...this.answered, ...waiting] : this.answered;
  }

  /** Whether a request sent up to `toMs` is still waiting for its answer. */
  waitingUntil(toMs: number): boolean {
    for (const sentMs of this.waiting.values()) if (sentMs <= toMs) return true;
    return false;
  }
}
