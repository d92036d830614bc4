/**
 * What each row of the stall list shows: its children (text nodes only: names come from the
 * user's program) and its aria-label.
 */
import type { Stall } from '../src/shared/protocol/model';
import type { CulpritGroup } from '../src/core/culprits';
import { h } from './dom';
import { backToBackPhrase, causeText, formatClock, formatDuration, functionName, splitPath } from './format';
import { severityOf } from './layoutStalls';
import { isCulpritFrame, knownText, PAGE_SIZE, victimsText, type Row } from './stallRows';

/** Fills `el` for `row`: its data attributes, children and label. */
export function fillRow(el: HTMLDivElement, row: Row, stalls: ReadonlyMap<string, Stall>): void {
  el.dataset.kind = row.kind;
  delete el.dataset.stall;
  delete el.dataset.frameIndex;
  switch (row.kind) {
    case 'group':
      el.replaceChildren(...groupContent(row.group, row.expanded, stalls));
      el.setAttribute('aria-label', groupLabel(row.group));
      break;
    case 'stall':
      el.dataset.stall = row.stall.id;
      el.replaceChildren(...stallContent(row.stall, row.expanded));
      el.setAttribute('aria-label', `${formatDuration(row.stall.durationMs)}${row.stall.ongoing ? ' ongoing' : ''} stall${row.stall.handler ? ` in ${row.stall.handler.label}` : ''} at ${formatClock(row.stall.startMs)}${backToBackPhrase(row.stall) ? `: ${backToBackPhrase(row.stall)}` : ''}`);
      break;
    case 'frame': {
      el.dataset.stall = row.stall.id;
      el.dataset.frameIndex = String(row.index);
      const f = row.stall.frames[row.index];
      el.replaceChildren(...frameContent(row.stall, row.index));
      el.title = `${f.file}:${f.line}:${f.column}`;
      el.setAttribute('aria-label', `${functionName(f)} at ${splitPath(f.file).base} line ${f.line}${isCulpritFrame(row.stall, row.index) ? ', the culprit' : ''}`);
      break;
    }
    case 'noframes':
      el.replaceChildren(h('span', { class: 'muted' }, 'No stack captured for this stall (lag-only mode or stacks off).'));
      el.setAttribute('aria-label', 'No stack captured');
      break;
    case 'known': {
      el.dataset.stall = row.stall.id;
      const text = knownText(row.stall);
      el.replaceChildren(h('span', { class: 'known' }, text));
      el.setAttribute('aria-label', text);
      break;
    }
    case 'victims': {
      const text = victimsText(row.stall);
      el.replaceChildren(h('span', { class: 'muted' }, text));
      el.setAttribute('aria-label', text);
      break;
    }
    case 'more':
      el.replaceChildren(h('span', { class: 'link' }, `Show ${Math.min(PAGE_SIZE, row.remaining)} more of ${row.remaining}…`));
      el.setAttribute('aria-label', `Show more stalls, ${row.remaining} not listed`);
      break;
  }
}

function twistie(expanded: boolean): HTMLSpanElement {
  return h('span', { class: `twistie${expanded ? ' open' : ''}`, 'aria-hidden': 'true' });
}

function sevDot(ms: number): HTMLSpanElement {
  return h('span', { class: `sev-dot sev-${severityOf(ms)}`, 'aria-hidden': 'true' });
}

function groupLabel(g: CulpritGroup): string {
  const where = g.culprit ? `${functionName(g.culprit)} at ${splitPath(g.culprit.file).base} line ${g.culprit.line}` : 'Unknown location';
  return `${where}: ${g.count} stall${g.count === 1 ? '' : 's'}, longest ${formatDuration(g.maxMs)}, total ${formatDuration(g.totalMs)}${g.handlers.length ? `, in ${g.handlers.slice(0, 3).join(', ')}` : ''}`;
}

function groupContent(g: CulpritGroup, expanded: boolean, stalls: ReadonlyMap<string, Stall>): Node[] {
  const title = h('span', { class: 'title' });
  if (g.culprit) {
    const p = splitPath(g.culprit.file);
    title.append(h('span', { class: 'fn' }, functionName(g.culprit)), h('span', { class: 'loc' }, `${p.base}:${g.culprit.line}`), h('span', { class: 'dir muted' }, p.dir));
    title.title = `${g.culprit.file}:${g.culprit.line}:${g.culprit.column}`;
  } else {
    const causes = new Set(g.stallIds.slice(0, 50).map((id) => stalls.get(id)?.cause?.api).filter(Boolean));
    title.append(h('span', { class: 'fn' }, 'No user code on the stack'), h('span', { class: 'dir muted' }, [...causes].join(', ')));
  }
  const line1 = h('div', { class: 'line1' }, twistie(expanded), sevDot(g.maxMs), title, h('span', { class: 'stat max' }, formatDuration(g.maxMs)));
  const meta = h(
    'div',
    { class: 'line2' },
    h('span', { class: 'stat' }, `${g.count}×`),
    h('span', { class: 'stat' }, `total ${formatDuration(g.totalMs)}`),
    h('span', { class: 'handlers muted' }, g.handlers.slice(0, 3).join(', ') + (g.handlers.length > 3 ? ` +${g.handlers.length - 3}` : '')),
  );
  return [line1, meta];
}

function stallContent(st: Stall, expanded: boolean): Node[] {
  const parts: (Node | null)[] = [
    twistie(expanded),
    sevDot(st.durationMs),
    h('span', { class: 'dur' }, formatDuration(st.durationMs)),
    st.ongoing ? h('span', { class: 'badge badge-ongoing' }, 'ongoing') : null,
    h('span', { class: 'handler' }, st.handler?.label ?? '—'),
    h('span', { class: 'cause muted' }, st.cause?.api ?? (st.cause ? causeText(st.cause) : '')),
    // a long stall that was many requests, each blocking in turn, says so where its duration is read
    st.backToBack?.length ? h('span', { class: 'merged muted' }, backToBackPhrase(st) ?? '') : null,
    h('span', { class: 'time muted' }, formatClock(st.startMs)),
  ];
  return parts.filter((n): n is Node => n !== null);
}

function frameContent(st: Stall, index: number): Node[] {
  const f = st.frames[index];
  const p = splitPath(f.file);
  const internal = f.file.startsWith('node:') || /[\\/]node_modules[\\/]/.test(f.file);
  const row: Node[] = [
    h('span', { class: `frame-fn${internal ? ' muted' : ''}` }, functionName(f)),
    h('span', { class: `loc${internal ? ' muted' : ''}` }, `${p.base}:${f.line}:${f.column}`),
    h('span', { class: 'dir muted' }, p.dir),
  ];
  if (isCulpritFrame(st, index)) row.push(h('span', { class: 'badge badge-culprit' }, 'culprit'));
  return row;
}
