/**
 * Judging the looks at a blocked stack. A look is a snapshot the watchdog asked the blocked thread
 * to take (see snapshot.ts); V8 runs it as an interrupt, which JavaScript services well within a
 * millisecond (runqueue time taken out). A look that took longer ran only once a call V8
 * cannot interrupt had returned (JSON.parse, spawnSync, a GC, an addon), so its stack shows the code
 * that ran next: such a look is "late". Two cases:
 * - the stall ended soon after the look (within LATE_END_MS): late if it took over SOON_MS;
 * - the stall went on: late if it took over LATE_MS of the thread's own time (known only where the
 *   OS reports runqueue time; otherwise a slow look followed by more blocking is taken for a thread
 *   that merely waited for a CPU, and trusted). A late first look is followed by more, while the
 *   block lasts (watchdog.ts), until one is prompt.
 * A late look's stack is still right when the blocking call's JS wrapper is on it (see frames.ts).
 *
 * Under a debugger (js-debug attached to the inspector) every look is slow, tens of milliseconds
 * even inside a plain JS loop: the debugger's own handling of the interrupt is on the thread's clock. There a slow look that the block outlasted still shows the
 * blocked stack, so only the "ended soon after the look" rule applies.
 */
import type { Frame } from '../shared/protocol/model';
import { interpretCapture, type Interpretation, type LocationResolver } from './frames';
import type { SnapshotResult } from './snapshot';

export const SOON_MS = 0.8;
/**
 * A look the block went on after: on an idle machine JavaScript services it well within a
 * millisecond; on a loaded one a few milliseconds, runqueue time taken out (the inspector's and
 * GC's helper threads wait for a CPU too, which the thread's runqueue does not show). Over 5 ms it waited for a call V8 cannot interrupt; the code it then shows went on
 * blocking for LATE_END_MS at least, so a shorter call before it is the lesser part anyway.
 */
export const LATE_MS = 5;
export const LATE_END_MS = 15;

/** One look at the blocked stack. */
export interface Look {
  result: SnapshotResult;
  /** hr ms when the thread ran the snapshot. */
  atHr: number;
  /** How long the thread took to run it, less the time it waited for a CPU when `exact`. */
  delayMs: number;
  exact: boolean;
}

export interface Judgement {
  it: Interpretation | undefined;
  late: boolean;
  /** The first look ran at the start of the next task (not inside the block): it tells nothing. */
  discardFirst: boolean;
}

/**
 * Frames, culprit and cause from the first look (and a second one, taken when the first was late
 * and the thread stayed blocked). `endHr` undefined: the stall still goes on.
 */
export function judgeLooks(
  first: Look | undefined,
  second: Look | undefined,
  endHr: number | undefined,
  probeFile: string,
  resolver: LocationResolver | undefined,
  debuggerOpen = false,
): Judgement {
  if (!first) return { it: undefined, late: false, discardFirst: false };
  if (endHr === undefined) {
    // While it lasts, only a prompt look is shown; a late one waits for the end to be judged.
    const prompt = first.delayMs <= LATE_MS || debuggerOpen || first.result.native ? first : second;
    return { it: prompt ? interpretCapture(prompt.result.frames, probeFile, resolver, false, prompt.result.native) : undefined, late: false, discardFirst: false };
  }
  const endLook = endHr - first.atHr;
  const late = endLook < LATE_END_MS ? first.delayMs > SOON_MS : first.exact && first.delayMs > LATE_MS && !debuggerOpen;
  const it = interpretCapture(first.result.frames, probeFile, resolver, late, first.result.native);
  // A prompt look, no user code, at the very end: it ran at the start of the next task (e.g. the
  // message that resumes a parked heartbeat), not inside the block.
  if (!late && !it.culprit && endLook < 1) return { it: undefined, late, discardFirst: true };
  // Late and not trustworthy, but the thread went on blocking in code the second look saw.
  if (!it.culprit && late && second && endHr - second.atHr >= LATE_END_MS) {
    return { it: interpretCapture(second.result.frames, probeFile, resolver, false, second.result.native), late, discardFirst: false };
  }
  return { it, late, discardFirst: false };
}

/**
 * Looks taken while a long stall lasts, after the first: at most MAX_SAMPLES, each a third of the
 * stall's age after the previous one (at least LATE_END_MS), so a stall of D ms costs about
 * log(D / threshold) looks of well under a millisecond each, on a thread that is blocked anyway.
 * None under a debugger, where a look costs tens of milliseconds.
 */
export const MAX_SAMPLES = 10;

export function nextSampleInMs(ageMs: number): number {
  return Math.max(LATE_END_MS, ageMs / 3);
}

function culpritKey(c: Frame | null | undefined): string | undefined {
  return c ? `${c.file}:${c.line}:${c.function}` : undefined;
}

/**
 * The first look is one moment of the stall. A long stall can be several blocks in one loop turn
 * (ten queued requests that each hash for 100 ms), and on a loaded machine the first look is drawn
 * to the moments between them: the watchdog gets a CPU when the blocked thread makes a system call
 * (writing the last response), so it shows `res.end` or no user code at all while the stall goes on
 * for 450 ms in the hashing line. So every look with a culprit votes, the first one included, and
 * the culprit most looks saw wins; a tie keeps the first look's. A look without a culprit (late
 * with nothing to vouch for its stack, or no user code on it) does not vote.
 */
export function preferSamples(
  base: Interpretation | undefined,
  samples: readonly Look[],
  endHr: number,
  probeFile: string,
  resolver: LocationResolver | undefined,
): { it: Interpretation; look: Look } | undefined {
  const baseKey = culpritKey(base?.culprit);
  const votes = new Map<string, { n: number; it: Interpretation; look: Look | undefined }>();
  if (base && baseKey !== undefined) votes.set(baseKey, { n: 1, it: base, look: undefined });
  for (const look of samples) {
    const j = judgeLooks(look, undefined, endHr, probeFile, resolver);
    const key = culpritKey(j.it?.culprit);
    if (j.discardFirst || !j.it || key === undefined) continue;
    const v = votes.get(key);
    if (v) v.n++;
    else votes.set(key, { n: 1, it: j.it, look });
  }
  // Map order is insertion order: the first look's culprit, then the others as first seen.
  let best: { n: number; it: Interpretation; look: Look | undefined } | undefined;
  for (const v of votes.values()) if (!best || v.n > best.n) best = v;
  return best?.look ? { it: best.it, look: best.look } : undefined;
}

/**
 * When every look was late, the line two of them agree on, if any. A call V8 cannot interrupt holds
 * every look requested during it until it returns, so they all run at one moment, on one stack. Two
 * looks at least LATE_END_MS apart (each asked for only after the previous one came back) that show
 * the same line of the user's code found the thread back on that line each time: it loops there,
 * in JavaScript or around a native call made from that line, and either way that line blocks. Their
 * lateness was the machine's (the helper threads a look needs wait for a CPU, which the thread's
 * runqueue time does not show), not a call's. The later look of the pair is kept.
 */
export function agreedLate(looks: readonly Look[], probeFile: string, resolver: LocationResolver | undefined): { it: Interpretation; look: Look } | undefined {
  const seen = new Map<string, Look>();
  for (const look of looks) {
    if (look.result.stale) continue;
    const it = interpretCapture(look.result.frames, probeFile, resolver, false, look.result.native);
    const key = culpritKey(it.culprit);
    if (key === undefined) continue;
    const earlier = seen.get(key);
    if (earlier && look.atHr - earlier.atHr >= LATE_END_MS) return { it, look };
    if (!earlier) seen.set(key, look);
  }
  return undefined;
}
