/**
 * The human summary printed on stderr when a run ends: what blocked, where, how often, how long.
 * Pure: takes the report and returns text, so it is unit-tested without processes.
 */
import { groupByCulprit, type CulpritGroup } from '../core/culprits';
import { backToBackPhrase, causeText, dependencyText, functionName, handlerText, PROBE_REACH, victimsPhrase } from '../shared/phrases';
import type { Stall } from '../shared/protocol/model';
import type { Report } from '../shared/protocol/report';
import { displayPath, formatDuration, plural } from './format';
import { routeLines } from './routeSummary';
import { plain, type Style } from './style';

export interface SummaryOptions {
  /** Paths inside it are shown relative. */
  cwd: string;
  style?: Style;
  /** Wall time of the run. */
  wallMs: number;
  thresholdMs: number;
  /** Where the report was written, if it was. */
  reportPath?: string;
  /** Culprit rows shown before "… N more". */
  top?: number;
  /** Connections and frames the host refused (wrong token, malformed, oversized). */
  refusedConnections?: number;
  refusedFrames?: number;
  /** Messages the probes dropped (their buffer was full while no host listened). */
  probeDropped?: number;
  failOnStallMs?: number;
}

/** Stalls longer than the budget, longest first. */
export function stallsOverBudget(stalls: readonly Stall[], budgetMs: number): Stall[] {
  return stalls.filter((s) => s.durationMs > budgetMs).sort((a, b) => b.durationMs - a.durationMs);
}

export function formatSummary(report: Report, o: SummaryOptions): string {
  const st = o.style ?? plain;
  const stalls = report.stalls;
  const processes = report.processes ?? [];
  const threads = processes.reduce((n, p) => n + Math.max(1, p.threads.length), 0);
  const where = `${plural(processes.length, 'process', 'processes')}${threads > processes.length ? `, ${plural(threads, 'thread')}` : ''}`;
  const lines: string[] = [];
  const head = st.bold('stallscope');

  if (processes.length === 0) {
    lines.push(
      `${head}: ${st.yellow('no probe reported')} in ${formatDuration(o.wallMs)}: ${PROBE_REACH}, ` +
        `and "${report.command[0] ?? ''}" started none (or they exited before connecting)`,
    );
  } else if (stalls.length === 0) {
    lines.push(`${head}: ${st.green(`no stalls ≥ ${o.thresholdMs} ms`)} in ${formatDuration(o.wallMs)} (${where})`);
  } else {
    const blocked = stalls.reduce((t, s) => t + s.durationMs, 0);
    lines.push(
      `${head}: ${st.bold(st.red(plural(stalls.length, 'stall')))} ≥ ${o.thresholdMs} ms in ${formatDuration(o.wallMs)}, ` +
        `${st.bold(formatDuration(blocked))} blocked in total (${where})`,
    );
    lines.push('', ...culpritTable(stalls, o, st, processes.length > 1));
    const routes = routeLines(stalls, st);
    if (routes.length) lines.push('', ...routes);
    const victims = victimsLine(stalls);
    if (victims) lines.push('', `  ${victims}`);
  }

  const notes: string[] = [];
  if (o.probeDropped) notes.push(`probes dropped ${plural(o.probeDropped, 'message')} (no host was listening and their buffer was full)`);
  if (o.refusedConnections || o.refusedFrames) {
    const parts = [];
    if (o.refusedConnections) parts.push(plural(o.refusedConnections, 'connection'));
    if (o.refusedFrames) parts.push(plural(o.refusedFrames, 'frame'));
    notes.push(`refused ${parts.join(' and ')} (wrong token, malformed or oversized)`);
  }
  if (notes.length) lines.push('', ...notes.map((n) => `  ${st.yellow('!')} ${n}`));

  if (o.failOnStallMs !== undefined) lines.push('', ...budgetLines(stalls, o.failOnStallMs, o, st));
  if (o.reportPath) lines.push('', `  ${st.dim('report')}  ${displayPath(o.reportPath, o.cwd)}`);
  return lines.join('\n') + '\n';
}

function culpritTable(stalls: readonly Stall[], o: SummaryOptions, st: Style, showPid: boolean): string[] {
  const groups = groupByCulprit(stalls, 'total');
  const top = o.top ?? 5;
  const byId = new Map(stalls.map((s) => [s.id, s]));
  const rows = groups.slice(0, top).map((g) => {
    const members = g.stallIds.map((id) => byId.get(id)).filter((s): s is Stall => !!s);
    return {
      total: formatDuration(g.totalMs),
      max: formatDuration(g.maxMs),
      count: String(g.count),
      where: culpritText(g, members, o.cwd, st),
      detail: detailText(g, members, st, showPid),
    };
  });
  const w = {
    total: Math.max(5, ...rows.map((r) => r.total.length)),
    max: Math.max(3, ...rows.map((r) => r.max.length)),
    count: Math.max(5, ...rows.map((r) => r.count.length)),
  };
  const indent = ' '.repeat(2 + w.total + 2 + w.max + 2 + w.count + 2);
  const out = [st.dim(`  ${'total'.padStart(w.total)}  ${'max'.padStart(w.max)}  ${'count'.padStart(w.count)}  culprit`)];
  for (const r of rows) {
    out.push(`  ${st.bold(r.total.padStart(w.total))}  ${r.max.padStart(w.max)}  ${r.count.padStart(w.count)}  ${r.where}`);
    if (r.detail) out.push(`${indent}${r.detail}`);
  }
  const rest = groups.slice(top);
  if (rest.length) {
    const n = rest.reduce((t, g) => t + g.count, 0);
    const ms = rest.reduce((t, g) => t + g.totalMs, 0);
    out.push(st.dim(`  … ${plural(rest.length, 'more culprit')}: ${plural(n, 'stall')}, ${formatDuration(ms)}`));
  }
  return out;
}

function culpritText(g: CulpritGroup, members: Stall[], cwd: string, st: Style): string {
  if (g.culprit) {
    const fn = g.culprit.function ? `  ${g.culprit.function}` : '';
    return `${st.cyan(`${displayPath(g.culprit.file, cwd)}:${g.culprit.line}`)}${fn}`;
  }
  // No user frame: say where it was instead of a bare "(unknown)": in which library, else on top of the stack.
  const frames = members.find((s) => s.frames.length > 0)?.frames ?? [];
  if (!frames.length) return st.dim('(no stack captured: outside your code)');
  const where = dependencyText(frames) ?? `top of stack: ${displayPath(frames[0].file, cwd)}:${frames[0].line} ${functionName(frames[0])}`;
  return `${st.dim('(no frame in your code;')} ${where}${st.dim(')')}`;
}

function detailText(g: CulpritGroup, members: Stall[], st: Style, showPid: boolean): string {
  const parts: string[] = [];
  if (g.handlers.length) {
    const shown = g.handlers.slice(0, 2).join(', ');
    parts.push(g.handlers.length > 2 ? `${shown} (+${g.handlers.length - 2} more)` : shown);
  }
  const causes = tally(members.flatMap((s) => (s.cause ? [causeText(s.cause)] : [])));
  if (causes.length) parts.push(causes[0]);
  const workers = [...new Set(members.filter((s) => s.thread.id !== 0).map((s) => s.thread.name ?? `worker ${s.thread.id}`))];
  if (workers.length) parts.push(`in ${workers.join(', ')}`);
  if (showPid) {
    const pids = [...new Set(members.map((s) => s.pid))];
    parts.push(pids.length > 3 ? `${pids.length} processes` : `pid ${pids.join(', ')}`);
  }
  return parts.length ? st.dim(parts.join(' · ')) : '';
}

/** "the longest stall (640 ms in GET /slow) delayed 37 requests, 3 of them GET /health": what it did to everyone else. */
export function victimsLine(stalls: readonly Stall[]): string | undefined {
  const worst = stalls.filter((s) => victimsPhrase(s)).sort((a, b) => b.durationMs - a.durationMs)[0];
  if (!worst) return undefined;
  const where = worst.handler ? ` in ${worst.handler.label}` : '';
  const longest = worst === [...stalls].sort((a, b) => b.durationMs - a.durationMs)[0];
  const merged = backToBackPhrase(worst);
  return `${longest ? 'the longest stall' : 'a stall'} (${formatDuration(worst.durationMs)}${where}${merged ? `: ${merged}` : ''}) ${victimsPhrase(worst)}`;
}

function budgetLines(stalls: readonly Stall[], budgetMs: number, o: SummaryOptions, st: Style): string[] {
  const over = stallsOverBudget(stalls, budgetMs);
  if (!over.length) return [`  ${st.green('✓')} no stall longer than ${formatDuration(budgetMs)} (--fail-on-stall)`];
  const out = [`  ${st.red('✗')} ${st.bold(plural(over.length, 'stall'))} longer than ${formatDuration(budgetMs)} (--fail-on-stall):`];
  const shown = over.slice(0, 10);
  const w = Math.max(...shown.map((s) => formatDuration(s.durationMs).length));
  for (const s of shown) {
    const where = s.culprit ? `${displayPath(s.culprit.file, o.cwd)}:${s.culprit.line}` : '(no frame in your code)';
    const fn = s.culprit?.function ? ` ${s.culprit.function}` : '';
    const handler = s.handler ? ` · ${handlerText(s.handler)}` : '';
    out.push(`    ${st.red(formatDuration(s.durationMs).padStart(w))}  ${where}${fn}${st.dim(`${handler} · pid ${s.pid}`)}`);
  }
  if (over.length > shown.length) out.push(st.dim(`    … and ${over.length - shown.length} more`));
  return out;
}

/** Distinct values, most frequent first. */
function tally(values: string[]): string[] {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([v]) => v);
}
