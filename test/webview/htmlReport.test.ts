/**
 * The standalone HTML report, end to end: a real program that really blocks runs under
 * `stallscope run --html`, and the file it writes is opened in headless Chromium from a file://
 * URL with the network off. The stalls render (marks, list, stacks) from the embedded data alone,
 * nothing is fetched, nothing breaks the CSP, and names from the program stay text.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parseReport, type Report } from '../../src/shared/protocol/report';
import { embedJson, htmlReport, readReportAssets } from '../../src/report/htmlReport';
import { launchChromium } from './harness';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

/** Two blocks on known lines, in a handler-less script, then a clean exit. */
const PROGRAM = `'use strict';
function spin(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {} // @block
}
setTimeout(() => spin(260), 300);
setTimeout(() => spin(380), 900);
setTimeout(() => {}, 1600);
`;
const BLOCK_LINE = PROGRAM.split('\n').findIndex((l) => l.includes('// @block')) + 1;

let browser: Browser;
let dir: string;
let report: Report;
let htmlPath: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-html-'));
  writeFileSync(join(dir, 'blocker.js'), PROGRAM);
  htmlPath = join(dir, 'report.html');
  const r = spawnSync(process.execPath, [join(DIST, 'cli.js'), 'run', '--quiet', '--html', htmlPath, '--out', join(dir, 'report.json'), '--', process.execPath, 'blocker.js'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `stallscope run exited ${r.status}: ${r.stderr}`);
  const parsed = parseReport(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  report = parsed.report;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  context: BrowserContext;
  requests: string[];
  problems: string[];
}

/** Opens a file offline; every request is recorded, and any that is not the file itself is refused. */
async function openOffline(file: string): Promise<Opened> {
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await context.route('**/*', (route) => (route.request().url().startsWith('file://') ? route.continue() : route.abort()));
  await page.goto(`file://${file}`);
  await page.waitForSelector('.ss-app[data-state="ready"]');
  await page.evaluate(() => new Promise((r) => window.requestAnimationFrame(() => window.requestAnimationFrame(r))));
  return { page, context, requests, problems };
}

describe('standalone HTML report', () => {
  it('stallscope run --html writes one file: bundle and styles inline, data as inert JSON, a nonce CSP, no URL', () => {
    const html = readFileSync(htmlPath, 'utf8');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
    assert.ok(csp, 'a CSP');
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    assert.ok(nonce && nonce.length >= 22, csp);
    assert.equal(csp, `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:`);
    // Exactly one executable script (the bundle, with the nonce) and one data block.
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1].trim());
    assert.deepEqual(scripts, ['type="application/json" id="stallscope-report"', `nonce="${nonce}"`]);
    assert.doesNotMatch(html, /<(link|img|iframe)\b|\bsrc=|https?:\/\/(?!www\.w3\.org)/, 'nothing to fetch');
    const data = /<script type="application\/json" id="stallscope-report">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    assert.doesNotMatch(data, /</, 'no "<" inside the data block');
    assert.equal(JSON.parse(data).stalls.length, report.stalls.length);
  });

  it('opens from file:// with the network off and shows the recorded stalls, their line and stack', async () => {
    assert.ok(report.stalls.length >= 2, `${report.stalls.length} stalls recorded`);
    const o = await openOffline(htmlPath);
    try {
      const { page } = o;
      const marks = await page.locator('svg.plot-svg rect.stall-mark[data-stall-id]').evaluateAll((els: { getAttribute(n: string): string }[]) => els.map((e) => e.getAttribute('data-stall-id')));
      assert.deepEqual(new Set(marks), new Set(report.stalls.map((s) => s.id)), 'one mark per recorded stall');
      assert.equal(await page.locator('.count-badge').textContent(), String(report.stalls.length));
      // The blocking line, found by the probe, in the list.
      const group = page.locator('.tree .row-group').first();
      assert.match((await group.textContent()) ?? '', new RegExp(`spin\\s*blocker\\.js:${BLOCK_LINE}`));
      // A finished 2-second run fills the plot (it is not padded out to a live session's 30 s).
      const span = await page.evaluate(() => {
        const chart = document.querySelector('.chart');
        return Number(chart.dataset.viewEnd) - Number(chart.dataset.viewStart);
      });
      assert.ok(span < 6_000, `the view spans ${span} ms`);
      // No editor to open: a click on a mark shows its stack in the list.
      assert.equal(await page.locator('.tree .row-frame').count(), 0);
      await page.locator('svg.plot-svg rect.stall-mark').first().click();
      await page.evaluate(() => new Promise((r) => window.requestAnimationFrame(() => window.requestAnimationFrame(r))));
      assert.ok((await page.locator('.tree .row-frame').count()) >= 2, 'the stack is listed');
      assert.ok((await page.locator('.tree .row-frame').allTextContents()).some((f) => f.includes(`blocker.js:${BLOCK_LINE}:`)), 'with the blocking line');
      // A finished recording, said so; no action that needs an editor.
      assert.equal((await page.locator('.toolbar .status').textContent())?.toLowerCase(), 'ended');
      assert.equal(await page.locator('button[data-action="save"]').isVisible(), false);
      assert.equal(await page.locator('button[data-action="export"]').isVisible(), false, 'a report does not export itself');
      assert.match((await page.locator('.legend').textContent()) ?? '', /A stall: the event loop was blocked ≥ 50 ms\./);
      assert.deepEqual(o.requests, [`file://${htmlPath}`], 'nothing but the file itself was requested');
      assert.deepEqual(o.problems, [], 'no console error, page error, dialog or CSP complaint');
      await page.screenshot({ path: join(ROOT, 'out', 'screenshots', 'html-report.png') });
    } finally {
      await o.context.close();
    }
  });

  it('keeps names from the program as text: markup in a handler label neither runs nor ends the data block', async () => {
    const evil = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';
    const tampered: Report = { ...report, stalls: report.stalls.map((s, i) => (i === 0 ? { ...s, handler: { kind: 'http', label: evil } } : s)) };
    assert.doesNotMatch(embedJson({ label: evil }), /</);
    const file = join(dir, 'evil.html');
    writeFileSync(file, htmlReport(tampered, readReportAssets(DIST), { title: `<b>${evil}</b>` }));
    const o = await openOffline(file);
    try {
      const { page } = o;
      assert.equal(await page.locator('svg.plot-svg rect.stall-mark').count(), report.stalls.length);
      assert.equal(await page.locator('#app img, #app b').count(), 0, 'no element from data');
      await page.locator('.tree .row-group').first().locator('.twistie').click();
      const labels = await page.locator('.tree .row-stall .handler').allTextContents();
      assert.ok(labels.includes(evil), `the label is shown as text: ${JSON.stringify(labels)}`);
      assert.equal(await page.title(), `Stallscope · <b>${evil}</b>`);
      assert.deepEqual(o.problems, []);
    } finally {
      await o.context.close();
    }
  });

  it('a report whose data block was edited into something else says so instead of running it', async () => {
    const html = readFileSync(htmlPath, 'utf8').replace(/(<script type="application\/json" id="stallscope-report">)[\s\S]*?(<\/script>)/, '$1{"title":1}$2');
    const file = join(dir, 'broken.html');
    writeFileSync(file, html);
    const context = await browser.newContext({ offline: true });
    try {
      const page = await context.newPage();
      await page.goto(`file://${file}`);
      await page.waitForFunction(() => document.body.textContent.includes('no readable recording'));
      assert.equal(await page.locator('rect.stall-mark').count(), 0);
    } finally {
      await context.close();
    }
  });
});
