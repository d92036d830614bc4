/**
 * The victims of a stall: the HTTP requests it held up.
 *
 *   in flight  answered by no one yet when the loop blocked: read once, on top of the blocked stack
 *              (the snapshot calls markBlocked), from the servers' own connection lists: each
 *              connection's current response that has not ended. Its next step had to wait, for the
 *              whole stall at most.
 *   queued     its 'request' event fired once the stall had been seen: its bytes arrived while the
 *              loop could not read them. It waited from the stall's start, at most, to its event.
 *
 * Nothing is kept per request while the loop runs freely. An earlier version noted every request's
 * response object in a ring of 1024; that kept each request's objects alive past a few scavenges,
 * so V8 promoted them all to the old generation: on a hello-world server, +1.2 µs of GC work per
 * request and +18 MB RSS. Now a request costs a look at two numbers unless a stall is open. Every
 * stall opened here is closed by the heartbeat beat that ends its gap (victims or discard), so
 * nothing stays held.
 *
 * The request whose handler blocked is not its own victim. At most MAX_QUEUED queued requests are
 * noted per stall: a stall that held up more is told as at least that many.
 */
import type { BackToBack, Victim, VictimState } from '../shared/protocol/model';
import { hrMs } from './clock';
import { F_BEAT, F_STALLED_BEAT, type HeartbeatViews } from './heartbeatLayout';
import { httpLabel, type RequestLike } from './routes';

export const MAX_QUEUED = 1024;
/** Labels kept per stall; the rest are folded into one entry. */
const MAX_LABELS = 50;
export const OTHER_LABEL = '(other requests)';
/** What the main thread tells the watchdog about a stall once the loop turned after it. */
export interface StallRequests {
  victims: Victim[];
  /** Empty unless at least two handlers ran inside the stall. */
  backToBack: BackToBack[];
}

/** A queued request held up less than this was not really held up (it came as the stall ended). */
const MIN_DELAY_MS = 1;

interface ResponseLike {
  writableEnded?: boolean;
  req?: RequestLike;
}

interface ConnectionsList {
  all(): Array<{ socket?: { _httpMessage?: ResponseLike | null } | null }>;
}

/** The stall being told: what was in flight when it blocked, and what queued behind it since. */
interface OpenStall {
  beat: number;
  culprit: unknown;
  inFlight: ResponseLike[];
  queuedAt: number[];
  queued: ResponseLike[];
}

/** Stalls whose victims are still being collected (a second stall may begin while the first's are read). */
const MAX_OPEN = 4;

export class RequestLog {
  private readonly servers = new Set<WeakRef<object>>();
  /** Oldest first; requests are noted into the newest. */
  private readonly open: OpenStall[] = [];

  /** @param hb the thread's heartbeat: the watchdog flags a stall in it (F_STALLED_BEAT) while it lasts. */
  constructor(private readonly hb: HeartbeatViews) {}

  /** An HTTP server began to listen: its connections are where in-flight requests are found. */
  addServer(server: object): void {
    this.servers.add(new WeakRef(server));
  }

  /**
   * Per request, on the main thread (keep it cheap). Noted only while a stall is open here, or while
   * the watchdog sees one that no look opened and whose gap the heartbeat has not closed yet (the
   * heartbeat that closes it opens it here: no request falls in between, and none is noted after).
   * Without a watchdog (lag-only mode) the requests read before that heartbeat are not told.
   */
  note(res: unknown): void {
    let open = this.open[this.open.length - 1];
    if (!open) {
      const f64 = this.hb.f64;
      const stalled = f64[F_STALLED_BEAT];
      if (stalled === 0 || stalled !== f64[F_BEAT]) return;
      open = this.begin(stalled, undefined, false);
    }
    if (open.queued.length >= MAX_QUEUED) return;
    open.queuedAt.push(hrMs());
    open.queued.push(res as ResponseLike);
  }

  /** From the snapshot, on top of the blocked stack: what is in flight right now. `culpritReq`: the request running. */
  markBlocked(beat: number, culpritReq: unknown): void {
    if (!this.find(beat)) this.begin(beat, culpritReq, true);
  }

  /**
   * The heartbeat closed a stall that no look marked (no stack was captured): from now on its queued
   * requests are noted. What was in flight when it blocked can no longer be told apart from what
   * queued behind it, so none is named.
   */
  ensureOpen(beat: number): void {
    if (!this.find(beat)) this.begin(beat, undefined, false);
  }

  /** The gap after `beat` was no stall (the thread was starved of CPU, not blocked): nothing to tell. */
  discard(beat: number): void {
    const i = this.open.findIndex((o) => o.beat === beat);
    if (i >= 0) this.open.splice(i, 1);
  }

  private find(beat: number): OpenStall | undefined {
    return this.open.find((o) => o.beat === beat);
  }

  private begin(beat: number, culprit: unknown, withInFlight: boolean): OpenStall {
    const inFlight: ResponseLike[] = [];
    if (withInFlight) this.collectInFlight(culprit, inFlight);
    const open: OpenStall = { beat, culprit, inFlight, queuedAt: [], queued: [] };
    if (this.open.push(open) > MAX_OPEN) this.open.shift();
    return open;
  }

  private collectInFlight(culprit: unknown, into: ResponseLike[]): void {
    for (const ref of this.servers) {
      const server = ref.deref();
      if (!server) {
        this.servers.delete(ref);
        continue;
      }
      for (const parser of connectionsOf(server)?.all() ?? []) {
        const res = parser?.socket?._httpMessage;
        if (res && !res.writableEnded && res.req !== culprit) into.push(res);
      }
    }
  }

  /**
   * The victims of the stall that began after the heartbeat `beat` and was busy
   * [startHr, startHr + durationMs], and the handlers that ran back to back inside it. Called once
   * the loop has turned after it, so the requests that queued up have been read. Closes the stall
   * (and any older one still open): requests are no longer noted for it.
   */
  victims(beat: number, startHr: number, durationMs: number): StallRequests {
    const i = this.open.findIndex((o) => o.beat === beat);
    if (i < 0) return { victims: [], backToBack: [] };
    const open = this.open[i];
    this.open.splice(0, i + 1);
    const groups = new Map<string, Required<Victim>>();
    const add = (res: ResponseLike, state: VictimState, delayedMs: number): void => {
      let label = httpLabel(res.req ?? {});
      let g = groups.get(`${state} ${label}`);
      if (!g && groups.size >= MAX_LABELS) {
        label = OTHER_LABEL;
        g = groups.get(`${state} ${label}`);
      }
      if (!g) groups.set(`${state} ${label}`, (g = { label, delayedMs: 0, state, count: 0 }));
      g.count++;
      g.delayedMs = Math.max(g.delayedMs, Math.round(delayedMs * 100) / 100);
    };
    for (const res of open.inFlight) add(res, 'in-flight', durationMs);
    // The handlers that began inside the stall: the one it caught (from its start) and every queued
    // request whose event fired before it ended, which ran in the same turn.
    const starts: Array<{ label: string; atHr: number }> = [];
    if (open.culprit) starts.push({ label: httpLabel(open.culprit as RequestLike), atHr: startHr });
    for (let k = 0; k < open.queued.length; k++) {
      const res = open.queued[k];
      if (res.req === open.culprit) continue;
      const sinceStart = open.queuedAt[k] - startHr;
      if (sinceStart < durationMs) starts.push({ label: httpLabel(res.req ?? {}), atHr: open.queuedAt[k] });
      const delayedMs = Math.min(durationMs, sinceStart);
      if (delayedMs >= MIN_DELAY_MS) add(res, 'queued', delayedMs);
    }
    const victims = [...groups.values()].map((g) => (g.count === 1 ? { label: g.label, delayedMs: g.delayedMs, state: g.state } : g));
    return { victims, backToBack: backToBack(starts, startHr + durationMs) };
  }
}

/** Handlers started inside a stall (in order) grouped by label, each timed to the next start or the stall's end. */
export function backToBack(starts: ReadonlyArray<{ label: string; atHr: number }>, endHr: number): BackToBack[] {
  if (starts.length < 2) return [];
  const byLabel = new Map<string, number[]>();
  starts.forEach((s, k) => {
    const next = k + 1 < starts.length ? starts[k + 1].atHr : endHr;
    const label = byLabel.has(s.label) || byLabel.size < MAX_LABELS ? s.label : OTHER_LABEL;
    const spans = byLabel.get(label) ?? [];
    byLabel.set(label, spans);
    spans.push(Math.max(0, next - s.atHr));
  });
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return [...byLabel].map(([label, spans]) => ({ label, count: spans.length, eachMs: round(medianOf(spans)), maxMs: round(Math.max(...spans)) })).sort((a, b) => b.count - a.count);
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * http.Server's list of its live connections (Node ≥ 18.14, there for its request timeouts). Internal,
 * so looked up by its symbol's name and used defensively: without it, no in-flight victims.
 */
function connectionsOf(server: object): ConnectionsList | undefined {
  try {
    const sym = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections');
    const list = sym && (server as Record<symbol, unknown>)[sym];
    return list && typeof (list as ConnectionsList).all === 'function' ? (list as ConnectionsList) : undefined;
  } catch {
    return undefined;
  }
}
