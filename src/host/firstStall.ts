/**
 * The rule of the first-stall notice (firstStallNotice.ts): which stall is news, and what the
 * `stallscope.revealOnFirstStall` setting asks for. Pure and `vscode`-free.
 */
import { stallSummary } from '../shared/phrases';
import type { Stall } from '../shared/protocol/model';

export type FirstStallAction = 'notify' | 'open' | 'off';

/**
 * The first finished stall among `stalls` (a delta) of a live recording not yet announced. An
 * ongoing one does not count yet: a debugger pause may still take it back.
 */
export function firstStallToAnnounce(recording: { live: boolean }, announced: boolean, stalls: readonly Stall[] | undefined): Stall | undefined {
  if (!recording.live || announced || !stalls) return undefined;
  return stalls.filter((s) => !s.ongoing).sort((a, b) => a.startMs - b.startMs)[0];
}

/** The setting's value; anything unknown is the default. */
export function firstStallAction(value: unknown): FirstStallAction {
  return value === 'open' || value === 'off' ? value : 'notify';
}

export function firstStallMessage(title: string, stall: Stall): string {
  return `Stallscope: first stall in "${title}": ${stallSummary(stall)}.`;
}
