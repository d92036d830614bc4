/**
 * What a stall did to the requests around it, in words: "delayed 37 requests, 3 of them GET /health".
 * Pure (no Node imports): the CLI summaries, the editor hover and the timeline's tooltip say it the
 * same way.
 */
import type { Stall, Victim } from '../shared/protocol';

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

/**
 * "delayed 37 requests, 3 of them GET /health": the requests other than the stall's own handler are
 * the news (a slow endpoint delaying itself is expected; delaying the health check is not).
 * Undefined when the stall delayed no request.
 */
export function victimsPhrase(stall: Pick<Stall, 'victims' | 'handler'>): string | undefined {
  const s = summarizeVictims(stall.victims);
  if (!s.total) return undefined;
  const head = `delayed ${s.total} ${s.total === 1 ? 'request' : 'requests'}`;
  if (s.groups.length === 1) return `${head} (${s.total > 1 ? 'all ' : ''}${s.groups[0].label})`;
  const own = stall.handler?.label;
  const others = s.groups.filter((g) => g.label !== own);
  const named = others.slice(0, 2).map((g) => `${g.count} of them ${g.label}`);
  return `${head}, ${named.join(', ')}${others.length > 2 ? ', …' : ''}`;
}
