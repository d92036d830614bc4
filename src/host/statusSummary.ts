/**
 * The status bar's words: the live p99 event-loop lag and the number of stalls. Pure and
 * `vscode`-free. "Live" p99 is the worst p99 among the latest sample of each thread that reported
 * within the last couple of intervals, so a process that exited stops counting.
 */
import type { LagSample } from '../shared/protocol';
import { formatDuration } from '../../webview/format';

export interface StatusSummary {
  text: string;
  /** For screen readers: the codicon and the dots read badly. */
  ariaLabel: string;
  tooltip: string;
}

const RECENT_MS = 2000;

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

export function statusSummary(input: { live: boolean; stallCount: number; lag: readonly LagSample[] }, nowMs: number): StatusSummary {
  const p99 = input.live ? liveP99(input.lag, nowMs) : undefined;
  const stalls = `${input.stallCount} ${input.stallCount === 1 ? 'stall' : 'stalls'}`;
  const lag = p99 === undefined ? 'p99 –' : `p99 ${formatDuration(p99)}`;
  return {
    text: `$(pulse) ${lag} · ${stalls}`,
    ariaLabel: `Stallscope: ${p99 === undefined ? 'no live lag' : `event-loop lag p99 ${formatDuration(p99)}`}, ${stalls}`,
    tooltip: input.live
      ? 'Stallscope: event-loop lag (p99 over the last interval, worst thread) and stalls in this debug session. Click to open the timeline.'
      : 'Stallscope: stalls in the recording on screen. Click to open the timeline.',
  };
}
