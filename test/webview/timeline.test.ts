/**
 * The real webview bundle in headless Chromium: handshake, rendering, clicks and keys that post
 * `revealFrame`, untrusted names as text, and no CSP violation under the real CSP.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { Stall } from '../../src/shared/protocol/model';
import type { CheckView, TimelineState, WebviewToHost } from '../../src/shared/protocol/webviewMessages';
import { launchChromium, openTimeline, startWebviewServer, type TimelinePage, type WebviewServer } from './harness';
import { demoState, oneStall } from './synthetic';

// Functions handed to page.evaluate run in Chromium; this Node-side file is type-checked without
// the DOM lib, so the browser globals they use are declared here, loosely.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const getComputedStyle: any;
type Element = any;
type HTMLElement = any;
/* eslint-enable @typescript-eslint/no-explicit-any */

let browser: Browser;
let server: WebviewServer;
let tp: TimelinePage | undefined;

before(async () => {
  browser = await launchChromium();
  server = await startWebviewServer();
});
after(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  if (!tp) return;
  // Every test, whatever it did, must leave no CSP violation, page error or dialog behind.
  const rec = await tp.recorded();
  const problems = tp.problems.filter((p) => !/favicon|status of 404/.test(p));
  await tp.close();
  tp = undefined;
  assert.deepEqual(rec.csp, [], 'CSP violations');
  assert.deepEqual(problems, [], 'console errors / page errors / dialogs');
});

const T_END = Date.UTC(2025, 0, 15, 12, 0, 0);

async function loaded(state: TimelineState = demoState({ endMs: T_END })): Promise<TimelinePage> {
  tp = await openTimeline(browser, server);
  await tp.send({ type: 'reset', state });
  await tp.settle();
  return tp;
}

const reveals = (msgs: WebviewToHost[]): WebviewToHost[] => msgs.filter((m) => m.type === 'revealFrame');

describe('webview: handshake and rendering', () => {
  it('posts ready first and exactly once, and shows the empty state until data arrives', async () => {
    tp = await openTimeline(browser, server);
    const posted = await tp.posted();
    assert.deepEqual(posted, [{ type: 'ready' }]);
    const empty = tp.page.locator('.empty');
    assert.equal(await empty.isVisible(), true);
    const text = (await empty.textContent()) ?? '';
    assert.match(text, /Start a debug session with Stallscope: Debug with Stall Probe, or open a recording/);
    await empty.getByRole('button', { name: 'Open Recording…' }).click();
    assert.deepEqual((await tp.posted()).at(-1), { type: 'openRecording' });
    // Each page gets a fresh nonce.
    assert.equal(new Set(server.nonces).size, server.nonces.length);
  });

  it('renders one mark per stall, one lane per thread and process, labelled', async () => {
    const state = demoState({ endMs: T_END });
    await loaded(state);
    assert.equal(await tp!.page.locator('.empty').isVisible(), false);
    // At full zoom the demo's stalls are seconds apart: none merge, every stall is its own mark.
    const ids = await tp!.page.locator('svg.plot-svg rect.stall-mark[data-stall-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-stall-id')));
    assert.equal(ids.length, state.stalls.length);
    assert.deepEqual(new Set(ids), new Set(state.stalls.map((s) => s.id)));
    const labels = await tp!.page.locator('.lane-label').evaluateAll((els) => els.map((e) => e.textContent));
    assert.deepEqual(labels, ['server.js --port 3000pid 4242', 'thumbnail-poolworker thread 1', 'runner.jspid 4310']);
    // The pause is drawn as a pause, not as a stall.
    assert.equal(await tp!.page.locator('g.pause[data-pause-id="pause-1"]').count(), 1);
    assert.match((await tp!.page.locator('g.pause').getAttribute('aria-label')) ?? '', /Debugger paused .* not a stall/);
    // The list: one group per culprit line, the biggest total first.
    const groups = await tp!.page.locator('.row-group').count();
    assert.equal(groups, 5);
    assert.equal(await tp!.page.locator('.count-badge').textContent(), String(state.stalls.length));
  });

  it('draws marks in the theme\'s severity colours, taller when longer', async () => {
    const state = demoState({ endMs: T_END });
    state.stalls = [oneStall({ id: 'hi', startMs: T_END - 60_000, durationMs: 900 }), oneStall({ id: 'lo', startMs: T_END - 30_000, durationMs: 60 })];
    await loaded(state);
    // The canvas draws the marks; their proxies say where. Read the pixel under each proxy's centre.
    const pixel = (id: string): Promise<{ rgb: string; height: number }> =>
      tp!.page.evaluate((sid) => {
        const proxy = document.querySelector(`rect.stall-mark[data-stall-id="${sid}"]`)!;
        const canvas = document.querySelector('canvas.lag-canvas')!;
        const r = proxy.getBoundingClientRect();
        const c = canvas.getBoundingClientRect();
        const k = canvas.width / c.width;
        const [red, green, blue] = canvas.getContext('2d')!.getImageData(Math.round((r.left + r.width / 2 - c.left) * k), Math.round((r.bottom - 2 - c.top) * k), 1, 1).data;
        return { rgb: `rgb(${red}, ${green}, ${blue})`, height: r.height };
      }, id);
    const hi = await pixel('hi');
    const lo = await pixel('lo');
    assert.equal(hi.rgb, 'rgb(241, 76, 76)'); // --vscode-charts-red (dark)
    assert.equal(lo.rgb, 'rgb(204, 167, 0)'); // --vscode-charts-yellow (dark)
    assert.ok(hi.height > lo.height, 'a longer stall is a taller mark');
    // A theme switch repaints the canvas with the new theme's colours.
    await tp!.theme('light');
    assert.equal((await pixel('hi')).rgb, 'rgb(229, 20, 0)'); // --vscode-charts-red (light)
  });
});

describe('webview: revealFrame', () => {
  it('clicking a stall mark posts revealFrame with its id (and selects it in the list)', async () => {
    const state = demoState({ endMs: T_END });
    await loaded(state);
    const target = state.stalls[5];
    await tp!.page.locator(`svg.plot-svg rect.stall-mark[data-stall-id="${target.id}"]`).click();
    await tp!.settle();
    assert.deepEqual(reveals(await tp!.posted()), [{ type: 'revealFrame', stallId: target.id }]);
    // The stall's row is listed (its group expanded) and selected; the mark is selected too.
    const row = tp!.page.locator(`.tree .row-stall[data-stall="${target.id}"]`);
    assert.equal(await row.getAttribute('aria-selected'), 'true');
    assert.match((await tp!.page.locator(`rect.stall-mark[data-stall-id="${target.id}"]`).getAttribute('class')) ?? '', /\bselected\b/);
    // The e2e contract: `[data-stall-id="…"]` is the chart mark alone, even with the row listed.
    assert.equal(await tp!.page.locator(`[data-stall-id="${target.id}"]`).count(), 1);
  });

  it('a click near a 3 px mark still hits it (hit-testing with tolerance)', async () => {
    const state = demoState({ endMs: T_END });
    await loaded(state);
    const target = state.stalls[2];
    const box = await tp!.page.locator(`rect.stall-mark[data-stall-id="${target.id}"]`).boundingBox();
    assert.ok(box);
    await tp!.page.mouse.click(box.x + box.width + 2, box.y + box.height - 2);
    assert.deepEqual(reveals(await tp!.posted()).at(-1), { type: 'revealFrame', stallId: target.id });
  });

  it('clicking any frame of a stall posts its frameIndex; Enter on a focused row posts revealFrame', async () => {
    const state = demoState({ endMs: T_END });
    await loaded(state);
    const page = tp!.page;
    // Expand the first group, then its first stall.
    const group = page.locator('.tree .row-group').first();
    await group.locator('.twistie').click();
    const stallRow = page.locator('.tree .row-stall').first();
    const stallId = await stallRow.getAttribute('data-stall');
    assert.ok(stallId);
    await stallRow.locator('.twistie').click();
    const frames = page.locator(`.tree .row-frame[data-stall="${stallId}"]`);
    const stall = state.stalls.find((s) => s.id === stallId)!;
    assert.equal(await frames.count(), stall.frames.length);
    // Expanding does not reveal anything.
    assert.deepEqual(reveals(await tp!.posted()), []);
    await frames.nth(2).click();
    assert.deepEqual(reveals(await tp!.posted()).at(-1), { type: 'revealFrame', stallId, frameIndex: 2 });
    await frames.nth(0).click();
    assert.deepEqual(reveals(await tp!.posted()).at(-1), { type: 'revealFrame', stallId, frameIndex: 0 });
    // The culprit frame is marked as such.
    const culpritIndex = stall.frames.findIndex((f) => f.file === stall.culprit!.file && f.line === stall.culprit!.line);
    assert.equal(await frames.nth(culpritIndex).locator('.badge-culprit').count(), 1);

    // Keyboard: focus the stall row, Enter posts revealFrame for the stall (culprit: no frameIndex).
    await stallRow.focus();
    await page.keyboard.press('Enter');
    assert.deepEqual(reveals(await tp!.posted()).at(-1), { type: 'revealFrame', stallId });
    // Arrow down to the first frame, Space activates it.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press(' ');
    assert.deepEqual(reveals(await tp!.posted()).at(-1), { type: 'revealFrame', stallId, frameIndex: 0 });
  });

  it('the list is reachable with Tab and navigable with arrows; selection follows in the chart', async () => {
    const state = demoState({ endMs: T_END });
    await loaded(state);
    const page = tp!.page;
    // Tab order: toolbar buttons, the chart, then the list's sort buttons and the tree.
    const order: string[] = [];
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => {
        const a = document.activeElement as HTMLElement;
        if (a.classList.contains('plot-svg')) return 'plot-svg';
        return a.dataset.action ?? a.dataset.sort ?? a.dataset.key?.slice(0, 2) ?? a.tagName;
      }));
    }
    for (const want of ['fit', 'open', 'save', 'clear', 'plot-svg', 'total', 'count', 'max', 'g:']) assert.ok(order.includes(want), `${want} reachable by Tab: ${order.join(', ')}`);
    assert.ok(order.indexOf('plot-svg') < order.indexOf('g:'));
    // Tab round to the tree's row again.
    for (let i = 0; i < 20 && !(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.key?.startsWith('g:'))); i++) await page.keyboard.press('Tab');
    // Focus ring: the focused row shows the theme's focus colour.
    const focusColour = await page.evaluate(() => getComputedStyle(document.activeElement as Element).borderTopColor);
    assert.equal(focusColour, 'rgb(0, 120, 212)'); // --vscode-list-focusOutline (dark)
    // On the first group: Right expands, Down moves to its first stall and selects it.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await tp!.settle();
    const sel = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.stall);
    assert.ok(sel);
    assert.match((await page.locator(`rect.stall-mark[data-stall-id="${sel}"]`).getAttribute('class')) ?? '', /\bselected\b/);
    // Arrow keys select without opening the editor; Enter opens.
    assert.deepEqual(reveals(await tp!.posted()), []);
    await page.keyboard.press('Enter');
    assert.deepEqual(reveals(await tp!.posted()), [{ type: 'revealFrame', stallId: sel }]);
  });

  it('the chart is one tab stop: arrows move between stalls, Enter reveals', async () => {
    const state = demoState({ endMs: T_END });
    await loaded(state);
    const page = tp!.page;
    await page.locator('svg.plot-svg').focus();
    await page.keyboard.press('ArrowRight');
    await tp!.settle();
    const first = [...state.stalls].filter((s) => s.pid === 4242 && s.thread.id === 0).sort((a, b) => a.startMs - b.startMs)[0];
    const active = await page.locator('svg.plot-svg').getAttribute('aria-activedescendant');
    assert.ok(active);
    assert.equal(await page.locator(`#${active}`).getAttribute('data-stall-id'), first.id);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    const second = [...state.stalls].filter((s) => s.pid === 4242 && s.thread.id === 0).sort((a, b) => a.startMs - b.startMs)[1];
    assert.deepEqual(reveals(await tp!.posted()), [{ type: 'revealFrame', stallId: second.id }]);
    // ArrowDown moves to the worker's lane.
    await page.keyboard.press('ArrowDown');
    await tp!.settle();
    const id = await page.locator(`#${await page.locator('svg.plot-svg').getAttribute('aria-activedescendant')}`).getAttribute('data-stall-id');
    assert.match(id ?? '', /^4242\.1\./);
    // The keyboard-selected mark gets the focus ring and a tooltip.
    assert.equal(await page.locator('.focus-ring').isVisible(), true);
    assert.equal(await page.locator('.tooltip').isVisible(), true);
  });

  it('sorts groups by total, count and longest', async () => {
    const state = demoState({ endMs: T_END });
    await loaded(state);
    const page = tp!.page;
    const firstMax = async (): Promise<string> => (await page.locator('.row-group .stat.max').first().textContent()) ?? '';
    await page.locator('button[data-sort="max"]').click();
    await tp!.settle();
    const longest = Math.max(...state.stalls.map((s) => s.durationMs));
    assert.equal(await firstMax(), `${Math.round(longest)} ms`);
    assert.equal(await page.locator('button[data-sort="max"]').getAttribute('aria-pressed'), 'true');
    await page.locator('button[data-sort="count"]').click();
    await tp!.settle();
    const counts = await page.locator('.row-group .line2 .stat:first-child').allTextContents();
    const n = counts.map((c) => parseInt(c, 10));
    assert.deepEqual(n, [...n].sort((a, b) => b - a));
  });
});

describe('webview: untrusted text and bad input', () => {
  it('renders markup in names as text: no element, no script, no CSP violation', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const state = demoState({ endMs: T_END });
    state.title = `${evil} title`;
    state.processes[0].argv = ['/usr/bin/node', `/srv/${evil}.js`];
    state.processes[0].threads[1] = { id: 1, name: evil };
    state.stalls = state.stalls.map((s, i) =>
      i === 0
        ? {
            ...s,
            handler: { kind: 'http', label: `GET /${evil}` },
            culprit: s.culprit && { ...s.culprit, function: evil },
            frames: s.frames.map((f) => ({ ...f, function: evil })),
            cause: { kind: 'native', api: evil },
          }
        : s,
    );
    await loaded(state);
    const page = tp!.page;
    const target = state.stalls[0];
    await page.locator(`rect.stall-mark[data-stall-id="${target.id}"]`).hover();
    await page.locator(`rect.stall-mark[data-stall-id="${target.id}"]`).click();
    await tp!.settle();
    await page.locator(`.row-stall[data-stall="${target.id}"] .twistie`).click();
    await tp!.settle();
    await page.locator(`rect.stall-mark[data-stall-id="${target.id}"]`).hover();
    assert.equal(await page.locator('img').count(), 0, 'no <img> was created from data');
    const body = (await page.locator('body').textContent()) ?? '';
    assert.ok(body.includes(`GET /${evil}`), 'the handler shows as text');
    assert.ok(body.includes(evil), 'the function name shows as text');
    assert.ok((await page.locator('h1.title').textContent())?.includes(evil));
    assert.ok((await page.locator('.tooltip').textContent())?.includes(`GET /${evil}`));
    assert.equal(await page.evaluate(() => window.__ss.alerts), 0);
  });

  it('ignores malformed host messages and keeps working', async () => {
    tp = await openTimeline(browser, server);
    const page = tp.page;
    await page.evaluate(() => {
      window.postMessage({ type: 'reset', state: { title: 1 } }, '*');
      window.postMessage({ type: 'append', stalls: [{ id: 'x' }] }, '*');
      window.postMessage('<script>', '*');
      window.postMessage({ type: 'nope' }, '*');
    });
    await tp.settle();
    assert.equal(await page.locator('.empty').isVisible(), true);
    await tp.send({ type: 'reset', state: demoState({ endMs: T_END }) });
    await tp.settle();
    assert.ok((await page.locator('rect.stall-mark').count()) > 10);
    // The ignored messages were logged as warnings, not errors.
    tp.problems.length = 0;
  });

  it('Save, Open and Clear post their messages; Clear then reset empties the timeline', async () => {
    await loaded();
    const page = tp!.page;
    await page.locator('button[data-action="save"]').click();
    await page.locator('button[data-action="open"]').click();
    await page.locator('button[data-action="clear"]').click();
    assert.deepEqual((await tp!.posted()).slice(1), [{ type: 'saveRecording' }, { type: 'openRecording' }, { type: 'clear' }]);
    await tp!.send({ type: 'reset', state: { title: '', live: false, startedAtMs: T_END, processes: [], stalls: [], lag: [], pauses: [] } });
    await tp!.settle();
    assert.equal(await page.locator('.empty').isVisible(), true);
    assert.equal(await page.locator('button[data-action="save"]').isDisabled(), true);
  });

  it('focusStall from the host selects the stall and brings it into view', async () => {
    const state = demoState({ endMs: T_END });
    await loaded(state);
    const page = tp!.page;
    // Zoom into the first 20 s, then ask for a stall near the end.
    await page.locator('svg.plot-svg').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('+');
    await tp!.settle();
    const target = [...state.stalls].sort((a, b) => b.startMs - a.startMs)[1];
    await tp!.send({ type: 'focusStall', stallId: target.id });
    await tp!.settle();
    const mark = page.locator(`rect.stall-mark[data-stall-id="${target.id}"]`);
    assert.equal(await mark.count(), 1);
    assert.match((await mark.getAttribute('class')) ?? '', /\bselected\b/);
    const row = page.locator(`.row-stall[data-stall="${target.id}"]`);
    assert.equal(await row.getAttribute('aria-selected'), 'true');
    assert.deepEqual(reveals(await tp!.posted()), [], 'focusStall selects, it does not open the editor again');
  });
});

const EVIL = 'GET /<img src=x onerror=alert(1)>';

function stateWith(stall: Stall): TimelineState {
  const state = demoState({ endMs: T_END });
  state.stalls = [...state.stalls, stall];
  return state;
}

const slow = oneStall({
  id: 'slow-1',
  startMs: T_END - 20_000,
  durationMs: 640,
  handler: { kind: 'http', label: 'GET /slow' },
  victims: [
    { label: 'GET /slow', delayedMs: 640, state: 'in-flight', count: 34 },
    { label: 'GET /health', delayedMs: 600, state: 'queued', count: 3 },
  ],
});

function check(over: Partial<CheckView> = {}): CheckView {
  return {
    baseUrl: 'http://127.0.0.1:3000',
    thresholdMs: 50,
    budgetMs: 50,
    canary: 'GET /health',
    canaryIdleP99Ms: 2,
    startedAtMs: T_END - 30_000,
    status: 'done',
    endpoints: [
      {
        endpoint: 'GET /slow',
        verdict: 'blocking',
        stalls: 12,
        maxStallMs: 640,
        p99StallMs: 640,
        canaryP99Ms: 680,
        inflated: true,
        culprit: { file: slow.culprit!.file, line: slow.culprit!.line, function: slow.culprit!.function, totalMs: 4200, stallId: slow.id },
        victims: 'delayed 37 requests, 3 of them GET /health',
        overBudget: true,
      },
      { endpoint: EVIL, verdict: 'non-blocking', stalls: 0, maxStallMs: 0, p99StallMs: 0, canaryP99Ms: 3, inflated: false, culprit: null, overBudget: false },
    ],
    ...over,
  };
}

// The endpoint check (Stallscope: Check Endpoints): the verdict table next to the stalls, its culprit
// revealing the stall like the list does, untrusted endpoint names as text, and victims in the stall
// list and the tooltip.
describe('webview: endpoint check', () => {
  it('shows the verdict table with text only, and its culprit reveals the stall like the list does', async () => {
    tp = await openTimeline(browser, server);
    await tp.send({ type: 'reset', state: stateWith(slow) });
    await tp.send({ type: 'check', check: check() });
    await tp.settle();
    const page = tp.page;
    const pane = page.locator('.check-pane');
    assert.equal(await pane.isVisible(), true);
    assert.match((await pane.locator('.check-header').textContent()) ?? '', /Endpoint check.*http:\/\/127\.0\.0\.1:3000 · canary GET \/health \(idle p99 2\.0 ms\) · threshold 50 ms.*done/);
    const rows = pane.locator('tbody tr');
    assert.equal(await rows.count(), 2);
    const cells = (await rows.nth(0).locator('th, td').allTextContents()).map((t) => t.trim());
    assert.deepEqual(cells.slice(0, 6), ['GET /slow', 'blocking', '12', '640 ms', '640 ms', '2.0 ms → 680 ms (×340)']);
    assert.match(cells[6], /:\d+ /);
    assert.equal(await rows.nth(1).locator('th').textContent(), EVIL, 'the name is text');
    assert.equal(await page.locator('.check-pane img').count(), 0, 'no element from data');
    assert.match((await pane.textContent()) ?? '', /GET \/slow: its longest stall \(640 ms\) delayed 37 requests, 3 of them GET \/health/);
    assert.equal((await tp.recorded()).alerts, 0, 'no script ran from data');

    await pane.locator('button.culprit').click();
    const posted = await tp.posted();
    assert.deepEqual(posted.filter((m) => m.type === 'revealFrame'), [{ type: 'revealFrame', stallId: slow.id }]);
    await tp.settle();
    assert.equal(await page.locator(`.tree .row-stall[data-stall="${slow.id}"]`).getAttribute('aria-selected'), 'true', 'the stall is selected in the list');
    assert.equal(await page.locator(`rect.stall-mark[data-stall-id="${slow.id}"]`).count(), 1);
  });

  it('shows progress and failures, and disappears when the check is cleared', async () => {
    tp = await openTimeline(browser, server);
    await tp.send({ type: 'reset', state: stateWith(slow) });
    await tp.send({ type: 'check', check: check({ status: 'running', message: 'GET /slow (1/2): 10 connections for 10 s', endpoints: [] }) });
    await tp.settle();
    const pane = tp.page.locator('.check-pane');
    assert.match((await pane.textContent()) ?? '', /running.*GET \/slow \(1\/2\): 10 connections for 10 s/);
    assert.equal(await pane.locator('table').count(), 0);
    await tp.send({ type: 'check', check: check({ status: 'failed', message: 'the debug session ended', endpoints: check().endpoints.slice(0, 1) }) });
    await tp.settle();
    assert.match((await pane.locator('.check-message.error').textContent()) ?? '', /the debug session ended/);
    assert.equal(await pane.locator('tbody tr').count(), 1);
    await tp.send({ type: 'check', check: null });
    await tp.settle();
    assert.equal(await pane.isVisible(), false);
  });

  it('says in the list and the tooltip what a stall did to other requests', async () => {
    tp = await openTimeline(browser, server);
    await tp.send({ type: 'reset', state: stateWith(slow) });
    await tp.send({ type: 'focusStall', stallId: slow.id });
    await tp.settle();
    const page = tp.page;
    await page.locator(`.row-stall[data-stall="${slow.id}"] .twistie`).click();
    await tp.settle();
    const victims = page.locator('.tree .row-victims');
    assert.equal(await victims.count(), 1);
    assert.equal((await victims.textContent())?.trim(), 'Delayed 37 requests, 3 of them GET /health · up to 640 ms');
    await page.locator(`rect.stall-mark[data-stall-id="${slow.id}"]`).hover();
    const tip = page.locator('#ss-tooltip');
    await tip.waitFor({ state: 'visible' });
    assert.match((await tip.textContent()) ?? '', /Held up37 requests, 3 of them GET \/health up to 640 ms/);
  });
});
