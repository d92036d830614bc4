/**
 * THE one HTML and Content-Security-Policy builder for Stallscope's webviews. Pure: the panel
 * provider passes `webview.cspSource`, a fresh nonce and the `asWebviewUri` of the bundle and
 * stylesheet; the headless Chromium tests build their page with it too, so the CSP they run
 * under is the one users get.
 *
 * The page carries no data: the script asks for it with `ready` and receives it by postMessage
 * (never inline JSON in a <script>, never a style attribute: the CSP forbids both).
 */
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  /** `webview.cspSource` (or the origin of a test server). */
  cspSource: string;
  /** From `createNonce()`, new for every HTML string. */
  nonce: string;
  /** URI of dist/webview.js, as the webview may load it. */
  scriptUri: string;
  /** URI of dist/timeline.css. */
  styleUri: string;
  title: string;
}

/** 128 bits from the OS CSPRNG, base64: a script nonce nobody can guess. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  checkSource(cspSource);
  checkNonce(nonce);
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function webviewHtml(o: WebviewHtmlOptions): string {
  const csp = contentSecurityPolicy(o.cspSource, o.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">
<title>${escapeHtml(o.title)}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${escapeHtml(o.nonce)}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function checkNonce(nonce: string): void {
  // base64 / base64url only: anything else could end the attribute or the CSP directive.
  if (!/^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(nonce)) throw new Error('webviewHtml: the nonce must be base64 of at least 12 random bytes (use createNonce())');
}

function checkSource(source: string): void {
  // VS Code's cspSource is a LIST of source expressions (`'self' https://*.vscode-cdn.net`), so spaces and quoted
  // keywords are legitimate; each token must still be a plain source, or a ';' or '"' could inject directives.
  const tokens = source.trim().split(/ +/);
  const ok = source.trim() !== '' && tokens.every((t) => /^('self'|'none'|[a-z][a-z0-9+.-]*:(\/\/[^\s'";,]*)?)$/i.test(t));
  if (!ok) throw new Error(`webviewHtml: invalid cspSource ${JSON.stringify(source)}`);
}
