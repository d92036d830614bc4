/**
 * From what the watchdog knows of a stall to the message the host gets. Pure: the stall's state,
 * its timing and the thread's GC time in, a Stall and the rules about it out.
 */
import { round2, type Cause, type Stall, type ThreadRef } from '../shared/protocol/model';
import type { RequestContextMode } from '../shared/protocol/options';
import type { Interpretation, LocationResolver } from './frames';
import { agreedLate, judgeLooks, preferSamples, type Look } from './looks';
import type { StallState, StallTiming } from './watchedThread';

export interface Explained {
  it: Interpretation | undefined;
  /** The later look whose culprit won the vote (final only). */
  chosen: Look | undefined;
  /** The first look tells nothing (it ran in the next task): neither its stack nor its handler count. */
  discardFirst: boolean;
  /** As judged: whether the first look was late. */
  late: boolean;
}

export interface ExplainContext {
  probeFile: string;
  resolver: LocationResolver;
  debuggerOpen: boolean;
}

/** Frames, culprit and cause from the stall's looks; `endHr` undefined while the stall goes on. */
export function explain(s: StallState, endHr: number | undefined, c: ExplainContext): Explained {
  const j = judgeLooks(s.first, s.second, endHr, c.probeFile, c.resolver, c.debuggerOpen);
  if (endHr === undefined) return { it: j.it, chosen: undefined, discardFirst: false, late: j.late };
  // A discarded first look has no interpretation (j.it undefined): then any later look's culprit wins.
  const better = preferSamples(j.it, s.samples, endHr, c.probeFile, c.resolver);
  if (!(better ?? j).it?.culprit && j.late && s.first) {
    // Every look late: the line they kept finding the thread on, if two agree (a loaded machine).
    const agreed = agreedLate([s.first, ...s.lateRetries, ...s.samples].sort((a, b) => a.atHr - b.atHr), c.probeFile, c.resolver);
    if (agreed) return { it: agreed.it, chosen: agreed.look, discardFirst: false, late: j.late };
  }
  return { it: better ? better.it : j.it, chosen: better?.look, discardFirst: j.discardFirst, late: j.late };
}

/** Garbage collection when GC pauses (`gcMsWithin` the stall) fill at least half of it. */
export function stallCause(at: StallTiming, it: Interpretation | undefined, gcMsWithin: (fromHr: number, toHr: number) => number): Cause | undefined {
  if (!at.ongoing && at.durationMs > 0 && gcMsWithin(at.startHr, at.startHr + at.durationMs) >= at.durationMs / 2) return { kind: 'gc' };
  return it?.cause;
}

export function stallMessage(s: StallState, thread: ThreadRef, at: StallTiming, epochOffset: number, it: Interpretation | undefined, cause: Cause | undefined): Stall {
  return {
    id: s.id,
    pid: process.pid,
    thread,
    startMs: round2(at.startHr + epochOffset),
    durationMs: round2(Math.max(0, at.durationMs)),
    ...(at.ongoing ? { ongoing: true } : {}),
    detectedMs: round2(s.detectedHr + epochOffset),
    culprit: it?.culprit ?? null,
    frames: it?.frames ?? [],
    handler: !at.idle ? ((s.chosen ?? s.first)?.result.handler ?? null) : null,
    ...(cause ? { cause } : {}),
    ...(s.victims?.length && !at.idle ? { victims: s.victims } : {}),
    ...(s.backToBack?.length && !at.idle ? { backToBack: s.backToBack } : {}),
  };
}

/**
 * On-demand request tracking (requestContext.ts): a stall in the user's own code that ran outside
 * any request handler's synchronous code may have run for a request (after an await, in a timeout
 * it set). From then on its thread carries its requests across awaits. Not for start-up work,
 * intervals, GC, or a stall without user code (a loop starved of CPU under load): those are no
 * request's, and tracking costs every request.
 */
export function wantsRequestTracking(stall: Stall, mode: RequestContextMode): boolean {
  if (mode === 'always' || !stall.culprit || stall.cause?.kind === 'gc') return false;
  const h = stall.handler;
  return !(h?.kind === 'http' || h?.kind === 'main' || (h?.kind === 'timer' && h.label === 'setInterval'));
}

/**
 * A stall no look explained (a GC holds the look up until it ends, and then nothing of the user's
 * is on the stack), or a look that landed in gc() itself, may have been a GC: from then on its
 * thread records its GC pauses.
 */
export function mayBeGc(stall: Stall): boolean {
  return !stall.culprit || stall.cause?.api === 'gc';
}
