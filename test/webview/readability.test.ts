/**
 * What a first-time user reads, in the real bundle in headless Chromium, at half width (~800 px)
 * and full width (~1600 px) in the dark, light and high-contrast themes: the list always shows
 * a whole `file:line`, the request labels, the check table's top culprit and the legend stay on
 * screen, the axes carry units, text reaches WCAG AA contrast (computed from the styles), and a
 * screenshot of each lands in out/screenshots/readable-<theme>-<width>.png to be looked at.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Stall } from '../../src/shared/protocol/model';
import type { CheckView, TimelineState } from '../../src/shared/protocol/webviewMessages';
import { alphaOf, blend, contrastRatio, parseColor, type Rgb } from '../../webview/contrast';
import { launchChromium, openTimeline, startWebviewServer, type ThemeName, type TimelinePage, type WebviewServer } from './harness';
import { demoState, oneStall } from './synthetic';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const getComputedStyle: any;
type Element = any;
/* eslint-enable @typescript-eslint/no-explicit-any */

const SHOTS = join(__dirname, '..', '..', 'out', 'screenshots');
const T_END = Date.UTC(2025, 0, 15, 12, 0, 0);

let browser: Browser;
let server: WebviewServer;
let tp: TimelinePage | undefined;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  server = await startWebviewServer();
});
after(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  if (!tp) return;
  const rec = await tp.recorded();
  const problems = tp.problems.filter((p) => !/favicon|status of 404/.test(p));
  await tp.close();
  tp = undefined;
  assert.deepEqual(rec.csp, [], 'CSP violations');
  assert.deepEqual(problems, [], 'console errors / page errors / dialogs');
});

/** A culprit deep in a long-named function, as in the report: `pricing.ts:17` must never read `pricing.ts:1`. */
const pricing = oneStall({
  id: 'pricing-1',
  startMs: T_END - 50_000,
  durationMs: 612,
  handler: { kind: 'http', label: 'GET /api/quote/:sku' },
  culprit: { function: 'computeVolumeDiscountedPriceForCustomerSegment', file: '/home/dev/shop-api/src/services/pricing/engine/pricing.ts', line: 17, column: 9 },
  frames: [
    { function: 'computeVolumeDiscountedPriceForCustomerSegment', file: '/home/dev/shop-api/src/services/pricing/engine/pricing.ts', line: 17, column: 9 },
    { function: 'quoteHandler', file: '/home/dev/shop-api/src/routes/quote.ts', line: 88, column: 21 },
  ],
});

function state(): TimelineState {
  const s = demoState({ endMs: T_END });
  s.stalls = [...s.stalls, pricing];
  s.thresholdMs = 50;
  return s;
}

const check: CheckView = {
  baseUrl: 'http://127.0.0.1:3000',
  thresholdMs: 50,
  budgetMs: 50,
  canary: 'GET /health',
  canaryIdleP99Ms: 2,
  startedAtMs: T_END - 30_000,
  status: 'done',
  endpoints: [
    {
      endpoint: 'GET /api/quote/:sku',
      verdict: 'blocking',
      stalls: 12,
      maxStallMs: 612,
      p99StallMs: 600,
      canaryP99Ms: 640,
      inflated: true,
      culprit: { file: pricing.culprit!.file, line: 17, function: pricing.culprit!.function, totalMs: 4200, stallId: pricing.id },
      victims: 'delayed 37 requests, 3 of them GET /health',
      overBudget: true,
    },
    { endpoint: 'GET /health', verdict: 'non-blocking', stalls: 0, maxStallMs: 0, p99StallMs: 0, canaryP99Ms: 3, inflated: false, culprit: null, overBudget: false },
  ],
};

async function openAt(width: number, theme: ThemeName): Promise<TimelinePage> {
  tp = await openTimeline(browser, server, { theme, viewport: { width, height: 720 } });
  await tp.send({ type: 'reset', state: state() });
  await tp.send({ type: 'check', check });
  await tp.settle();
  // The user opens the pricing line's group and its stall: the rows a narrow list used to cut.
  await tp.page.locator('rect.stall-mark[data-stall-id="pricing-1"]').click();
  await tp.settle();
  await tp.page.locator('.row-stall[data-stall="pricing-1"] .twistie').click();
  await tp.settle();
  // And the biggest group, for a list of request labels.
  await tp.page.locator('.tree .row-group').first().locator('.twistie').click();
  await tp.settle();
  await tp.page.mouse.move(1, 1);
  return tp;
}

interface Box {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
  clipped: boolean;
}

/** Where an element is, and whether its own text overflows its box. */
function boxesOf(page: TimelinePage['page'], selector: string): Promise<Box[]> {
  return page.evaluate((sel: string) => {
    return [...document.querySelectorAll(sel)].map((e: Element) => {
      const r = e.getBoundingClientRect();
      return { text: e.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom, clipped: e.scrollWidth > e.clientWidth + 1 };
    });
  }, selector);
}

/** The box an ancestor shows of its children (overflow hidden/auto clips them to it). */
async function visibleBox(page: TimelinePage['page'], selector: string): Promise<Box> {
  const [b] = await boxesOf(page, selector);
  assert.ok(b, `${selector} exists`);
  return b;
}

const inside = (b: Box, outer: Box): boolean => b.left >= outer.left - 0.5 && b.right <= outer.right + 0.5 && b.top >= outer.top - 0.5 && b.bottom <= outer.bottom + 0.5;

interface TextSample {
  text: string;
  color: string;
  backgrounds: string[];
  opacity: number;
  large: boolean;
}

/** Every visible piece of text with its colour, the backgrounds behind it (innermost first) and its opacity. */
function textSamples(page: TimelinePage['page']): Promise<TextSample[]> {
  return page.evaluate(() => {
    const out: TextSample[] = [];
    const all = [...document.querySelectorAll('.ss-app *')] as Element[];
    for (const e of all) {
      const own = [...e.childNodes].filter((n: Element) => n.nodeType === 3 && n.textContent.trim()).map((n: Element) => n.textContent.trim()).join(' ');
      if (!own) continue;
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height || r.bottom < 0 || r.top > document.documentElement.clientHeight) continue;
      if (e.closest('button:disabled, [hidden], [aria-hidden="true"]:not(svg.axis)')) continue;
      const cs = getComputedStyle(e);
      if (cs.visibility !== 'visible' || cs.display === 'none') continue;
      const backgrounds: string[] = [];
      let opacity = 1;
      for (let a: Element = e; a; a = a.parentElement) {
        const s = getComputedStyle(a);
        opacity *= Number(s.opacity);
        if (s.backgroundColor && s.backgroundColor !== 'rgba(0, 0, 0, 0)' && s.backgroundColor !== 'transparent') backgrounds.push(s.backgroundColor);
      }
      const size = parseFloat(cs.fontSize);
      const bold = Number(cs.fontWeight) >= 700;
      const color = e.namespaceURI === 'http://www.w3.org/2000/svg' ? cs.fill : cs.color;
      out.push({ text: own.slice(0, 40), color, backgrounds, opacity, large: size >= 24 || (bold && size >= 18.66) });
    }
    return out;
  });
}

/** The colour behind a text: its backgrounds composited outermost first. */
function backgroundOf(s: TextSample): Rgb {
  let bg: Rgb = [255, 255, 255];
  for (const css of [...s.backgrounds].reverse()) {
    const c = parseColor(css);
    if (c) bg = blend(c, alphaOf(css), bg);
  }
  return bg;
}

describe('webview: readable at half and full width, in every theme', () => {
  for (const width of [800, 1600]) {
    for (const theme of ['dark', 'light', 'hc'] as ThemeName[]) {
      it(`${theme} at ${width} px: whole file:line, request labels, culprit and legend on screen; AA contrast (out/screenshots/readable-${theme}-${width}.png)`, async () => {
        const { page } = await openAt(width, theme);
        await page.screenshot({ path: join(SHOTS, `readable-${theme}-${width}.png`) });

        // file:line is never cut: every location in the list fits its box and ends in its line number.
        const tree = await visibleBox(page, '.tree');
        const locs = await boxesOf(page, '.tree .row .loc');
        assert.ok(locs.length >= 4, `${locs.length} locations listed`);
        for (const l of locs) {
          assert.equal(l.clipped, false, `"${l.text}" is cut`);
          assert.ok(l.right <= tree.right + 0.5, `"${l.text}" ends at ${l.right}, past the list's edge ${tree.right}`);
        }
        const pricingLoc = locs.filter((l) => l.text?.startsWith('pricing.ts:'));
        assert.deepEqual(
          pricingLoc.map((l) => l.text),
          ['pricing.ts:17', 'pricing.ts:17:9'],
          'the group and the frame say line 17',
        );

        // Request labels keep readable room in the stall rows.
        const handlers = await boxesOf(page, '.tree .row-stall .handler');
        assert.ok(handlers.length > 3);
        for (const hd of handlers) assert.ok(hd.right - hd.left >= 60 && hd.right <= tree.right, `"${hd.text}" gets ${hd.right - hd.left} px`);
        const quote = handlers.find((hd) => hd.text === 'GET /api/quote/:sku');
        assert.ok(quote, 'the pricing stall lists its request');

        // The check table's top culprit is in view, whole.
        const pane = await visibleBox(page, '.check-pane');
        const culprit = await visibleBox(page, '.check-table button.culprit .loc-text');
        assert.equal(culprit.text, 'pricing.ts:17');
        assert.ok(inside(culprit, pane), `the culprit ${JSON.stringify(culprit)} is inside the pane ${JSON.stringify(pane)}`);

        // The legend is on screen, under the lanes, and says once what a stall is.
        const legend = await visibleBox(page, '.legend');
        const chart = await visibleBox(page, '.lanes-scroll');
        assert.ok(inside(legend, chart), 'the legend is inside the chart area, not scrolled away');
        assert.match(legend.text ?? '', /A stall: the event loop was blocked ≥ 50 ms\./);
        assert.match(legend.text ?? '', /under 100 ms.*100–500 ms.*500 ms or more/);
        assert.match(legend.text ?? '', /Lag per ~\d+ ms/, 'the lag window named by its interval');
        // Every swatch keeps a gap before its words ("▮ under 100 ms", never "▮under 100 ms").
        const gaps = await page.evaluate(() =>
          [...document.querySelectorAll('.legend .lg')].map((e) => {
            const sw = e.querySelector('.sw')!.getBoundingClientRect();
            const words = [...e.childNodes].find((n) => n.nodeType === 3)!; // a text node
            const range = document.createRange();
            range.selectNode(words);
            return { text: words.textContent, gap: range.getBoundingClientRect().left - sw.right };
          }),
        );
        assert.equal(gaps.length, 7);
        for (const g of gaps) assert.ok(g.gap >= 3, `"${g.text}" starts ${g.gap.toFixed(1)} px after its swatch`);

        // Text contrast: WCAG AA (4.5:1, or 3:1 for large text), from the computed styles.
        const samples = await textSamples(page);
        assert.ok(samples.length >= 60, `${samples.length} texts checked`);
        const failing = samples
          .map((s) => {
            const bg = backgroundOf(s);
            const fg = parseColor(s.color);
            if (!fg) return undefined;
            const shown = blend(fg, alphaOf(s.color) * s.opacity, bg);
            const ratio = contrastRatio(shown, bg);
            return ratio < (s.large ? 3 : 4.5) ? `${s.text}: ${ratio.toFixed(2)}:1 (${s.color} on ${s.backgrounds[0] ?? 'page'})` : undefined;
          })
          .filter(Boolean);
        assert.deepEqual(failing, [], 'text under AA contrast');

        // Marks and swatches: 3:1 against the background (WCAG 1.4.11).
        const swatches = await page.evaluate(() =>
          ['.sw-stall-low', '.sw-stall-medium', '.sw-stall-high'].map((sel) => [sel, getComputedStyle(document.querySelector(sel)).backgroundColor, getComputedStyle(document.body).backgroundColor]),
        );
        for (const [sel, fg, bg] of swatches) {
          const ratio = contrastRatio(parseColor(fg)!, parseColor(bg)!);
          assert.ok(ratio >= 3, `${sel} ${fg} on ${bg}: ${ratio.toFixed(2)}:1`);
        }
      });
    }
  }
});

describe('webview: axes that say their units', () => {
  it('labels the lag axis at every decade with units and the threshold; time ticks always show the minute', async () => {
    const { page } = await openAt(1600, 'dark');
    const labels = ((await page.locator('.chart').getAttribute('data-lag-labels')) ?? '').split('|');
    assert.ok(labels.includes('stall threshold 50 ms'), labels.join(' | '));
    for (const decade of ['1 ms', '10 ms', '100 ms']) assert.ok(labels.includes(decade), `${decade} in ${labels.join(' | ')}`);
    const ticks = await page.locator('svg.axis .tick text').allTextContents();
    assert.ok(ticks.length >= 4, ticks.join(' '));
    for (const t of ticks) assert.match(t, /^\d\d:\d\d(:\d\d)?$|^\d\d:\d\d\.\d{3}$/, `tick "${t}" shows the minute`);
    // Zoomed to a second, ticks are minutes:seconds.milliseconds.
    await page.locator('svg.plot-svg').focus();
    for (let i = 0; i < 8; i++) await page.keyboard.press('+');
    await tp!.settle();
    const fine = await page.locator('svg.axis .tick text').allTextContents();
    assert.ok(
      fine.some((t) => /^\d\d:\d\d\.\d{3}$/.test(t) || /^\d\d:\d\d:\d\d$/.test(t)),
      fine.join(' '),
    );
    // The tooltip labels a relative time.
    await page.locator('rect.stall-mark[data-stall-id="pricing-1"]').hover({ position: { x: 4, y: 4 } });
    assert.match((await page.locator('#ss-tooltip').textContent()) ?? '', /\+\d+:\d\d\.\d{3} since start/);
  });
});

/** A stall with no frame of the user's code: a native call inside a handler. */
const native: Stall = oneStall({
  id: 'native-1',
  startMs: T_END - 40_000,
  durationMs: 210,
  handler: { kind: 'http', label: 'POST /login' },
  cause: { kind: 'native', api: 'pbkdf2Sync' },
  culprit: null,
  frames: [
    { function: 'pbkdf2Sync', file: 'node:internal/crypto/pbkdf2', line: 62, column: 3 },
    { function: 'handle', file: '/home/dev/shop-api/node_modules/express/lib/router/layer.js', line: 95, column: 5 },
  ],
});

describe('webview: a stall without user code', () => {
  it('clicking "No user code on the stack" shows the call, the handler and the stack, and asks the host for nothing', async () => {
    tp = await openTimeline(browser, server);
    const s = state();
    s.stalls = [...s.stalls, native];
    await tp.send({ type: 'reset', state: s });
    await tp.settle();
    const page = tp.page;
    const group = page.locator('.tree .row-group', { hasText: 'No user code on the stack' });
    await group.locator('.title').click();
    await tp.settle();
    assert.deepEqual((await tp.posted()).filter((m) => m.type === 'revealFrame'), [], 'no revealFrame, so no warning from the host');
    const known = page.locator('.tree .row-known[data-stall="native-1"]');
    assert.equal(await known.count(), 1);
    assert.equal((await known.textContent())?.trim(), 'sync native call: pbkdf2Sync · in POST /login · no frame in your code: the stack below is what ran');
    assert.equal(await page.locator('.tree .row-frame[data-stall="native-1"]').count(), 2, 'its stack is listed');
    // The mark does the same.
    await page.locator('rect.stall-mark[data-stall-id="native-1"]').click();
    await tp.settle();
    assert.deepEqual((await tp.posted()).filter((m) => m.type === 'revealFrame'), []);
    // A frame of that stack still opens, as any frame does.
    await page.locator('.tree .row-frame[data-stall="native-1"]').nth(1).click();
    assert.deepEqual((await tp.posted()).filter((m) => m.type === 'revealFrame'), [{ type: 'revealFrame', stallId: 'native-1', frameIndex: 1 }]);
  });
});

describe('webview: live and ended, follow and show all', () => {
  const view = async (): Promise<{ start: number; end: number; follow: boolean }> =>
    tp!.page.evaluate(() => {
      const chart = document.querySelector('.chart');
      const root = document.querySelector('.ss-app');
      return { start: Number(chart.dataset.viewStart), end: Number(chart.dataset.viewEnd), follow: root.dataset.follow === 'true' };
    });
  const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  it('says LIVE while live and ENDED after, from the live flag', async () => {
    tp = await openTimeline(browser, server);
    await tp.send({ type: 'reset', state: demoState({ endMs: Date.now(), live: true }) });
    await tp.settle();
    assert.equal((await tp.page.locator('.toolbar .status').textContent())?.toLowerCase(), 'live');
    await tp.send({ type: 'live', live: false });
    await tp.settle();
    assert.equal((await tp.page.locator('.toolbar .status').textContent())?.toLowerCase(), 'ended');
    assert.doesNotMatch((await tp.page.locator('.toolbar').textContent()) ?? '', /recording/i);
  });

  it('a selected stall stays on screen while the session goes on; Show all is one action that leaves Follow off', async () => {
    tp = await openTimeline(browser, server, { viewport: { width: 1280, height: 700 } });
    const now = Date.now();
    const s = demoState({ endMs: now, live: true });
    // A stall a few seconds ago, on the worker's lane (the main thread is inside the demo's ongoing stall).
    const target = oneStall({ id: 'recent', thread: { id: 1, name: 'thumbnail-pool' }, startMs: now - 3_000, durationMs: 180 });
    s.stalls = [...s.stalls, target];
    await tp.send({ type: 'reset', state: s });
    await tp.settle();
    const page = tp.page;
    // Narrow the follow window so a second of time moves marks by many pixels.
    await page.locator('svg.plot-svg').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('+');
    await tp.settle();
    assert.equal((await view()).follow, true);
    const mark = page.locator(`rect.stall-mark[data-stall-id="${target.id}"]`);
    await mark.click();
    await tp.settle();
    const before = await mark.boundingBox();
    const v0 = await view();
    assert.equal(v0.follow, false, 'a selection pauses follow');
    assert.equal(await page.locator('button[data-action="follow"]').getAttribute('aria-pressed'), 'false');
    await wait(1_200);
    await tp.settle();
    const after = await mark.boundingBox();
    assert.ok(before && after && Math.abs(after.x - before.x) < 1, `the selected mark stayed put (${before?.x} → ${after?.x})`);
    assert.equal((await view()).end, v0.end);

    // F follows again; then Show all: the whole recording, and Follow is no longer pressed.
    await page.locator('body').press('f');
    await tp.settle();
    assert.equal(await page.locator('button[data-action="follow"]').getAttribute('aria-pressed'), 'true');
    const showAll = page.locator('button[data-action="fit"]');
    assert.equal((await showAll.textContent())?.trim(), 'Show all');
    assert.equal(await showAll.getAttribute('title'), 'Show all of the recording (0 or double-click)');
    await showAll.click();
    await tp.settle();
    const all = await view();
    assert.equal(all.follow, false);
    assert.equal(await page.locator('button[data-action="follow"]').getAttribute('aria-pressed'), 'false', 'Follow is not left highlighted');
    assert.ok(all.end - all.start >= 170_000, `the whole 3-minute recording: ${all.end - all.start} ms`);
    // The whole recording keeps growing while live.
    await wait(600);
    await tp.settle();
    assert.ok((await view()).end - all.end >= 300, 'the view grows with the recording');
  });
});
