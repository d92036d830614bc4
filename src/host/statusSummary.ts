/**
 * The status bar's words: while a probe session runs, the live p99 event-loop lag and the number of
 * stalls; for a finished recording, that it ended; during a debug session without the probe, that
 * nothing is watched (a finished recording's count must not pass for a live one). Pure and
 * `vscode`-free. "Live" p99 is the worst p99 among the latest sample of each thread that reported
 * within the last couple of intervals, so a process that exited stops counting.
 */
import { longestOngoing, type LagSample, type Stall } from '../shared/protocol/model';
import { causeText, formatDuration, frameLocation, plural, stallSummary } from '../shared/phrases';

export interface StatusSummary {
  text: string;
  /** For screen readers: the codicon and the dots read badly. */
  ariaLabel: string;
  tooltip: string;
  /** A loop is blocked right now, for longer than a stall takes to be told: the item stands out. */
  alarm?: boolean;
}

const RECENT_MS = 2000;
/**
 * How long a stall must have gone on before the item shows it: a hang, not a stall about to end (the
 * lag it would show stops with the loop, so without this a hung program would read "p99 –").
 */
export const HANG_SHOWN_AFTER_MS = 1000;

/** The stall going on the longest, once it has lasted HANG_SHOWN_AFTER_MS. */
export function hungStall(stalls: readonly Stall[], nowMs: number): Stall | undefined {
  const hung = longestOngoing(stalls);
  return hung && nowMs - hung.startMs >= HANG_SHOWN_AFTER_MS ? hung : undefined;
}

export function liveP99(lag: readonly LagSample[], nowMs: number): number | undefined {
  const latest = new Map<string, LagSample>();
  // Samples arrive in time order per thread; scan from the end and stop once they are all too old.
  for (let i = lag.length - 1; i >= 0; i--) {
    const s = lag[i];
    if (s.atMs < nowMs - RECENT_MS) break;
    const key = `${s.pid}:${s.threadId}`;
    if (!latest.has(key)) latest.set(key, s);
  }
  let worst: number | undefined;
  for (const s of latest.values()) worst = Math.max(worst ?? 0, s.p99Ms);
  return worst;
}

export interface StatusInput {
  /** The recording on screen; undefined when there is none. */
  recording?: { live: boolean; stallCount: number; lag: readonly LagSample[]; hung?: Stall };
  /** A Node or Python debug session runs without the probe (and no probe session is live). */
  unwatchedSession?: string;
}

/** What the item shows, or undefined to hide it. `action` says what a click does. */
export function statusSummary(input: StatusInput, nowMs: number): (StatusSummary & { action: 'showTimeline' | 'debugWithProbe' }) | undefined {
  const rec = input.recording;
  if (input.unwatchedSession !== undefined && !rec?.live) {
    return {
      text: '$(debug-disconnect) Stallscope: not watching',
      ariaLabel: `Stallscope is not watching the debug session ${input.unwatchedSession}`,
      tooltip: `Stallscope: "${input.unwatchedSession}" runs without the stall probe, so its stalls are not recorded. Click to debug with the stall probe.`,
      action: 'debugWithProbe',
    };
  }
  if (!rec) return undefined;
  const stalls = plural(rec.stallCount, 'stall');
  if (!rec.live) {
    return {
      text: `$(history) ${stalls} · ended`,
      ariaLabel: `Stallscope: the recording on screen has ended, ${stalls}`,
      tooltip: 'Stallscope: stalls in the recording on screen; its session has ended. Click to open the timeline.',
      action: 'showTimeline',
    };
  }
  if (rec.hung) {
    const blocked = formatDuration(nowMs - rec.hung.startMs);
    const at = rec.hung.culprit && frameLocation(rec.hung.culprit);
    return {
      text: `$(warning) blocked ${blocked}${at ? ` · ${at}` : ''}`,
      ariaLabel: `Stallscope: an event loop has been blocked for ${blocked}${at ? `, at ${at}` : ''}`,
      tooltip: `Stallscope: ${stallSummary(rec.hung, nowMs - rec.hung.startMs)} (${causeText(rec.hung.cause)}). Click to open the timeline.`,
      action: 'showTimeline',
      alarm: true,
    };
  }
  const p99 = liveP99(rec.lag, nowMs);
  const lag = p99 === undefined ? 'p99 –' : `p99 ${formatDuration(p99)}`;
  return {
    text: `$(pulse) ${lag} · ${stalls}`,
    ariaLabel: `Stallscope: ${p99 === undefined ? 'no live lag' : `event-loop lag p99 ${formatDuration(p99)}`}, ${stalls}`,
    tooltip: 'Stallscope: event-loop lag (p99 over the last interval, worst thread) and stalls in this debug session. Click to open the timeline.',
    action: 'showTimeline',
  };
}
