/**
 * The hover card for stalls, pauses and lag samples, built from text nodes only and positioned
 * through CSSOM (allowed by the CSP; a style attribute in markup would not be).
 */
import type { PauseRange, ProcessInfo, Stall } from '../src/shared/protocol/model';
import { h } from './dom';
import { causeText, formatClock, formatDuration, formatOffset, functionName, splitPath, stallThreadText } from './format';
import { victimsPhrase } from './format';

export interface TooltipRow {
  label: string;
  value: string;
  /** Muted text after the value (a folder, a note). */
  extra?: string;
  className?: string;
}

export interface TooltipContent {
  title: string;
  badge?: { text: string; className: string };
  rows: TooltipRow[];
  hint?: string;
}

export class Tooltip {
  readonly el: HTMLDivElement;

  constructor(parent: HTMLElement) {
    this.el = h('div', { class: 'tooltip', role: 'tooltip', id: 'ss-tooltip', 'aria-hidden': 'true' });
    parent.appendChild(this.el);
  }

  /** Shows the card near (x, y) in viewport coordinates, flipping to stay inside the window. */
  show(content: TooltipContent, x: number, y: number): void {
    const head = h('div', { class: 'tooltip-title' }, content.title);
    if (content.badge) head.appendChild(h('span', { class: `badge ${content.badge.className}` }, content.badge.text));
    const rows = h('dl', { class: 'tooltip-rows' });
    for (const r of content.rows) {
      rows.appendChild(h('dt', {}, r.label));
      rows.appendChild(h('dd', { class: r.className }, r.value, r.extra ? h('span', { class: 'muted' }, ` ${r.extra}`) : null));
    }
    this.el.replaceChildren(head, rows, content.hint ? h('div', { class: 'tooltip-hint' }, content.hint) : '');
    this.el.classList.add('visible');
    this.el.setAttribute('aria-hidden', 'false');
    const { width, height } = this.el.getBoundingClientRect();
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    let left = x + 14;
    let top = y + 16;
    if (left + width > vw - 4) left = Math.max(4, x - width - 14);
    if (top + height > vh - 4) top = Math.max(4, y - height - 12);
    this.el.style.left = `${Math.round(left)}px`;
    this.el.style.top = `${Math.round(top)}px`;
  }

  hide(): void {
    if (!this.el.classList.contains('visible')) return;
    this.el.classList.remove('visible');
    this.el.setAttribute('aria-hidden', 'true');
  }
}

/** `canOpenSource`: false in a standalone report (no editor): a click shows the stack instead. */
export function stallTooltip(stall: Stall, durationMs: number, process: ProcessInfo | undefined, sessionStartMs: number, othersInMark: number, canOpenSource = true): TooltipContent {
  const rows: TooltipRow[] = [];
  rows.push({ label: 'Handler', value: stall.handler ? stall.handler.label : '(none: not inside a request or callback we know)' });
  if (stall.culprit) {
    const p = splitPath(stall.culprit.file);
    rows.push({ label: 'Culprit', value: `${functionName(stall.culprit)} · ${p.base}:${stall.culprit.line}`, extra: p.dir, className: 'mono' });
  } else {
    rows.push({ label: 'Culprit', value: stall.frames.length ? 'no frame in your code (see the stack)' : 'no stack captured' });
  }
  rows.push({ label: 'Cause', value: causeText(stall.cause) });
  rows.push({ label: 'Thread', value: stallThreadText(stall, process) });
  rows.push({ label: 'Started', value: formatClock(stall.startMs), extra: sinceStart(stall.startMs, sessionStartMs) });
  const victims = victimsPhrase(stall);
  if (victims) {
    const worst = Math.max(...(stall.victims ?? []).map((v) => v.delayedMs));
    rows.push({ label: 'Held up', value: victims.replace(/^delayed /, ''), extra: `up to ${formatDuration(worst)}` });
  }
  if (othersInMark > 0) rows.push({ label: 'Here too', value: `${othersInMark} shorter stall${othersInMark === 1 ? '' : 's'}`, extra: 'zoom in to separate' });
  return {
    title: `${formatDuration(durationMs)} stall`,
    badge: stall.ongoing ? { text: 'ongoing', className: 'badge-ongoing' } : undefined,
    rows,
    hint: canOpenSource && stall.culprit ? 'Click to open the blocking line' : 'Click to show its stack in the list',
  };
}

/** A relative time says what it is relative to: `+0:13.217 since start`. */
function sinceStart(atMs: number, sessionStartMs: number): string {
  return `${formatOffset(atMs - sessionStartMs)} since start`;
}

export function pauseTooltip(pause: PauseRange, durationMs: number, sessionStartMs: number): TooltipContent {
  return {
    title: `Debugger paused ${formatDuration(durationMs)}`,
    badge: pause.endMs === null ? { text: 'paused', className: 'badge-pause' } : undefined,
    rows: [
      { label: 'Reason', value: pause.reason ?? 'pause' },
      { label: 'Started', value: formatClock(pause.startMs), extra: sinceStart(pause.startMs, sessionStartMs) },
      { label: 'Note', value: 'Not a stall: the loop stopped for the debugger.' },
    ],
  };
}

export function lagTooltip(laneLabel: string, atMs: number, intervalMs: number, p50: number, p99: number, max: number): TooltipContent {
  return {
    title: `Event-loop lag · ${formatClock(atMs)}`,
    rows: [
      { label: 'Lane', value: laneLabel },
      { label: 'Window', value: `the ${formatDuration(intervalMs)} up to this time` },
      { label: 'p50', value: formatDuration(p50) },
      { label: 'p99', value: formatDuration(p99) },
      { label: 'max', value: formatDuration(max) },
    ],
  };
}
