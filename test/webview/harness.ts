/**
 * Runs the real webview bundle (dist/webview.js + dist/timeline.css) in Debian's headless
 * Chromium, in a page built by the real `webviewHtml` (so the real CSP applies), served from a
 * loopback HTTP server whose origin plays `webview.cspSource`. A stub `acquireVsCodeApi` records
 * what the webview posts and stores; messages go in through `window.postMessage`, as VS Code's do.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostToWebview, WebviewToHost } from '../../src/shared/protocol/webviewMessages';
import { createNonce, webviewHtml } from '../../src/views/webviewHtml';

// Functions handed to page.evaluate run in Chromium; this Node-side file is type-checked without
// the DOM lib, so the browser globals they use are declared here, loosely.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const requestAnimationFrame: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// From __filename: the bench loads this file through tsx's tsImport, where __dirname is not set.
const ROOT = join(dirname(__filename), '..', '..');

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install chromium)`);
  for (const f of ['dist/webview.js', 'dist/timeline.css']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run \`node esbuild.mjs\` first`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export interface WebviewServer {
  origin: string;
  /** The nonces of every page served, so a test can check each page had its own. */
  nonces: string[];
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '/dist/webview.js': 'text/javascript; charset=utf-8',
  '/dist/webview.js.map': 'application/json; charset=utf-8',
  '/dist/timeline.css': 'text/css; charset=utf-8',
};

export async function startWebviewServer(): Promise<WebviewServer> {
  const nonces: string[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/') {
      const nonce = createNonce();
      nonces.push(nonce);
      const html = webviewHtml({
        cspSource: origin,
        nonce,
        scriptUri: `${origin}/dist/webview.js`,
        styleUri: `${origin}/dist/timeline.css`,
        title: 'Stallscope Timeline',
      });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
      return;
    }
    const type = TYPES[path];
    if (!type) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(readFileSync(join(ROOT, path)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    nonces,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type ThemeName = 'dark' | 'light' | 'hc';

const FONT = '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif';
const MONO = '"Droid Sans Mono", "monospace", monospace';

/** The variables VS Code sets on a webview's root (a representative subset of Dark/Light Modern and High Contrast). */
export const THEMES: Record<ThemeName, { bodyClass: string; kind: string; vars: Record<string, string> }> = {
  dark: {
    bodyClass: 'vscode-dark',
    kind: 'vscode-dark',
    vars: {
      '--vscode-font-family': FONT,
      '--vscode-font-size': '13px',
      '--vscode-font-weight': 'normal',
      '--vscode-editor-font-family': MONO,
      '--vscode-foreground': '#cccccc',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-editor-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-charts-foreground': '#cccccc',
      '--vscode-charts-lines': 'rgba(204, 204, 204, 0.5)',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-panel-border': '#2b2b2b',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)',
      '--vscode-list-hoverBackground': '#2a2d2e',
      '--vscode-list-activeSelectionBackground': '#04395e',
      '--vscode-list-activeSelectionForeground': '#ffffff',
      '--vscode-list-inactiveSelectionBackground': '#37373d',
      '--vscode-list-focusOutline': '#0078d4',
      '--vscode-editor-selectionBackground': '#264f78',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#026ec1',
      '--vscode-button-border': 'rgba(255, 255, 255, 0.07)',
      '--vscode-badge-background': '#616161',
      '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)',
      '--vscode-inputOption-activeBackground': 'rgba(36, 137, 219, 0.51)',
      '--vscode-inputOption-activeBorder': '#2488db',
      '--vscode-inputOption-activeForeground': '#ffffff',
      '--vscode-editorHoverWidget-background': '#202020',
      '--vscode-editorHoverWidget-foreground': '#cccccc',
      '--vscode-editorHoverWidget-border': '#454545',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-editorWarning-foreground': '#cca700',
      '--vscode-textLink-foreground': '#4daafc',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    kind: 'vscode-light',
    vars: {
      '--vscode-font-family': FONT,
      '--vscode-font-size': '13px',
      '--vscode-font-weight': 'normal',
      '--vscode-editor-font-family': MONO,
      '--vscode-foreground': '#3b3b3b',
      '--vscode-editor-background': '#ffffff',
      '--vscode-editor-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-charts-foreground': '#616161',
      '--vscode-charts-lines': 'rgba(97, 97, 97, 0.5)',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-purple': '#652d90',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)',
      '--vscode-list-hoverBackground': '#f2f2f2',
      '--vscode-list-activeSelectionBackground': '#e8e8e8',
      '--vscode-list-activeSelectionForeground': '#000000',
      '--vscode-list-inactiveSelectionBackground': '#e4e6f1',
      '--vscode-list-focusOutline': '#005fb8',
      '--vscode-editor-selectionBackground': '#add6ff',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-border': 'rgba(0, 0, 0, 0.1)',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)',
      '--vscode-inputOption-activeBackground': 'rgba(190, 195, 201, 0.33)',
      '--vscode-inputOption-activeBorder': '#005fb8',
      '--vscode-inputOption-activeForeground': '#000000',
      '--vscode-editorHoverWidget-background': '#f8f8f8',
      '--vscode-editorHoverWidget-foreground': '#3b3b3b',
      '--vscode-editorHoverWidget-border': '#c8c8c8',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-editorWarning-foreground': '#bf8803',
      '--vscode-textLink-foreground': '#005fb8',
    },
  },
  // High Contrast Dark: most backgrounds are unset; borders and outlines carry the structure.
  hc: {
    bodyClass: 'vscode-high-contrast',
    kind: 'vscode-high-contrast',
    vars: {
      '--vscode-font-family': FONT,
      '--vscode-font-size': '13px',
      '--vscode-font-weight': 'normal',
      '--vscode-editor-font-family': MONO,
      '--vscode-foreground': '#ffffff',
      '--vscode-editor-background': '#000000',
      '--vscode-editor-foreground': '#ffffff',
      '--vscode-descriptionForeground': 'rgba(255, 255, 255, 0.7)',
      '--vscode-focusBorder': '#f38518',
      '--vscode-contrastBorder': '#6fc3df',
      '--vscode-contrastActiveBorder': '#f38518',
      '--vscode-charts-foreground': '#ffffff',
      '--vscode-charts-lines': 'rgba(255, 255, 255, 0.5)',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-yellow': '#ffd700',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
      '--vscode-panel-border': '#6fc3df',
      '--vscode-list-focusOutline': '#f38518',
      '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-border': '#6fc3df',
      '--vscode-badge-background': '#000000',
      '--vscode-badge-foreground': '#ffffff',
      '--vscode-toolbar-hoverOutline': '#f38518',
      '--vscode-inputOption-activeBorder': '#6fc3df',
      '--vscode-inputOption-activeForeground': '#ffffff',
      '--vscode-editorHoverWidget-background': '#0c141f',
      '--vscode-editorHoverWidget-foreground': '#ffffff',
      '--vscode-editorHoverWidget-border': '#6fc3df',
      '--vscode-editorWidget-background': '#0c141f',
      '--vscode-editorWarning-foreground': '#b89500',
      '--vscode-textLink-foreground': '#21a6ff',
    },
  },
};

export interface Recorded {
  posted: WebviewToHost[];
  states: unknown[];
  state: unknown;
  csp: { directive: string; blocked: string; sample: string }[];
  alerts: number;
  rafs: number;
}

export interface TimelinePage {
  page: Page;
  /** Console errors, page errors and CSP complaints seen so far. */
  problems: string[];
  send(msg: HostToWebview): Promise<void>;
  posted(): Promise<WebviewToHost[]>;
  recorded(): Promise<Recorded>;
  /** Resolves after the webview has rendered what it has (two animation frames). */
  settle(): Promise<void>;
  theme(name: ThemeName): Promise<void>;
  close(): Promise<void>;
}

export async function openTimeline(
  browser: Browser,
  server: WebviewServer,
  opts: { state?: unknown; theme?: ThemeName; viewport?: { width: number; height: number }; deviceScaleFactor?: number } = {},
): Promise<TimelinePage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 720 }, deviceScaleFactor: opts.deviceScaleFactor ?? 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  // tsx compiles this file with esbuild's keepNames, which wraps functions in `__name(…)`; the
  // functions handed to the page (init script, evaluate) need that helper there too.
  await page.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
  await page.addInitScript((initial: unknown) => {
    const rec = { posted: [] as unknown[], states: [] as unknown[], state: initial, csp: [] as unknown[], alerts: 0, rafs: 0 };
    // Count animation frames requested, to check that a burst of messages costs one frame.
    const raf = window.requestAnimationFrame.bind(window);
    window.requestAnimationFrame = (cb: (t: number) => void) => {
      rec.rafs++;
      return raf(cb);
    };
    (window as unknown as { __ss: unknown }).__ss = rec;
    // A script injected through data would most likely call alert(): count it.
    window.alert = () => {
      rec.alerts++;
    };
    document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string; sample: string }) => rec.csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample }));
    let acquired = false;
    (window as unknown as { acquireVsCodeApi: unknown }).acquireVsCodeApi = () => {
      // As in VS Code: the API can be acquired once per page.
      if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
      acquired = true;
      return Object.freeze({
        postMessage: (m: unknown) => rec.posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => rec.state,
        setState: (s: unknown) => {
          rec.state = JSON.parse(JSON.stringify(s));
          rec.states.push(rec.state);
          return s;
        },
      });
    };
  }, opts.state);
  await page.goto(`${server.origin}/`);
  await page.waitForFunction(() => window.__ss.posted.length > 0);
  const tp: TimelinePage = {
    page,
    problems,
    // As a JSON string: Playwright's argument serialiser takes seconds for 144k objects, JSON.parse milliseconds.
    send: (msg) => page.evaluate((json) => window.postMessage(JSON.parse(json), '*'), JSON.stringify(msg)),
    posted: () => page.evaluate(() => window.__ss.posted),
    recorded: () => page.evaluate(() => window.__ss),
    settle: () => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())))),
    theme: async (name) => {
      const t = THEMES[name];
      await page.evaluate((th) => {
        // What VS Code does: the body's theme class and the colour variables on <html>, via CSSOM.
        document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast', 'vscode-high-contrast-light');
        document.body.classList.add(th.bodyClass);
        document.body.dataset.vscodeThemeKind = th.kind;
        const root = document.documentElement.style;
        for (let i = root.length - 1; i >= 0; i--) if (root[i].startsWith('--vscode-')) root.removeProperty(root[i]);
        for (const [k, v] of Object.entries(th.vars)) root.setProperty(k, v);
      }, t);
      await tp.settle();
    },
    close: () => context.close(),
  };
  await tp.theme(opts.theme ?? 'dark');
  return tp;
}
