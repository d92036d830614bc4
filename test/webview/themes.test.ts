/**
 * The timeline in VS Code's light, dark and high-contrast themes: colours come from the theme
 * variables (checked on DOM and canvas), and a screenshot of each lands in out/screenshots/ to be
 * looked at. With STALLSCOPE_UPDATE_SCREENSHOT=1 the dark one also refreshes the README's
 * media/screenshot-timeline.png.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { THEMES, launchChromium, openTimeline, startWebviewServer, type ThemeName, type WebviewServer } from './harness';
import { demoState } from './synthetic';

// Functions handed to page.evaluate run in Chromium; this Node-side file is type-checked without
// the DOM lib, so the browser globals they use are declared here, loosely.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const getComputedStyle: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

const ROOT = join(__dirname, '..', '..');
const SHOTS = join(ROOT, 'out', 'screenshots');

let browser: Browser;
let server: WebviewServer;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
  server = await startWebviewServer();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

/** Parses `#rrggbb` or `rgb[a](…)` into "rgb(r, g, b)". */
function rgb(css: string): string {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(css.trim());
  if (hex) return `rgb(${parseInt(hex[1], 16)}, ${parseInt(hex[2], 16)}, ${parseInt(hex[3], 16)})`;
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  return m ? `rgb(${m[1]}, ${m[2]}, ${m[3]})` : css;
}

describe('webview: themes', () => {
  for (const name of ['dark', 'light', 'hc'] as ThemeName[]) {
    it(`looks native in the ${name} theme (screenshot out/screenshots/timeline-${name}.png)`, async () => {
      const tp = await openTimeline(browser, server, { theme: name, viewport: { width: 1280, height: 640 } });
      try {
        const end = Date.UTC(2025, 0, 15, 12, 0, 0);
        const state = demoState({ endMs: end });
        await tp.send({ type: 'reset', state });
        await tp.settle();
        const page = tp.page;
        const vars = THEMES[name].vars;

        // DOM colours are the theme's.
        assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), rgb(vars['--vscode-editor-background']));
        assert.equal(await page.evaluate(() => getComputedStyle(document.body).color), rgb(vars['--vscode-foreground']));
        const fontFamily = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
        assert.ok(fontFamily.includes('Segoe WPC'), fontFamily);

        // Canvas colours are the theme's: the p99 line is charts-blue.
        const blue = rgb(vars['--vscode-charts-blue']);
        const bluePixels = await page.evaluate((want) => {
          const canvas = document.querySelector('canvas.lag-canvas')!;
          const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          const [r, g, b] = want.match(/\d+/g)!.map(Number);
          let n = 0;
          for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 250 && Math.abs(data[i] - r) < 3 && Math.abs(data[i + 1] - g) < 3 && Math.abs(data[i + 2] - b) < 3) n++;
          return n;
        }, blue);
        assert.ok(bluePixels > 500, `${bluePixels} opaque ${blue} pixels of p99 line`);

        // Select a long stall (its row and mark highlight) and hover another (the tooltip).
        const longest = [...state.stalls].sort((a, b) => b.durationMs - a.durationMs)[0];
        await page.locator(`rect.stall-mark[data-stall-id="${longest.id}"]`).click();
        await tp.settle();
        const selectedRow = page.locator(`.row-stall[data-stall="${longest.id}"]`);
        assert.equal(await selectedRow.getAttribute('aria-selected'), 'true');
        if (name === 'hc') {
          // High contrast: the selected row carries an outline in contrastActiveBorder, not a fill.
          assert.equal(await selectedRow.evaluate((e) => getComputedStyle(e).borderTopColor), rgb(vars['--vscode-contrastActiveBorder']));
          assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.lane-label')!).borderBottomColor), rgb(vars['--vscode-contrastBorder']));
        } else {
          const bg = await selectedRow.evaluate((e) => getComputedStyle(e).backgroundColor);
          assert.equal(bg, rgb(vars['--vscode-list-inactiveSelectionBackground']));
        }
        const other = state.stalls.find((s) => s.pid === 4242 && s.thread.id === 1)!;
        await page.locator(`rect.stall-mark[data-stall-id="${other.id}"]`).hover();
        assert.equal(await page.locator('.tooltip').isVisible(), true);
        const path = join(SHOTS, `timeline-${name}.png`);
        await page.screenshot({ path });
        assert.ok(statSync(path).size > 10_000);
        assert.deepEqual((await tp.recorded()).csp, []);
      } finally {
        await tp.close();
      }
    });
  }

  it('the empty state in the dark theme (screenshot out/screenshots/timeline-empty.png)', async () => {
    const tp = await openTimeline(browser, server, { theme: 'dark', viewport: { width: 900, height: 420 } });
    try {
      const button = tp.page.locator('.empty').getByRole('button', { name: 'Open Recording…' });
      assert.equal(await button.evaluate((e) => getComputedStyle(e).backgroundColor), rgb(THEMES.dark.vars['--vscode-button-background']));
      await tp.page.screenshot({ path: join(SHOTS, 'timeline-empty.png') });
    } finally {
      await tp.close();
    }
  });

  it('a live session in the dark theme, for the README (media/screenshot-timeline.png when STALLSCOPE_UPDATE_SCREENSHOT=1)', async () => {
    const tp = await openTimeline(browser, server, { theme: 'dark', viewport: { width: 1280, height: 600 } });
    try {
      const state = demoState({ endMs: Date.now(), live: true, minutes: 3 });
      await tp.send({ type: 'reset', state });
      await tp.settle();
      const page = tp.page;
      // Following live: pick the longest finished stall in view, click it (the list opens its
      // group and selects it), expand its stack, and hover it for the tooltip.
      const now = Date.now();
      // (In the left half of the window, so the tooltip opens over the chart, not over the list.)
      const inView = state.stalls.filter((s) => !s.ongoing && s.pid === 4242 && s.thread.id === 0 && s.startMs > now - 55_000 && s.startMs < now - 32_000);
      const pick = inView.sort((a, b) => b.durationMs - a.durationMs)[0];
      assert.ok(pick, 'a stall in the follow window');
      const mark = page.locator(`rect.stall-mark[data-stall-id="${pick.id}"]`);
      await mark.click();
      await tp.settle();
      await page.locator(`.row-stall[data-stall="${pick.id}"] .twistie`).click();
      await tp.settle();
      // Issue #11: a selection pauses follow, so the stall being read does not scroll away.
      assert.equal(await page.locator('.ss-app').getAttribute('data-follow'), 'false', 'a selection pauses follow');
      await mark.hover();
      await tp.settle();
      const path = join(SHOTS, 'timeline-readme.png');
      await page.screenshot({ path });
      assert.ok(statSync(path).size < 300_000, `${statSync(path).size} bytes`);
      if (process.env.STALLSCOPE_UPDATE_SCREENSHOT === '1') await page.screenshot({ path: join(ROOT, 'media', 'screenshot-timeline.png') });
    } finally {
      await tp.close();
    }
  });
});
