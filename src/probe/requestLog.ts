/**
 * The victims of a stall: the HTTP requests it held up. On the main thread every request is noted
 * as it arrives, in a fixed ring (its time and its response object: two stores and an increment,
 * no allocation); only after a stall is the ring read, once:
 *
 *   in flight  arrived before the stall began and not answered when the loop blocked (as the
 *              snapshot saw it, on top of the blocked stack; without one: not answered yet). Its next
 *              step had to wait, for the whole stall at most.
 *   queued     its 'request' event fired during the stall or right after it: its bytes arrived while
 *              the loop could not read them. It waited from the stall's start, at most, to its event.
 *
 * The request whose handler blocked is not its own victim. The ring holds the last RING requests:
 * a stall that held up more is told as at least that many.
 */
import type { Victim, VictimState } from '../shared/protocol';
import { httpRequestLabel } from '../shared/protocol';

export const RING = 1024;
/** Labels kept per stall; the rest are folded into one entry. */
const MAX_LABELS = 50;
export const OTHER_LABEL = '(other requests)';
/** A queued request held up less than this was not really held up (it came as the stall ended). */
const MIN_DELAY_MS = 1;

interface ResponseLike {
  writableEnded?: boolean;
  req?: { method?: unknown; url?: unknown };
}

export class RequestLog {
  private readonly at = new Float64Array(RING);
  private readonly res: Array<ResponseLike | undefined> = new Array<ResponseLike | undefined>(RING).fill(undefined);
  /** Requests noted so far. */
  private n = 0;
  /** Seen by the snapshot while the loop was blocked: the stall's beat, the request running, those in flight. */
  private blocked: { beat: number; culprit: unknown; inFlight: number[] } | undefined;

  /** Per request, on the main thread (keep it cheap): its response object and the hr time. */
  note(res: unknown, nowHr: number): void {
    const i = this.n++ % RING;
    this.at[i] = nowHr;
    this.res[i] = res as ResponseLike;
  }

  /** From the snapshot, on top of the blocked stack: what is in flight right now. `culpritReq`: the request running. */
  markBlocked(beat: number, culpritReq: unknown): void {
    if (this.blocked?.beat === beat) return;
    const inFlight: number[] = []; // request numbers, not slots: a slot may be reused by the time the stall ends
    for (let k = Math.max(0, this.n - RING); k < this.n; k++) {
      const r = this.res[k % RING];
      if (r && !r.writableEnded && r.req !== culpritReq) inFlight.push(k);
    }
    this.blocked = { beat, culprit: culpritReq, inFlight };
  }

  /**
   * The victims of the stall that began after the heartbeat `beat` and was busy
   * [startHr, startHr + durationMs]. Called once the loop has turned after it, so the requests that
   * queued up have been read.
   */
  victims(beat: number, startHr: number, durationMs: number): Victim[] {
    const blocked = this.blocked?.beat === beat ? this.blocked : undefined;
    this.blocked = undefined;
    const groups = new Map<string, Required<Victim>>();
    const add = (res: ResponseLike, state: VictimState, delayedMs: number): void => {
      let label = httpRequestLabel(res.req?.method, res.req?.url);
      let g = groups.get(`${state} ${label}`);
      if (!g && groups.size >= MAX_LABELS) {
        label = OTHER_LABEL;
        g = groups.get(`${state} ${label}`);
      }
      if (!g) groups.set(`${state} ${label}`, (g = { label, delayedMs: 0, state, count: 0 }));
      g.count++;
      g.delayedMs = Math.max(g.delayedMs, Math.round(delayedMs * 100) / 100);
    };
    const first = Math.max(0, this.n - RING);
    const inFlight = blocked ? new Set(blocked.inFlight) : undefined;
    for (let k = first; k < this.n; k++) {
      const t = this.at[k % RING];
      const res = this.res[k % RING];
      if (!res || (blocked && res.req === blocked.culprit)) continue;
      if (t >= startHr) {
        const delayedMs = Math.min(durationMs, t - startHr);
        if (delayedMs >= MIN_DELAY_MS) add(res, 'queued', delayedMs);
      } else if (inFlight ? inFlight.has(k) : !res.writableEnded) {
        add(res, 'in-flight', durationMs);
      }
    }
    return [...groups.values()].map((g) => (g.count === 1 ? { label: g.label, delayedMs: g.delayedMs, state: g.state } : g));
  }
}
