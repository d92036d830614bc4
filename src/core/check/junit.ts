/**
 * `stallscope check --junit FILE`: one <testcase> per endpoint, failing when the endpoint's longest
 * stall is over the budget (an <error> when its requests failed), in the JUnit XML that CI systems
 * (GitHub, GitLab, Jenkins, Azure) read. Every text from the user's program (labels, paths,
 * function names) is escaped, and characters XML 1.0 cannot carry are dropped.
 */
import { endpointName } from './endpoint';
import { endpointNotes } from './endpointNotes';
import type { CheckResult } from './runCheck';
import type { EndpointResult } from './verdict';

export function toJUnit(r: CheckResult, timestamp = new Date(r.startedAtMs)): string {
  const failures = r.endpoints.filter((e) => !e.error && e.overBudget).length;
  const errors = r.endpoints.filter((e) => e.error).length;
  const seconds = ((r.endedAtMs - r.startedAtMs) / 1000).toFixed(3);
  const counts = `tests="${r.endpoints.length}" failures="${failures}" errors="${errors}" time="${seconds}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="stallscope check" ${counts}>`,
    `  <testsuite name="stallscope check" ${counts} skipped="0" timestamp="${timestamp.toISOString().replace(/\.\d+Z$/, '')}" hostname="localhost">`,
    '    <properties>',
    property('baseUrl', r.baseUrl),
    property('thresholdMs', String(r.thresholdMs)),
    property('budgetMs', String(r.budgetMs)),
    ...(r.canary ? [property('canary', r.canary.label)] : []),
    '    </properties>',
    ...r.endpoints.map((e) => testcase(e, r.budgetMs)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ];
  return lines.join('\n');
}

function property(name: string, value: string): string {
  return `      <property name="${attr(name)}" value="${attr(value)}"/>`;
}

function testcase(e: EndpointResult, budgetMs: number): string {
  const time = ((e.phase.loadEndMs - e.phase.startMs) / 1000).toFixed(3);
  const open = `    <testcase classname="stallscope.check" name="${attr(endpointName(e.endpoint))}" time="${time}">`;
  const out = `      <system-out>${text(evidence(e))}</system-out>`;
  if (e.error) return [open, `      <error message="${attr(e.error)}" type="EndpointError"/>`, out, '    </testcase>'].join('\n');
  if (!e.overBudget) return [open, out, '    </testcase>'].join('\n');
  const message = `${endpointName(e.endpoint)} blocked the event loop for ${ms(e.maxStallMs)}, over the budget of ${ms(budgetMs)}`;
  return [open, `      <failure message="${attr(message)}" type="StallBudgetExceeded">${text(evidence(e))}</failure>`, out, '    </testcase>'].join('\n');
}

function evidence(e: EndpointResult): string {
  const lines = [`verdict: ${e.verdict}`, `stalls: ${e.stalls.length}, max ${ms(e.maxStallMs)}, p99 ${ms(e.p99StallMs)}`];
  if (e.canary) lines.push(`canary p99 under load: ${ms(e.canary.p99Ms)}`);
  for (const c of e.culprits.slice(0, 5)) lines.push(`  ${c.file}:${c.line} ${c.function || '(anonymous)'} — ${c.count}×, ${ms(c.totalMs)} in total`);
  for (const n of endpointNotes(e)) lines.push(n.text);
  return lines.join('\n');
}

function ms(x: number): string {
  return Number.isFinite(x) ? `${Math.round(x * 10) / 10} ms` : '–';
}

// XML 1.0 allows tab, LF, CR and U+0020..U+D7FF, U+E000..U+FFFD and the astral planes; lone surrogates and other controls cannot appear at all.
// eslint-disable-next-line no-control-regex
const INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlText(s: string): string {
  return s.replace(INVALID, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values: quotes escaped, and line breaks as references so a parser does not normalise them away. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

const text = xmlText;
const attr = xmlAttr;
