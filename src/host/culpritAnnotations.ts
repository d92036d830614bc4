/**
 * What the editor says about a line that blocked the loop: the inline text
 * ("blocked the loop 3× · max 812 ms · GET /report") and the hover: one entry per distinct stack
 * (the same 12 frames five times say nothing more), its frames as links, runs of dependency and
 * runtime frames folded into one line. Pure and `vscode`-free; the editor side renders text parts
 * with MarkdownString.appendText, which escapes them: handler labels and function names come from
 * the user's program and are never treated as markdown.
 */
import type { Frame, Stall } from '../shared/protocol/model';
import { groupByCulprit, type CulpritGroup } from '../core/culprits';
import { isUserFile, originOf } from '../shared/codeOrigin';
import { backToBackPhrase, causeText, formatDuration, handlerText, victimsPhrase } from '../shared/phrases';

/** A stack line; `file` (absolute) and `line` make it a link to the source. */
export interface HoverFrame {
  text: string;
  file?: string;
  line?: number;
  column?: number;
}

export type HoverPart = { kind: 'text'; text: string } | { kind: 'frames'; frames: HoverFrame[] };

export interface LineAnnotation {
  /** Absolute path, as the probe reported it. */
  file: string;
  /** 1-based. */
  line: number;
  text: string;
  hover: HoverPart[];
}

const MAX_LABEL = 60;
const HOVER_STACKS = 5;
const HOVER_FRAMES = 12;

/** Inline text for one culprit line. */
export function annotationText(group: Pick<CulpritGroup, 'count' | 'maxMs' | 'handlers'>): string {
  const parts = [`blocked the loop ${group.count}×`, `max ${formatDuration(group.maxMs)}`];
  const [first, ...others] = group.handlers;
  if (first) parts.push(others.length ? `${clip(first)} +${others.length}` : clip(first));
  return parts.join(' · ');
}

/** One annotation per culprit line in user code; stalls without a culprit have no line to mark. */
export function lineAnnotations(stalls: readonly Stall[]): LineAnnotation[] {
  const byId = new Map(stalls.map((s) => [s.id, s]));
  const out: LineAnnotation[] = [];
  for (const group of groupByCulprit(stalls)) {
    if (!group.culprit || group.culprit.file.startsWith('node:')) continue;
    const members = group.stallIds.map((id) => byId.get(id)).filter((s): s is Stall => s !== undefined);
    out.push({ file: group.culprit.file, line: group.culprit.line, text: annotationText(group), hover: hoverParts(group, members) });
  }
  return out;
}

/** Stalls with the same stack, longest first; the groups ordered by their longest stall. */
function byStack(stalls: readonly Stall[]): Stall[][] {
  const groups = new Map<string, Stall[]>();
  for (const s of [...stalls].sort((a, b) => b.durationMs - a.durationMs)) {
    const key = s.frames.map((f) => `${f.file}:${f.line}:${f.column}`).join('|');
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()];
}

function hoverParts(group: CulpritGroup, members: Stall[]): HoverPart[] {
  const parts: HoverPart[] = [
    { kind: 'text', text: `Stallscope: this line blocked the event loop ${group.count}× (total ${formatDuration(group.totalMs)}, max ${formatDuration(group.maxMs)}).` },
  ];
  const stacks = byStack(members);
  for (const same of stacks.slice(0, HOVER_STACKS)) {
    const worst = same[0];
    const head = same.length > 1 ? `${same.length}× · max ${formatDuration(worst.durationMs)}` : formatDuration(worst.durationMs);
    const what = [head, worst.handler ? handlerText(worst.handler) : 'no handler', worst.cause ? causeText(worst.cause) : '', backToBackPhrase(worst) ?? '', victimsPhrase(worst) ?? ''].filter(Boolean).join(' · ');
    parts.push({ kind: 'text', text: what });
    if (worst.frames.length) parts.push({ kind: 'frames', frames: stackLines(worst.frames) });
  }
  if (stacks.length > HOVER_STACKS) {
    const rest = stacks.slice(HOVER_STACKS).reduce((n, s) => n + s.length, 0);
    parts.push({ kind: 'text', text: `… and ${rest} more with other stacks in the timeline.` });
  }
  return parts;
}

/** A dependency's or the runtime's frame: folded with its neighbours, the user's code stays in view. */
function outsideUserCode(f: Frame): boolean {
  return !isUserFile(f.file);
}

/** The stack innermost first: the user's frames as links, runs of other frames as one line, at most HOVER_FRAMES lines. */
export function stackLines(frames: readonly Frame[]): HoverFrame[] {
  const lines: HoverFrame[] = [];
  let shown = 0;
  for (let i = 0; i < frames.length && lines.length < HOVER_FRAMES; i++) {
    const f = frames[i];
    if (outsideUserCode(f)) {
      let j = i;
      while (j + 1 < frames.length && outsideUserCode(frames[j + 1])) j++;
      if (j > i) {
        const from = [...new Set(frames.slice(i, j + 1).map((x) => originOf(x.file)))];
        lines.push({ text: `… ${j - i + 1} frames in ${from.slice(0, 3).join(', ')}${from.length > 3 ? ', …' : ''}` });
        shown = j + 1;
        i = j;
        continue;
      }
    }
    const text = `at ${f.function || '<anonymous>'} (${f.file}:${f.line}:${f.column})`;
    lines.push(f.file.startsWith('node:') ? { text } : { text, file: f.file, line: f.line, column: f.column });
    shown = i + 1;
  }
  if (shown < frames.length) lines.push({ text: `… ${frames.length - shown} more frames` });
  return lines;
}

function clip(label: string): string {
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
}
