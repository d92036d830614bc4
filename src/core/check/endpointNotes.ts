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
  if (e.excused.length) {
    const n = e.excused.length;
    notes.push({
      level: 'info',
      text: `${plural(n, 'stall')} in its handler (max ${formatDuration(e.excused[0].durationMs)}) ${n === 1 ? 'was' : 'were'} garbage collection, not its code: not counted against it`,
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
