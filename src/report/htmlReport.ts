/**
 * `stallscope run --html report.html` (and Export HTML in the editor): ONE file that opens offline
 * in any browser with the same timeline, stall list and stacks as the editor's panel. The built
 * webview bundle and its stylesheet are inlined; the recording travels as data, never as code:
 * a `<script type="application/json">` (not executed, `<` escaped so no text in it can close the
 * element) that the bundle parses and validates at start. A CSP with a fresh nonce allows those
 * two inline blocks and nothing else: no network, no other script, no style from outside.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Report } from '../shared/protocol/report';
import type { TimelineState } from '../shared/protocol/webviewMessages';
import { createNonce, escapeHtml } from '../views/webviewHtml';
import { REPORT_BODY_CLASS, REPORT_DATA_ID } from './reportPage';
import { REPORT_THEME_CSS } from './reportTheme';

export interface ReportAssets {
  /** dist/webview.js */
  script: string;
  /** dist/timeline.css */
  css: string;
}

/** Reads the built bundle and stylesheet from a dist folder (the CLI's and the extension's own). */
export function readReportAssets(distDir: string): ReportAssets {
  return { script: readFileSync(join(distDir, 'webview.js'), 'utf8'), css: readFileSync(join(distDir, 'timeline.css'), 'utf8') };
}

/** What the timeline shows of a finished report. */
export function reportTimelineState(report: Report, title?: string): TimelineState {
  return {
    title: title ?? report.command.join(' '),
    live: false,
    startedAtMs: Date.parse(report.startedAt),
    processes: report.processes ?? [],
    stalls: report.stalls,
    lag: report.lag,
    pauses: report.pauses ?? [],
    ...(report.thresholdMs !== undefined ? { thresholdMs: report.thresholdMs } : {}),
  };
}

/**
 * JSON that cannot end the element it sits in: every `<` (and the two line separators JavaScript
 * once treated as newlines) as a \u escape, which JSON.parse reads back as the same character.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Code or CSS as the body of a raw-text element: refuses what would end it early, rather than guess. */
function rawText(text: string, tag: 'script' | 'style'): string {
  // `</script` → `<\/script`: the same in a string, a regex or a CSS escape; `<!--` would switch the
  // HTML parser into a state where a later `<script` nests, so a bundle holding one is refused.
  if (/<!--/.test(text)) throw new Error(`htmlReport: the ${tag} contains "<!--"; it cannot be inlined safely`);
  return text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}

export function reportCsp(nonce: string): string {
  return ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, 'img-src data:'].join('; ');
}

export function htmlReport(report: Report, assets: ReportAssets, opts: { title?: string; nonce?: string } = {}): string {
  const nonce = opts.nonce ?? createNonce();
  if (!/^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(nonce)) throw new Error('htmlReport: the nonce must be base64 (use createNonce())');
  const state = reportTimelineState(report, opts.title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(reportCsp(nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="Stallscope">
<title>${escapeHtml(`Stallscope · ${state.title}`)}</title>
<style nonce="${nonce}">
${rawText(REPORT_THEME_CSS, 'style')}
${rawText(assets.css, 'style')}
</style>
</head>
<body class="${REPORT_BODY_CLASS}">
<div id="app"></div>
<script type="application/json" id="${REPORT_DATA_ID}">${embedJson(state)}</script>
<script nonce="${nonce}">
${rawText(assets.script, 'script')}
</script>
</body>
</html>
`;
}

/** Writes the report next to nothing else: one self-contained file. */
export function writeHtmlReport(file: string, report: Report, distDir: string, title?: string): void {
  writeFileSync(file, htmlReport(report, readReportAssets(distDir), { title }));
}

/** For the CLI: writes the report, or says on `err` why not (the JSON report and the summary still follow). */
export function tryWriteHtmlReport(file: string, report: Report, distDir: string, err: (line: string) => void): string | undefined {
  try {
    writeHtmlReport(file, report, distDir);
    return file;
  } catch (e) {
    err(`could not write the HTML report to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    return undefined;
  }
}
