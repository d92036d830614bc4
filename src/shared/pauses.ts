/**
 * The debugger-pause rule, one home for both ends: a loop stopped at a breakpoint is not a stall,
 * but code that blocks right after Continue is one and must not hide behind the breakpoint. The
 * probe applies it to the pauses its inspector reports (probe/pauses.ts, on its own clock); the
 * extension to the pauses the debug adapter reports (host/debuggerPauses.ts, on epoch ms).
 */
import type { PauseRange } from './protocol/model';

/** A time a debugger held a thread; `endMs` null while it still does. Any clock, the same for both spans compared. */
export interface PauseSpan {
  startMs: number;
  endMs: number | null;
}

/** A busy span and a pause overlap (touching is not overlapping); an open pause lasts until `nowMs`. */
export function overlapsPause(startMs: number, endMs: number, pause: PauseSpan, nowMs = Infinity): boolean {
  return startMs < (pause.endMs ?? nowMs) && endMs > pause.startMs;
}

export interface BusyRemainder {
  startMs: number;
  endMs: number;
  /** The part kept ends where a pause began (it is over, even if the busy span was still going on). */
  endsAtPause: boolean;
}

/**
 * What is left of the busy span [startMs, endMs] once the pauses are taken out: all of it when no
 * pause overlaps, nothing when a pause explains it, or the part after (else before) a pause when
 * that part alone still reaches the threshold.
 */
export function outsidePauses(startMs: number, endMs: number, pauses: readonly PauseSpan[], thresholdMs: number, nowMs = Infinity): BusyRemainder | undefined {
  for (const p of pauses) {
    if (!overlapsPause(startMs, endMs, p, nowMs)) continue;
    const pEnd = p.endMs ?? nowMs;
    if (endMs - pEnd >= thresholdMs) return outsidePauses(pEnd, endMs, pauses, thresholdMs, nowMs);
    if (p.startMs - startMs >= thresholdMs) return { startMs, endMs: p.startMs, endsAtPause: true };
    return undefined;
  }
  return { startMs, endMs, endsAtPause: false };
}

// ───────────── one break, reported twice ─────────────
// With the extension, a breakpoint is seen by the probe (its inspector's Debugger.paused) and by the
// debug adapter (DAP `stopped`): the same break of the same thread, stored once.

export type PauseSource = 'probe' | 'debugger';
export type PauseReports = Partial<Record<PauseSource, PauseRange>>;

/** Reasons that say nothing about why: V8 reports a breakpoint hit as `other`. */
const VAGUE_REASONS = new Set(['other', 'ambiguous']);

/** Whether `pause` is another report of the break in `reports` (same thread, overlapping in time). */
export function sameBreak(reports: PauseReports, pause: PauseRange): boolean {
  const known = reports.probe ?? reports.debugger;
  if (!known || known.pid !== pause.pid || known.threadId !== pause.threadId) return false;
  return (pause.endMs ?? Infinity) > known.startMs && pause.startMs < (known.endMs ?? Infinity);
}

/**
 * The break as one pause: the probe's times (measured inside the process; the adapter's arrive
 * later), the adapter's end while the probe has not said it yet, and the better reason (the
 * adapter's `breakpoint` over V8's `other`).
 */
export function mergePauseReports(id: string, reports: PauseReports): PauseRange {
  const { probe, debugger: adapter } = reports;
  const first = (probe ?? adapter)!;
  const endMs = probe ? (probe.endMs ?? adapter?.endMs ?? null) : first.endMs;
  const reasons = [adapter?.reason, probe?.reason].filter((r): r is string => !!r);
  const reason = reasons.find((r) => !VAGUE_REASONS.has(r)) ?? reasons[0];
  return { id, pid: first.pid, threadId: first.threadId, startMs: first.startMs, endMs, ...(reason ? { reason } : {}) };
}
