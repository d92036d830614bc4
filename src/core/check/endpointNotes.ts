/**
 * What the check has to say about an endpoint beyond its row, in one place so the CLI table and the
 * timeline's check pane say it alike: what kind of blocking it was (Python), the stalls in its
 * handler that were not its doing, and how long the server needed to catch up with its load.
 */
import { formatDuration, plural } from '../../shared/phrases';
import type { EndpointResult } from './verdict';

export interface EndpointNote {
  /** warn: the measurement itself is in doubt (the server never caught up). */
  level: 'info' | 'warn';
  text: string;
}

/** A catch-up shorter than this is the ordinary settle: not worth a note. */
const CATCH_UP_WORTH_SAYING_MS = 2000;

export function endpointNotes(e: EndpointResult): EndpointNote[] {
  const notes: EndpointNote[] = (e.findings ?? []).map((text) => ({ level: 'info', text }));
  for (const why of ['gc', 'saturated'] as const) {
    const stalls = e.excused.filter((x) => x.why === why).map((x) => x.stall);
    if (!stalls.length) continue;
    const n = stalls.length;
    const was = `${plural(n, 'stall')} in its handler (max ${formatDuration(stalls[0].durationMs)}) ${n === 1 ? 'was' : 'were'}`;
    if (why === 'gc') {
      notes.push({ level: 'info', text: `${was} garbage collection, not its code: not counted against it` });
      continue;
    }
    const most = Math.max(...stalls.flatMap((s) => (s.backToBack ?? []).map((b) => b.count)));
    notes.push({
      level: 'info',
      text: `${was} the server at its throughput (up to ${most} requests handled back to back in one turn of the loop, none holding it for the stall threshold by itself), not blocking code: not counted against it`,
    });
  }
  const c = e.catchUp;
  if (c && !c.caughtUp) {
    notes.push({
      level: 'warn',
      text: `the server was still busy ${formatDuration(c.ms)} after its load ended (${c.pending ?? 'still busy'}); what follows was measured in its backlog (wait longer with --catch-up)`,
    });
  } else if (c && c.ms >= CATCH_UP_WORTH_SAYING_MS) {
    notes.push({ level: 'info', text: `the server needed ${formatDuration(c.ms)} after its load to catch up (waited for before the next endpoint)` });
  }
  return notes;
}
