/**
 * Where the editor's CodeLenses go and what they say: one above each line that blocked the loop
 * (the inline note's words, which a narrow editor cuts off) and one above the line in the user's
 * code that called it (where the handler reached the blocking code: often the line to change),
 * each opening the worst of its stalls in the timeline. Pure and `vscode`-free: the words come
 * from culpritAnnotations and phrases, as everywhere else.
 */
import { groupByCulprit } from '../core/culprits';
import { isUserFile } from '../shared/codeOrigin';
import { frameLocation } from '../shared/phrases';
import type { Frame, Stall } from '../shared/protocol/model';
import { annotationText } from './culpritAnnotations';

export interface LensTarget {
  /** Absolute path, as the probe reported it. */
  file: string;
  /** 1-based. */
  line: number;
  /** `⚠ blocked the loop 3× · max 812 ms · GET /users/:id`, and for a caller ` · at users.js:42`. */
  title: string;
  /** The longest of the stalls the lens counts: the one the timeline selects. */
  stallId: string;
  kind: 'culprit' | 'caller';
}

/** The runtime's and dependencies' frames are not where a user would change anything. */
function inUserCode(f: Frame): boolean {
  return isUserFile(f.file) && f.line > 0;
}

const at = (f: Pick<Frame, 'file' | 'line'>) => `${f.file}:${f.line}`;

/** The nearest user-code frame below the culprit on a different line: the call that led to it. */
export function callerOf(stall: Pick<Stall, 'culprit' | 'frames'>): Frame | undefined {
  const culprit = stall.culprit;
  if (!culprit) return undefined;
  let i = stall.frames.findIndex((f) => f.file === culprit.file && f.line === culprit.line && f.column === culprit.column);
  if (i < 0) i = stall.frames.findIndex((f) => at(f) === at(culprit));
  if (i < 0) return undefined;
  return stall.frames.slice(i + 1).find((f) => inUserCode(f) && at(f) !== at(culprit));
}

function worst(stalls: readonly Stall[]): Stall {
  return stalls.reduce((w, s) => (s.durationMs > w.durationMs ? s : w));
}

export function lensTargets(stalls: readonly Stall[]): LensTarget[] {
  const out: LensTarget[] = [];
  const byId = new Map(stalls.map((s) => [s.id, s]));
  for (const group of groupByCulprit(stalls)) {
    const culprit = group.culprit;
    if (!culprit || !inUserCode(culprit)) continue;
    const members = group.stallIds.map((id) => byId.get(id)).filter((s): s is Stall => s !== undefined);
    out.push({ file: culprit.file, line: culprit.line, title: `⚠ ${annotationText(group)}`, stallId: worst(members).id, kind: 'culprit' });
    const byCaller = new Map<string, { frame: Frame; stalls: Stall[] }>();
    for (const s of members) {
      const caller = callerOf(s);
      if (!caller) continue;
      const entry = byCaller.get(at(caller)) ?? { frame: caller, stalls: [] };
      entry.stalls.push(s);
      byCaller.set(at(caller), entry);
    }
    for (const { frame, stalls: called } of byCaller.values()) {
      const [sub] = groupByCulprit(called);
      out.push({ file: frame.file, line: frame.line, title: `⚠ ${annotationText(sub)} · at ${frameLocation(culprit)}`, stallId: worst(called).id, kind: 'caller' });
    }
  }
  return out;
}
