/**
 * The key to the chart, under the lanes (where a short recording leaves room, and where it
 * stays at any width): what the lines and marks are, and, once for the whole panel, what a stall
 * is and the threshold it was measured against.
 */
import { DEFAULT_THRESHOLD_MS } from '../src/shared/protocol/options';
import { h } from './dom';
import { formatDuration } from './format';
import { severityRange } from './layoutStalls';

export class ChartLegend {
  readonly el: HTMLElement;
  private readonly definition: HTMLSpanElement;
  private readonly lagWindow: HTMLSpanElement;
  private last = '';

  constructor() {
    this.definition = h('span', { class: 'lg-definition' });
    this.lagWindow = h('span', { class: 'lg-caption' });
    this.el = h(
      'div',
      { class: 'legend', role: 'note', 'aria-label': 'Legend' },
      this.definition,
      h(
        'span',
        { class: 'lg-group' },
        this.lagWindow,
        h('span', { class: 'lg' }, h('i', { class: 'sw sw-p50' }), 'p50'),
        h('span', { class: 'lg' }, h('i', { class: 'sw sw-p99' }), 'p99'),
        h('span', { class: 'lg' }, h('i', { class: 'sw sw-max' }), 'max'),
      ),
      h(
        'span',
        { class: 'lg-group' },
        h('span', { class: 'lg-caption' }, 'Stalls'),
        h('span', { class: 'lg' }, h('i', { class: 'sw sw-stall-low' }), severityRange('low')),
        h('span', { class: 'lg' }, h('i', { class: 'sw sw-stall-medium' }), severityRange('medium')),
        h('span', { class: 'lg' }, h('i', { class: 'sw sw-stall-high' }), severityRange('high')),
      ),
      h('span', { class: 'lg' }, h('i', { class: 'sw sw-pause' }), 'debugger paused (not a stall)'),
    );
  }

  /** `thresholdMs`: undefined when the host did not say (an older recording). */
  render(thresholdMs: number | undefined, lagIntervalMs: number | undefined): void {
    const key = `${thresholdMs}|${lagIntervalMs}`;
    if (key === this.last) return;
    this.last = key;
    this.definition.textContent =
      thresholdMs !== undefined
        ? `A stall: the event loop was blocked ≥ ${formatDuration(thresholdMs)}.`
        : `A stall: the event loop was blocked longer than the probe's threshold (${formatDuration(DEFAULT_THRESHOLD_MS)} unless set).`;
    // A window closes at the first beat after its interval, so each is a little longer (103 ms for
    // 100): the caption names the interval, not one window's length.
    this.lagWindow.textContent = lagIntervalMs ? `Lag per ~${formatDuration(twoFigures(lagIntervalMs))}` : 'Lag';
  }
}

function twoFigures(ms: number): number {
  const step = 10 ** Math.max(0, Math.floor(Math.log10(ms)) - 1);
  return Math.round(ms / step) * step;
}
