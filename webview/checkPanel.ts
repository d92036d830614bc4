/**
 * The verdicts of `Stallscope: Check Endpoints`, above the timeline: one row per endpoint
 * (verdict, stalls, max, p99, the canary's p99 idle → under load, the top culprit). The culprit is a
 * button that reveals the longest stall it caused, exactly like picking that stall in the list.
 * Endpoint names and paths come from the user: text nodes only.
 */
import type { CheckEndpointView, CheckView } from '../src/shared/protocol/webviewMessages';
import { h } from './dom';
import { formatDuration, splitPath } from './format';

export interface CheckPanelEvents {
  reveal(stallId: string): void;
}

const STATUS_TEXT: Record<CheckView['status'], string> = {
  running: 'running',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

export class CheckPanel {
  readonly el: HTMLElement;

  constructor(private readonly events: CheckPanelEvents) {
    this.el = h('section', { class: 'check-pane', 'aria-label': 'Endpoint check' });
    this.el.hidden = true;
    this.el.addEventListener('click', (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('button[data-stall]');
      if (button?.dataset.stall) this.events.reveal(button.dataset.stall);
    });
  }

  render(check: CheckView | null): void {
    this.el.hidden = !check;
    if (!check) {
      this.el.replaceChildren();
      return;
    }
    this.el.dataset.status = check.status;
    const facts = [
      check.baseUrl,
      check.canary ? `canary ${check.canary}${check.canaryIdleP99Ms !== null ? ` (idle p99 ${formatDuration(check.canaryIdleP99Ms)})` : ''}` : 'no canary',
      `threshold ${formatDuration(check.thresholdMs)}`,
    ];
    const header = h(
      'div',
      { class: 'check-header' },
      h('h2', {}, 'Endpoint check'),
      h('span', { class: 'muted check-facts' }, facts.join(' · ')),
      h('span', { class: `check-status status-${check.status}` }, STATUS_TEXT[check.status]),
    );
    const children: Node[] = [header];
    if (check.message) children.push(h('div', { class: `check-message${check.status === 'failed' ? ' error' : ''}` }, check.message));
    if (check.endpoints.length) children.push(table(check));
    for (const e of check.endpoints) {
      if (e.victims) children.push(h('div', { class: 'check-note muted' }, `${e.endpoint}: its longest stall (${formatDuration(e.maxStallMs)}) ${e.victims}`));
      if (e.error) children.push(h('div', { class: 'check-note error' }, e.error));
    }
    if (check.status === 'done') {
      children.push(
        h('div', { class: 'check-note muted' }, `blocking = at least one stall of ${formatDuration(check.thresholdMs)} or more ran in the endpoint's own handler while it was under load`),
      );
    }
    this.el.replaceChildren(...children);
  }
}

function table(check: CheckView): HTMLTableElement {
  const head = h(
    'tr',
    {},
    ...['Endpoint', 'Verdict', 'Stalls', 'Max', 'p99', 'Canary p99 idle → load', 'Top culprit'].map((t) => h('th', { scope: 'col' }, t)),
  );
  const body = h('tbody', {}, ...check.endpoints.map((e) => row(e, check)));
  return h('table', { class: 'check-table' }, h('thead', {}, head), body);
}

function row(e: CheckEndpointView, check: CheckView): HTMLTableRowElement {
  const blocking = e.verdict === 'blocking';
  const canary =
    e.canaryP99Ms === null || check.canaryIdleP99Ms === null
      ? '–'
      : `${formatDuration(check.canaryIdleP99Ms)} → ${formatDuration(e.canaryP99Ms)}${e.inflated ? ` (×${ratio(e.canaryP99Ms / check.canaryIdleP99Ms)})` : ''}`;
  let culprit: Node = document.createTextNode(blocking ? '(no frame in your code)' : '–');
  if (e.culprit) {
    const p = splitPath(e.culprit.file);
    culprit = h(
      'button',
      { class: 'link culprit', type: 'button', 'data-stall': e.culprit.stallId, title: `${e.culprit.file}:${e.culprit.line} · ${formatDuration(e.culprit.totalMs)} in total: open the longest stall` },
      h('span', { class: 'loc-text' }, `${p.base}:${e.culprit.line}`),
      e.culprit.function ? h('span', { class: 'muted' }, ` ${e.culprit.function}`) : null,
    );
  }
  return h(
    'tr',
    { class: `verdict-${e.verdict}${e.overBudget ? ' over-budget' : ''}`, 'data-endpoint': e.endpoint },
    h('th', { scope: 'row', class: 'mono' }, e.endpoint),
    h('td', { class: 'verdict' }, e.verdict),
    h('td', { class: 'num' }, String(e.stalls)),
    h('td', { class: 'num' }, blocking ? formatDuration(e.maxStallMs) : '–'),
    h('td', { class: 'num' }, blocking ? formatDuration(e.p99StallMs) : '–'),
    h('td', { class: `num${e.inflated ? ' inflated' : ''}` }, canary),
    h('td', {}, culprit),
  );
}

function ratio(x: number): string {
  return x >= 10 ? String(Math.round(x)) : x.toFixed(1);
}
