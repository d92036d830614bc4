/**
 * The human output of `stallscope check`: one row per endpoint (verdict, stalls, max, p99, the
 * canary's p99 idle → under load, the top culprit), then what the worst stall did to other requests,
 * errors, and the budget. Pure: takes the result and returns text.
 */
import { requestPath } from '../core/check/attribution';
import { endpointName } from '../core/check/endpoint';
import { endpointNotes } from '../core/check/endpointNotes';
import { canaryInflated, type EndpointResult } from '../core/check/verdict';
import type { CheckResult } from '../core/check/runCheck';
import { causeText, dependencyText, noCulpritText, victimsPhrase } from '../shared/phrases';
import { displayPath, formatDuration, plural } from './format';
import { plain, visibleLength, type Style } from './style';

export interface CheckSummaryOptions {
  /** Paths inside it are shown relative. */
  cwd: string;
  style?: Style;
  durationS: number;
  connections: number;
  /** Where the JUnit file was written, if it was. */
  junitPath?: string;
}

/** The verdict rule, as --help and the README state it. */
export function verdictRule(thresholdMs: number): string {
  return `blocking = at least one stall of ${thresholdMs} ms or more ran in the endpoint's own handler while it was under load`;
}

export function formatCheckSummary(r: CheckResult, o: CheckSummaryOptions): string {
  const st = o.style ?? plain;
  const lines: string[] = [];
  const canary = r.canary ? `canary ${endpointName(r.canary)}` : 'no canary';
  lines.push(
    `${st.bold('stallscope check')}: ${plural(r.endpoints.length, 'endpoint')} on ${r.baseUrl} · ${o.durationS} s each at ${plural(o.connections, 'connection')} · ` +
      `${canary} · threshold ${r.thresholdMs} ms · budget ${formatDuration(r.budgetMs)} · ${formatDuration(r.endedAtMs - r.startedAtMs)}`,
    '',
  );
  const head = ['endpoint', 'verdict', 'stalls', 'max', 'p99', 'canary p99 idle → load', 'top culprit'];
  const rows = r.endpoints.map((e) => row(e, r, o, st));
  const numeric = new Set([2, 3, 4]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((cells) => visibleLength(cells[c]))));
  const pad = (cell: string, c: number) => {
    const fill = ' '.repeat(Math.max(0, widths[c] - visibleLength(cell)));
    return numeric.has(c) ? fill + cell : cell + fill;
  };
  const line = (cells: string[]) => `  ${cells.map(pad).join('  ')}`.trimEnd();
  lines.push(st.dim(line(head)));
  for (const cells of rows) lines.push(line(cells));
  lines.push('');

  for (const e of r.endpoints) {
    const worst = e.stalls[0];
    const phrase = worst && victimsPhrase(worst);
    if (phrase) lines.push(`  ${endpointName(e.endpoint)}: its longest stall (${formatDuration(worst.durationMs)}) ${phrase}`);
  }
  for (const e of r.endpoints) {
    for (const n of endpointNotes(e)) lines.push(`  ${n.level === 'warn' ? `${st.yellow('!')} ` : ''}${endpointName(e.endpoint)}: ${n.text}`);
  }
  for (const e of r.endpoints) {
    const others = e.otherStalls.reduce((n, x) => n + x.count, 0);
    if (!others) continue;
    const labels = e.otherStalls.slice(0, 3).map((x) => `${x.label} ×${x.count}`).join(', ');
    lines.push(`  ${st.yellow('!')} ${plural(others, 'other stall')} during the load of ${endpointName(e.endpoint)}, not in its handler: ${labels}`);
  }
  for (const e of r.endpoints) if (e.error) lines.push(`  ${st.red('✗')} ${e.error}`);

  const over = r.endpoints.filter((e) => e.overBudget);
  if (over.length) {
    const list = over.map((e) => `${endpointName(e.endpoint)} (${formatDuration(e.maxStallMs)})`).join(', ');
    lines.push(`  ${st.red('✗')} ${st.bold(plural(over.length, 'endpoint'))} over the budget of ${formatDuration(r.budgetMs)}: ${list}`);
  } else {
    lines.push(`  ${st.green('✓')} every endpoint within the budget of ${formatDuration(r.budgetMs)}`);
  }
  lines.push(st.dim(`  ${verdictRule(r.thresholdMs)}`));
  if (o.junitPath) lines.push(`  ${st.dim('junit')}  ${displayPath(o.junitPath, o.cwd)}`);
  return lines.join('\n') + '\n';
}

function row(e: EndpointResult, r: CheckResult, o: CheckSummaryOptions, st: Style): string[] {
  const blocking = e.verdict === 'blocking';
  const verdict = blocking ? st.red(st.bold('blocking')) : st.green('non-blocking');
  const none = st.dim('–');
  const top = e.culprits[0];
  const worst = e.stalls[0];
  // No line in the user's code: say what the longest stall was instead (its cause), not a bare blank.
  const within = worst && dependencyText(worst.frames);
  const unknown = worst ? `(${noCulpritText(worst)}${worst.cause ? `: ${causeText(worst.cause)}` : ''}${within ? `; ${within}` : ''})` : '';
  const culprit = top ? `${st.cyan(`${displayPath(top.file, o.cwd)}:${top.line}`)}${top.function ? ` ${top.function}` : ''}` : blocking ? st.dim(unknown) : none;
  // The route its stalls were handled by, beside the path it was called at: `GET /api/users/42 (/api/users/:id)`.
  const route = e.route && e.route !== requestPath(e.endpoint.path) ? st.dim(` (${e.route})`) : '';
  return [
    endpointName(e.endpoint) + route,
    verdict,
    String(e.stalls.length),
    blocking ? formatDuration(e.maxStallMs) : none,
    blocking ? formatDuration(e.p99StallMs) : none,
    canaryCell(e, r, st),
    culprit,
  ];
}

function canaryCell(e: EndpointResult, r: CheckResult, st: Style): string {
  if (!e.canary || !r.canaryIdle || !Number.isFinite(e.canary.p99Ms)) return st.dim('–');
  const text = `${formatDuration(r.canaryIdle.p99Ms)} → ${formatDuration(e.canary.p99Ms)}`;
  const ratio = e.canary.p99Ms / r.canaryIdle.p99Ms;
  const failed = e.canary.failed ? ` (${e.canary.failed} failed)` : '';
  if (!canaryInflated(r.canaryIdle, e.canary, r.thresholdMs)) return text + failed;
  return `${st.red(text)} ${st.dim(`×${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}`)}${failed}`;
}
