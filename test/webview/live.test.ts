/**
 * The webview over time: follow mode, ongoing stalls that grow and then end, zoom / pan / brush,
 * batching of deltas into frames, and rehydration from getState after being hidden and shown.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { TimelineState } from '../../src/shared/protocol/webviewMessages';
import { launchChromium, openTimeline, startWebviewServer, type TimelinePage, type WebviewServer } from './harness';
import { demoState, oneStall, syntheticRecording } from './synthetic';

// Functions handed to page.evaluate run in Chromium; this Node-side file is type-checked without
// the DOM lib, so the browser globals they use are declared here, loosely.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
/* eslint-enable @typescript-eslint/no-explicit-any */

let browser: Browser;
let server: WebviewServer;
const pages: TimelinePage[] = [];

before(async () => {
  browser = await launchChromium();
  server = await startWebviewServer();
});
after(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  for (const tp of pages.splice(0)) {
    const rec = await tp.recorded();
    const problems = tp.problems.filter((p) => !/favicon|status of 404/.test(p));
    await tp.close();
    assert.deepEqual(rec.csp, [], 'CSP violations');
    assert.deepEqual(problems, [], 'console errors / page errors');
  }
});

async function open(state?: unknown): Promise<TimelinePage> {
  const tp = await openTimeline(browser, server, { state });
  pages.push(tp);
  return tp;
}

async function view(tp: TimelinePage): Promise<{ start: number; end: number; follow: boolean }> {
  return tp.page.evaluate(() => {
    const chart = document.querySelector('.chart')!;
    const root = document.querySelector('.ss-app')!;
    return { start: Number(chart.dataset.viewStart), end: Number(chart.dataset.viewEnd), follow: root.dataset.follow === 'true' };
  });
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function plotCenter(tp: TimelinePage): Promise<{ x: number; y: number; width: number }> {
  const box = await tp.page.locator('svg.plot-svg').boundingBox();
  assert.ok(box);
  return { x: box.x + box.width / 2, y: box.y + Math.min(60, box.height / 2), width: box.width };
}

describe('webview: live session', () => {
  it('follows now, stops following when the user pans, and F turns it back on', async () => {
    const tp = await open();
    const state = demoState({ endMs: Date.now(), live: true });
    await tp.send({ type: 'reset', state });
    await tp.settle();
    let v = await view(tp);
    assert.equal(v.follow, true);
    assert.ok(Math.abs(v.end - Date.now()) < 2_000, `the window ends at now (off by ${Date.now() - v.end} ms)`);
    assert.equal(await tp.page.locator('button[data-action="follow"]').getAttribute('aria-pressed'), 'true');
    // Time passes: the window moves with it.
    await wait(600);
    const v2 = await view(tp);
    assert.ok(v2.end - v.end >= 300, `the window advanced by ${v2.end - v.end} ms in 600 ms`);

    // A new stall at "now" appears at the right edge.
    // (On the worker's lane: the main thread is still inside the demo's ongoing stall.)
    const fresh = oneStall({ id: 'fresh', thread: { id: 1, name: 'thumbnail-pool' }, startMs: Date.now() - 120, durationMs: 110 });
    await tp.send({ type: 'append', stalls: [fresh] });
    await tp.settle();
    const box = await tp.page.locator('rect.stall-mark[data-stall-id="fresh"]').boundingBox();
    const plot = await tp.page.locator('svg.plot-svg').boundingBox();
    assert.ok(box && plot);
    assert.ok(box.x > plot.x + plot.width * 0.9, 'the new stall is at the live edge');

    // Drag to pan into the past: follow turns off, the window stays put.
    const c = await plotCenter(tp);
    await tp.page.mouse.move(c.x, c.y);
    await tp.page.mouse.down();
    await tp.page.mouse.move(c.x + 150, c.y, { steps: 5 });
    await tp.page.mouse.up();
    await tp.settle();
    v = await view(tp);
    assert.equal(v.follow, false);
    assert.equal(await tp.page.locator('button[data-action="follow"]').getAttribute('aria-pressed'), 'false');
    assert.ok(Date.now() - v.end > 5_000, 'panned into the past');
    await wait(400);
    const still = await view(tp);
    assert.equal(still.end, v.end, 'not following: the window does not move');
    assert.equal((await tp.posted()).filter((m) => m.type === 'revealFrame').length, 0, 'a drag is not a click');

    // F (anywhere) turns follow back on.
    await tp.page.locator('body').press('f');
    await tp.settle();
    v = await view(tp);
    assert.equal(v.follow, true);
    assert.ok(Math.abs(v.end - Date.now()) < 2_000);

    // Zooming with the wheel while following keeps following, with a narrower window.
    const span0 = v.end - v.start;
    await tp.page.mouse.move(c.x, c.y);
    await tp.page.mouse.wheel(0, -400);
    await wait(100);
    await tp.settle();
    v = await view(tp);
    assert.equal(v.follow, true);
    assert.ok(v.end - v.start < span0 * 0.7, `zoomed in: ${v.end - v.start} vs ${span0}`);
    assert.ok(Math.abs(v.end - Date.now()) < 2_000);

    // The session ends: the window freezes and the Follow button is disabled.
    await tp.send({ type: 'live', live: false });
    await tp.settle();
    const ended = await view(tp);
    await wait(300);
    assert.equal((await view(tp)).end, ended.end);
    assert.equal(await tp.page.locator('button[data-action="follow"]').isDisabled(), true);
  });

  it('an ongoing stall grows live, and its end message updates the same mark', async () => {
    const tp = await open();
    const state = demoState({ endMs: Date.now(), live: true });
    await tp.send({ type: 'reset', state });
    await tp.settle();
    // Narrow the follow window so growth is visible in pixels.
    for (let i = 0; i < 4; i++) await tp.page.locator('svg.plot-svg').press('+');
    const started = Date.now() - 200;
    // On the job runner's lane: the main thread is still inside the demo's own ongoing stall.
    await tp.send({ type: 'append', stalls: [oneStall({ id: 'grow', pid: 4310, startMs: started, durationMs: 150, ongoing: true })] });
    await tp.settle();
    const mark = tp.page.locator('rect.stall-mark[data-stall-id="grow"]');
    assert.match((await mark.getAttribute('class')) ?? '', /\bongoing\b/);
    const w0 = Number(await mark.getAttribute('width'));
    const d0 = Number(await mark.getAttribute('data-duration-ms'));
    await wait(700);
    await tp.settle();
    const w1 = Number(await mark.getAttribute('width'));
    const d1 = Number(await mark.getAttribute('data-duration-ms'));
    assert.ok(d1 - d0 >= 400, `the ongoing stall's duration grew with time: ${d0} → ${d1} ms`);
    assert.ok(w1 > w0, `and its mark widened: ${w0} → ${w1}`);
    // The list shows it as ongoing.
    assert.equal(await tp.page.locator('.row-group .stat.max').first().count(), 1);

    // The end arrives (upsert by id): one mark, no longer ongoing, with the final duration.
    await tp.send({ type: 'append', stalls: [oneStall({ id: 'grow', pid: 4310, startMs: started, durationMs: 930 })] });
    await tp.settle();
    assert.equal(await tp.page.locator('rect.stall-mark[data-stall-id="grow"]').count(), 1);
    assert.doesNotMatch((await mark.getAttribute('class')) ?? '', /\bongoing\b/);
    assert.equal(await mark.getAttribute('data-duration-ms'), '930');
    await wait(500);
    await tp.settle();
    assert.equal(await mark.getAttribute('data-duration-ms'), '930', 'an ended stall stops growing');
    // The list counts it once.
    assert.equal(await tp.page.locator('.count-badge').textContent(), String(state.stalls.length + 1));
  });

  it('a burst of deltas is rendered in one frame', async () => {
    const tp = await open();
    const end = Date.UTC(2025, 0, 15, 12, 0, 0);
    const state = demoState({ endMs: end });
    await tp.send({ type: 'reset', state });
    await tp.settle();
    const before = (await tp.recorded()).rafs;
    const stalls = Array.from({ length: 200 }, (_, i) => oneStall({ id: `burst-${i}`, startMs: end - 170_000 + i * 800, durationMs: 60 + (i % 7) * 40 }));
    await tp.page.evaluate((list) => {
      for (const s of list) window.postMessage({ type: 'append', stalls: [s] }, '*');
    }, stalls);
    await tp.page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    const rafs = (await tp.recorded()).rafs - before;
    assert.ok(rafs <= 3, `200 messages took ${rafs} animation frames`);
    await tp.settle();
    assert.equal(await tp.page.locator('.count-badge').textContent(), String(state.stalls.length + 200));
  });
});

describe('webview: zoom, pan and brush', () => {
  const end = Date.UTC(2025, 0, 15, 12, 0, 0);

  it('keys faster than frames: every + press zooms, none is lost', async () => {
    const tp = await open();
    await tp.send({ type: 'reset', state: demoState({ endMs: end }) });
    await tp.settle();
    const before = await view(tp);
    await tp.page.locator('svg.plot-svg').focus();
    // Six presses in one task: no frame can render between them.
    await tp.page.evaluate(`{
      const svg = document.querySelector('svg.plot-svg');
      for (let i = 0; i < 6; i++) svg.dispatchEvent(new KeyboardEvent('keydown', { key: '+', bubbles: true, cancelable: true }));
    }`);
    await tp.settle();
    const after = await view(tp);
    const ratio = (before.end - before.start) / (after.end - after.start);
    assert.ok(Math.abs(ratio - 64) < 1, `zoomed ${ratio.toFixed(2)}× for six presses, expected 64×`);
  });

  it('wheel zooms around the pointer, double-click and 0 reset, the brush selects a range', async () => {
    const tp = await open();
    const state = demoState({ endMs: end });
    await tp.send({ type: 'reset', state });
    await tp.settle();
    const full = await view(tp);
    const c = await plotCenter(tp);
    const atPointer = full.start + ((c.x - (c.x - c.width / 2)) / c.width) * (full.end - full.start);
    await tp.page.mouse.move(c.x, c.y);
    await tp.page.mouse.wheel(0, -600);
    await wait(100);
    await tp.settle();
    let v = await view(tp);
    assert.ok(v.end - v.start < (full.end - full.start) / 2, 'zoomed in');
    const mid = (v.start + v.end) / 2;
    assert.ok(Math.abs(mid - atPointer) < (v.end - v.start) * 0.02, 'the time under the pointer stayed under it');
    // The brush shows the window on the overview.
    assert.equal(await tp.page.locator('.brush .selection').isVisible(), true);

    await tp.page.mouse.dblclick(c.x, c.y);
    await tp.settle();
    v = await view(tp);
    assert.deepEqual([v.start, v.end], [full.start, full.end]);
    assert.equal((await tp.posted()).filter((m) => m.type === 'revealFrame').length, 0);

    // Brush the second quarter of the overview.
    const ov = await tp.page.locator('svg.overview-svg').boundingBox();
    assert.ok(ov);
    await tp.page.mouse.move(ov.x + ov.width * 0.25, ov.y + ov.height / 2);
    await tp.page.mouse.down();
    await tp.page.mouse.move(ov.x + ov.width * 0.5, ov.y + ov.height / 2, { steps: 6 });
    await tp.page.mouse.up();
    await tp.settle();
    v = await view(tp);
    const span = full.end - full.start;
    const px = span / ov.width;
    assert.ok(Math.abs(v.start - (full.start + span * 0.25)) <= 3 * px, `brush start ${v.start - full.start}`);
    assert.ok(Math.abs(v.end - (full.start + span * 0.5)) <= 3 * px, `brush end ${v.end - full.start}`);

    // Keyboard: 0 resets, Shift+Right pans, +/- zoom.
    await tp.page.locator('svg.plot-svg').focus();
    await tp.page.keyboard.press('0');
    await tp.settle();
    v = await view(tp);
    assert.deepEqual([v.start, v.end], [full.start, full.end]);
    await tp.page.keyboard.press('+');
    await tp.settle();
    const zoomed = await view(tp);
    assert.ok(Math.abs(zoomed.end - zoomed.start - span / 2) < 2);
    await tp.page.keyboard.press('Shift+ArrowLeft');
    await tp.settle();
    const panned = await view(tp);
    assert.ok(panned.start < zoomed.start && Math.abs(panned.end - panned.start - (zoomed.end - zoomed.start)) < 2);
  });

  it('at an hour across the plot, 10k dense stalls merge into few marks and separate when zoomed', async () => {
    const tp = await open();
    const rec = syntheticRecording({ endMs: end, stalls: 2_000, hours: 1 });
    await tp.send({ type: 'reset', state: rec });
    await tp.settle();
    const chart = tp.page.locator('.chart');
    const num = async (attr: string): Promise<number> => Number(await chart.getAttribute(attr));
    const marks = await num('data-marks');
    const width = (await plotCenter(tp)).width;
    assert.ok(marks < 4 * (width / 3 + 1), `${marks} marks for 2000 stalls in ${width}px × 4 lanes`);
    assert.ok(marks > 100, `${marks} marks`);
    assert.ok((await num('data-merged-marks')) > 0, 'some marks stand for several stalls');
    assert.equal(await num('data-stalls-in-view'), 2_000, 'every stall is in exactly one mark');
    // Too dense for a DOM element per mark: the canvas draws them, no proxies are kept.
    assert.equal(await num('data-proxies'), 0);
    // A click still finds the mark under the pointer (hit-testing the layout).
    const c = await plotCenter(tp);
    // At the bottom of the first lane (its stall track), wherever the lane ends.
    const lane = await tp.page.locator('.lane-label').first().boundingBox();
    await tp.page.mouse.click(c.x, lane!.y + lane!.height - 6);
    const reveal = (await tp.posted()).find((m) => m.type === 'revealFrame');
    assert.ok(reveal && reveal.type === 'revealFrame' && /^5000\.[0-3]\./.test(reveal.stallId), JSON.stringify(reveal));
    // The selected mark gets its proxy, for the screen reader.
    await tp.settle();
    assert.equal(await num('data-proxies'), 1);
    assert.equal(await tp.page.locator(`rect.stall-mark.selected[data-stall-id="${reveal.stallId}"]`).count(), 1);
    // Zoom to ~1 minute: marks separate and every one has its proxy again.
    await tp.page.locator('svg.plot-svg').focus();
    for (let i = 0; i < 6; i++) await tp.page.keyboard.press('+');
    await tp.settle();
    assert.equal(await num('data-merged-marks'), 0);
    assert.equal(await num('data-proxies'), await num('data-marks'));
  });
});

describe('webview: rehydration', () => {
  const end = Date.UTC(2025, 0, 15, 12, 0, 0);

  it('restores zoom, selection, sort and expansion from setState after being hidden and shown', async () => {
    const state: TimelineState = demoState({ endMs: end });
    const first = await open();
    await first.send({ type: 'reset', state });
    await first.settle();
    await first.page.locator('svg.plot-svg').focus();
    await first.page.keyboard.press('+');
    await first.page.keyboard.press('Shift+ArrowRight');
    const target = state.stalls.filter((s) => s.thread.id === 0 && s.pid === 4242).sort((a, b) => a.startMs - b.startMs)[12];
    await first.settle();
    await first.page.locator(`rect.stall-mark[data-stall-id="${target.id}"]`).click();
    await first.page.locator('button[data-sort="count"]').click();
    await first.settle();
    await wait(300); // setState is debounced
    const saved = (await first.recorded()).state;
    const before = await view(first);
    assert.ok(saved && typeof saved === 'object');

    // "Shown again": a fresh page whose getState returns what was saved; the host resends the data.
    const second = await open(saved);
    assert.deepEqual(await second.posted(), [{ type: 'ready' }]);
    await second.send({ type: 'reset', state });
    await second.settle();
    const after = await view(second);
    assert.ok(Math.abs(after.start - before.start) < 1 && Math.abs(after.end - before.end) < 1, 'same zoom window');
    assert.match((await second.page.locator(`rect.stall-mark[data-stall-id="${target.id}"]`).getAttribute('class')) ?? '', /\bselected\b/);
    assert.equal(await second.page.locator(`.row-stall[data-stall="${target.id}"]`).getAttribute('aria-selected'), 'true');
    assert.equal(await second.page.locator('button[data-sort="count"]').getAttribute('aria-pressed'), 'true');
    assert.deepEqual((await second.posted()).filter((m) => m.type === 'revealFrame'), [], 'restoring does not open editors');

    // A later reset is a new source (another session, an opened recording): the view starts over.
    await second.send({ type: 'reset', state: demoState({ endMs: end + 3_600_000, seed: 3 }) });
    await second.settle();
    const fresh = await view(second);
    assert.ok(fresh.end - fresh.start >= 179_000, 'whole recording shown');
    assert.equal(await second.page.locator('rect.stall-mark.selected').count(), 0);
  });

  it('survives a corrupt saved state', async () => {
    const tp = await open({ v: 1, window: { startMs: 'x' }, selection: { kind: 'stall' }, sort: 'bogus', expandedGroups: 'no' });
    await tp.send({ type: 'reset', state: demoState({ endMs: end }) });
    await tp.settle();
    assert.ok((await tp.page.locator('rect.stall-mark').count()) > 10);
    assert.equal(await tp.page.locator('button[data-sort="total"]').getAttribute('aria-pressed'), 'true');
  });
});
