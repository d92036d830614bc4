/**
 * What the editor says about a line that blocked the loop: the inline text
 * ("blocked the loop 3× · max 812 ms · GET /report") and the hover (the worst stalls with their
 * stacks). Pure and `vscode`-free; the hover is a list of parts that the editor side appends with
 * MarkdownString.appendText/appendCodeblock, which escape them: handler labels and function names
 * come from the user's program and are never treated as markdown.
 */
import type { Stall } from '../shared/protocol';
import { groupByCulprit, type CulpritGroup } from '../core/culprits';
import { victimsPhrase } from '../core/victims';
import { formatDuration } from '../../webview/format';

export type HoverPart = { kind: 'text'; text: string } | { kind: 'code'; text: string };

export interface LineAnnotation {
  /** Absolute path, as the probe reported it. */
  file: string;
  /** 1-based. */
  line: number;
  text: string;
  hover: HoverPart[];
}

const MAX_LABEL = 60;
const HOVER_STALLS = 5;
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
    const worst = group.stallIds
      .map((id) => byId.get(id))
      .filter((s): s is Stall => s !== undefined)
      .sort((a, b) => b.durationMs - a.durationMs);
    out.push({ file: group.culprit.file, line: group.culprit.line, text: annotationText(group), hover: hoverParts(group, worst) });
  }
  return out;
}

function hoverParts(group: CulpritGroup, worst: Stall[]): HoverPart[] {
  const parts: HoverPart[] = [
    { kind: 'text', text: `Stallscope: this line blocked the event loop ${group.count}× (total ${formatDuration(group.totalMs)}, max ${formatDuration(group.maxMs)}).` },
  ];
  for (const s of worst.slice(0, HOVER_STALLS)) {
    const what = [formatDuration(s.durationMs), s.handler?.label ?? 'no handler', causeText(s), victimsPhrase(s) ?? ''].filter(Boolean).join(' · ');
    parts.push({ kind: 'text', text: what });
    const frames = s.frames.slice(0, HOVER_FRAMES).map((f) => `at ${f.function || '<anonymous>'} (${f.file}:${f.line}:${f.column})`);
    if (s.frames.length > HOVER_FRAMES) frames.push(`… ${s.frames.length - HOVER_FRAMES} more frames`);
    if (frames.length) parts.push({ kind: 'code', text: frames.join('\n') });
  }
  if (worst.length > HOVER_STALLS) parts.push({ kind: 'text', text: `… and ${worst.length - HOVER_STALLS} more in the timeline.` });
  return parts;
}

function causeText(s: Stall): string {
  if (!s.cause) return '';
  const kind = s.cause.kind === 'js' ? 'JavaScript on the CPU' : s.cause.kind === 'native' ? 'synchronous native call' : 'garbage collection';
  return s.cause.api ? `${kind} (${s.cause.api})` : kind;
}

function clip(label: string): string {
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
}
