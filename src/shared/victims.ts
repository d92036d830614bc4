/**
 * The requests a stall held up, counted: in flight or queued, by label. Pure (no Node imports):
 * the phrase (phrases.ts), the check's verdicts and the timeline all count them this way.
 */
import type { Victim } from './protocol/model';

export interface VictimGroup {
  label: string;
  count: number;
  /** The longest delay among them. */
  maxDelayMs: number;
}

export interface VictimSummary {
  total: number;
  inFlight: number;
  queued: number;
  /** By label, most requests first. */
  groups: VictimGroup[];
}

export function summarizeVictims(victims: readonly Victim[] | undefined): VictimSummary {
  const byLabel = new Map<string, VictimGroup>();
  let total = 0;
  let inFlight = 0;
  let queued = 0;
  for (const v of victims ?? []) {
    const n = v.count ?? 1;
    total += n;
    if (v.state === 'in-flight') inFlight += n;
    else if (v.state === 'queued') queued += n;
    const g = byLabel.get(v.label) ?? { label: v.label, count: 0, maxDelayMs: 0 };
    g.count += n;
    g.maxDelayMs = Math.max(g.maxDelayMs, v.delayedMs);
    byLabel.set(v.label, g);
  }
  return { total, inFlight, queued, groups: [...byLabel.values()].sort((a, b) => b.count - a.count || b.maxDelayMs - a.maxDelayMs) };
}
