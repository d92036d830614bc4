/**
 * The timeline's pure layout maths (webview/layout*.ts, the model, formatting, saved view state),
 * without a browser: decimation keeps every spike, visible-range selection finds long stalls that
 * started off-screen, dense stalls merge without chaining, zoom keeps the anchor still.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LagSample, ProcessInfo, Stall } from '../../src/shared/protocol/model';
import { isHostToWebview } from '../../src/shared/protocol/webviewMessages';
import { causeText, formatDuration, formatOffset, shortArgv, splitPath, stallSummary } from '../../webview/format';
import { decimateLag, gapThresholdMs, lagAxisMax, lagGridlines, lagY, nearestSample } from '../../webview/layoutLag';
import { laneAtY, laneBoxes, laneHeightFor, MAX_LANE_HEIGHT, MIN_LANE_HEIGHT, orderLanes } from '../../webview/layoutLanes';
import {
  effectiveDuration,
  hitTestMarks,
  layoutPauses,
  layoutStallMarks,
  markGeometry,
  markIndexOfStall,
  MIN_MARK_WIDTH_PX,
  severityOf,
  stallBarHeight,
} from '../../webview/layoutStalls';
import {
  clampWindow,
  followWindow,
  fullExtent,
  MIN_EXTENT_MS,
  MIN_SPAN_MS,
  panBy,
  revealRange,
  touchesEnd,
  transformToWindow,
  windowToTransform,
  zoomAt,
  type TimeWindow,
} from '../../webview/layoutView';
import { LagSeries, StallLane, TimelineModel, laneIdOf } from '../../webview/timelineModel';
import { defaultViewState, restoreViewState } from '../../webview/viewState';

const T0 = 1_700_000_000_000;

function sample(atMs: number, max: number, p99 = Math.min(max, 2), p50 = 0.5, pid = 1, threadId = 0): LagSample {
  return { pid, threadId, atMs, intervalMs: 100, p50Ms: p50, p99Ms: p99, maxMs: max, elu: 0.1 };
}

function series(samples: LagSample[]): LagSeries {
  const s = new LagSeries();
  for (const x of samples) s.push(x);
  return s;
}

function stall(id: string, startMs: number, durationMs: number, over: Partial<Stall> = {}): Stall {
  return {
    id,
    pid: 1,
    thread: { id: 0 },
    startMs,
    durationMs,
    culprit: { function: 'f', file: '/app/a.js', line: 3, column: 1 },
    frames: [],
    handler: { kind: 'http', label: 'GET /x' },
    ...over,
  };
}

function lane(stalls: Stall[]): StallLane {
  const l = new StallLane();
  for (const s of [...stalls].sort((a, b) => a.startMs - b.startMs)) l.insert(s);
  return l;
}

describe('format', () => {
  it('formats durations by magnitude', () => {
    assert.equal(formatDuration(0.42), '0.4 ms');
    assert.equal(formatDuration(812.4), '812 ms');
    assert.equal(formatDuration(1234), '1.23 s');
    assert.equal(formatDuration(12_345), '12.3 s');
    assert.equal(formatDuration(125_000), '2 min 05 s');
    assert.equal(formatDuration(-1), '–');
    assert.equal(formatOffset(62_345), '+1:02.345');
    assert.equal(formatOffset(3_723_000), '+1:02:03');
  });

  it('splits paths into base and a short folder (POSIX, Windows, node:, node_modules)', () => {
    assert.deepEqual(splitPath('/home/u/app/src/routes/report.js'), { base: 'report.js', dir: '…/src/routes', fullDir: '/home/u/app/src/routes' });
    assert.equal(splitPath('C:\\work\\app\\src\\a.ts').dir, '…/app/src');
    assert.equal(splitPath('/a.js').base, 'a.js');
    assert.deepEqual(splitPath('node:internal/json'), { base: 'node:internal/json', dir: '', fullDir: '' });
    assert.equal(splitPath('/app/node_modules/express/lib/router/layer.js').dir, 'node_modules/express');
    assert.equal(splitPath('/app/node_modules/@scope/pkg/dist/x.js').dir, 'node_modules/@scope/pkg');
  });

  it('names a process by its script and arguments, not Node options', () => {
    assert.equal(shortArgv(['/usr/bin/node', '--enable-source-maps', '/srv/app/server.js', '--port', '3000']), 'server.js --port 3000');
    assert.equal(shortArgv(['node', '-r', '/x/probe.js', '--require', 'y', 'app.js']), 'app.js');
    assert.equal(shortArgv(['/usr/bin/node']), 'node');
    assert.equal(shortArgv(['node', '/a/b.js', 'x'.repeat(100)]).length, 48);
  });

  it('describes causes and stalls', () => {
    assert.equal(causeText({ kind: 'native', api: 'pbkdf2Sync' }), 'sync native call: pbkdf2Sync');
    assert.equal(causeText({ kind: 'js' }), 'JavaScript on the CPU');
    assert.equal(causeText(undefined), 'unknown');
    assert.equal(stallSummary(stall('a', 0, 812, { ongoing: true })), '812 ms ongoing stall in GET /x at a.js:3');
  });
});

describe('lag series and decimation', () => {
  it('keeps samples sorted when a batch arrives late, and grows past its first capacity', () => {
    const s = series([100, 200, 300].map((t) => sample(T0 + t, 1)));
    s.push(sample(T0 + 150, 9));
    assert.deepEqual([...s.t.subarray(0, s.length)], [T0 + 100, T0 + 150, T0 + 200, T0 + 300]);
    assert.equal(s.max[1], 9);
    for (let i = 0; i < 500; i++) s.push(sample(T0 + 1000 + i * 100, 1));
    assert.equal(s.length, 504);
    assert.equal(s.maxMs, 9);
  });

  it('draws raw points when zoomed in (at least two pixels per sample)', () => {
    const s = series(Array.from({ length: 50 }, (_, i) => sample(T0 + i * 100, i)));
    const c = decimateLag(s, { startMs: T0 + 1000, endMs: T0 + 3000, widthPx: 800 });
    assert.equal(c.raw, true);
    // 21 samples in view plus one on each side, so lines reach the edges.
    assert.equal(c.count, 23);
    assert.equal(c.x[1], 0);
    assert.equal(c.x[c.count - 2], 800);
  });

  it('keeps every spike when many samples share a pixel column (max, min and mean per column)', () => {
    // An hour at 10 Hz into 1000 px: 36 samples per column; one 900 ms spike hidden among them.
    const samples = Array.from({ length: 36_000 }, (_, i) => sample(T0 + i * 100, 1 + (i % 3), 2 + (i % 2), 0.5));
    samples[12_345] = sample(T0 + 12_345 * 100, 900, 800, 40);
    const s = series(samples);
    const c = decimateLag(s, { startMs: T0, endMs: T0 + 3_600_000, widthPx: 1000 });
    assert.equal(c.raw, false);
    assert.ok(c.count <= 1003, `${c.count} columns`);
    assert.equal(c.visibleMaxMs, 900);
    const col = [...c.maxHi.subarray(0, c.count)].findIndex((v) => v === 900);
    assert.equal(Math.floor(c.x[col]), Math.floor((12_345 * 100 * 1000) / 3_600_000));
    assert.equal(c.p99Hi[col], 800);
    assert.equal(c.p99Lo[col], 2);
    assert.equal(c.p50Hi[col], 40);
    // The mean of that column: (40 + 35 × 0.5) / 36.
    assert.ok(Math.abs(c.p50Avg[col] - (40 + 35 * 0.5) / 36) < 1e-3);
    // Reusing the buffers gives the same answer.
    const again = decimateLag(s, { startMs: T0, endMs: T0 + 3_600_000, widthPx: 1000 }, c);
    assert.equal(again.visibleMaxMs, 900);
  });

  it('breaks the line across a gap in the data, and returns nothing outside the data', () => {
    const s = series([...Array.from({ length: 10 }, (_, i) => sample(T0 + i * 100, 1)), ...Array.from({ length: 10 }, (_, i) => sample(T0 + 60_000 + i * 100, 1))]);
    assert.equal(gapThresholdMs(s), 300);
    const c = decimateLag(s, { startMs: T0, endMs: T0 + 61_000, widthPx: 1000 });
    assert.deepEqual([...c.breakBefore.subarray(0, c.count)].map((b, i) => (b ? i : -1)).filter((i) => i >= 0), [10]);
    assert.equal(decimateLag(s, { startMs: T0 + 200_000, endMs: T0 + 300_000, widthPx: 500 }).count, 1, 'only the last sample, to the left');
    assert.equal(decimateLag(new LagSeries(), { startMs: 0, endMs: 1, widthPx: 10 }).count, 0);
  });

  it('maps lag to a log-like y that keeps 1 ms and 5 s readable in one band', () => {
    assert.equal(lagY(0, 1000, 50), 50);
    assert.equal(lagY(1000, 1000, 50), 0);
    assert.equal(lagY(5000, 1000, 50), 0, 'clamped at the top');
    assert.ok(lagY(1, 5000, 50) < 50 - 3, '1 ms is visibly above the floor');
    assert.ok(lagY(1, 5000, 50) > lagY(100, 5000, 50));
    assert.equal(lagAxisMax(3), 100);
    assert.equal(lagAxisMax(812), 1000);
    assert.equal(lagAxisMax(4000), 5000);
    assert.deepEqual(lagGridlines(5000), [1, 10, 100, 1000]);
  });

  it('finds the nearest sample for the lag tooltip, within a distance', () => {
    const s = series([100, 200, 300].map((t) => sample(T0 + t, t)));
    assert.equal(nearestSample(s, T0 + 240, 100), 1);
    assert.equal(nearestSample(s, T0 + 260, 100), 2);
    assert.equal(nearestSample(s, T0 + 900, 100), -1);
  });
});

describe('stall marks', () => {
  const win = { startMs: T0, endMs: T0 + 10_000, widthPx: 1000 }; // 10 ms per px

  it('classifies severity and sizes bars by duration', () => {
    assert.deepEqual([60, 150, 812].map(severityOf), ['low', 'medium', 'high']);
    assert.ok(stallBarHeight(50, 20) < stallBarHeight(500, 20));
    assert.equal(stallBarHeight(60_000, 20), 20);
    assert.equal(stallBarHeight(10, 20), 7);
  });

  it('includes a long stall that started before the window, and only what is in view', () => {
    const l = lane([stall('long', T0 - 5000, 6000), stall('in', T0 + 2000, 100), stall('after', T0 + 20_000, 100), stall('before', T0 - 3000, 100)]);
    const marks = layoutStallMarks(l, win);
    assert.deepEqual(
      marks.map((m) => m.rep.id),
      ['long', 'in'],
    );
    assert.equal(marks[0].x, -500);
    assert.equal(marks[0].w, 600);
  });

  it('gives short stalls a minimum width and merges those closer than a pixel, led by the longest', () => {
    const l = lane([stall('a', T0 + 1000, 5), stall('b', T0 + 1012, 12), stall('c', T0 + 1020, 3), stall('d', T0 + 5000, 60)]);
    const marks = layoutStallMarks(l, win);
    assert.equal(marks.length, 2);
    assert.equal(marks[0].w, MIN_MARK_WIDTH_PX);
    assert.equal(marks[0].count, 3);
    assert.equal(marks[0].rep.id, 'b');
    assert.equal(marks[0].durationMs, 12);
    assert.deepEqual([marks[0].i0, marks[0].i1], [0, 3]);
    assert.equal(marks[1].rep.id, 'd');
    assert.equal(markIndexOfStall(marks, 2), 0);
    assert.equal(markIndexOfStall(marks, 3), 1);
  });

  it('does not chain dense stalls into one mark across the lane (an hour of 10k stalls)', () => {
    // A stall every 1.44 s for an hour, 1000 px wide: 3.6 s per px.
    const stalls = Array.from({ length: 2500 }, (_, i) => stall(`s${i}`, T0 + i * 1440, 50 + (i % 10) * 40));
    const l = lane(stalls);
    const marks = layoutStallMarks(l, { startMs: T0, endMs: T0 + 3_600_000, widthPx: 1000 });
    assert.ok(marks.length > 250 && marks.length <= 1000 / (MIN_MARK_WIDTH_PX - 0.5), `${marks.length} marks`);
    assert.ok(marks.every((m) => m.w < 6), 'no mark grew wider than a few pixels');
    assert.equal(
      marks.reduce((n, m) => n + m.count, 0),
      2500,
      'every stall is in exactly one mark',
    );
    for (let k = 1; k < marks.length; k++) assert.equal(marks[k].i0, marks[k - 1].i1, 'marks partition the stalls in order');
  });

  it('grows an ongoing stall to now while live', () => {
    const ongoing = stall('o', T0 + 1000, 100, { ongoing: true });
    const l = lane([ongoing]);
    assert.equal(effectiveDuration(ongoing, T0 + 3000), 2000);
    assert.equal(effectiveDuration(ongoing), 100);
    const m = layoutStallMarks(l, win, T0 + 3000)[0];
    assert.equal(m.w, 200);
    assert.equal(m.ongoing, true);
    // Found even when it started long before the window (the look-back includes ongoing growth).
    const later = { startMs: T0 + 50_000, endMs: T0 + 60_000, widthPx: 1000 };
    assert.equal(layoutStallMarks(l, later, T0 + 59_000).length, 1);
  });

  it('hit-tests the mark under the pointer, or the nearest within a tolerance', () => {
    const l = lane([stall('a', T0 + 1000, 30), stall('b', T0 + 2000, 300)]);
    const marks = layoutStallMarks(l, win);
    assert.equal(hitTestMarks(marks, 101)?.rep.id, 'a');
    assert.equal(hitTestMarks(marks, 106)?.rep.id, 'a', 'within 4 px');
    assert.equal(hitTestMarks(marks, 110), undefined);
    assert.equal(hitTestMarks(marks, 215)?.rep.id, 'b');
    assert.equal(hitTestMarks(marks, 233)?.rep.id, 'b', 'past its end, within 4 px');
    assert.equal(hitTestMarks(marks, 250), undefined);
    assert.equal(hitTestMarks([], 5), undefined);
  });

  it('places bars bottom-aligned and pixel-snapped in the stall track', () => {
    const [m] = layoutStallMarks(lane([stall('a', T0 + 1004, 900)]), win);
    const g = markGeometry(m, { stallTop: 100, stallHeight: 20 });
    assert.equal(g.y + g.h, 120);
    assert.equal(g.x, 100);
    assert.equal(g.w, 90);
  });

  it('lays out debugger pauses, an open one up to now', () => {
    const p = layoutPauses(
      [
        { id: 'p', pid: 1, threadId: 0, startMs: T0 + 1000, endMs: null },
        { id: 'q', pid: 1, threadId: 0, startMs: T0 - 9000, endMs: T0 - 8000 },
      ],
      win,
      T0 + 4000,
    );
    assert.equal(p.length, 1);
    assert.equal(p[0].w, 300);
    assert.equal(p[0].durationMs, 3000);
  });
});

describe('view window', () => {
  const extent: TimeWindow = { startMs: T0, endMs: T0 + 3_600_000 };

  it('builds an extent of at least MIN_EXTENT_MS, reaching now while live', () => {
    assert.deepEqual(fullExtent(T0, T0 + 1000), { startMs: T0, endMs: T0 + MIN_EXTENT_MS });
    assert.deepEqual(fullExtent(T0, T0 + 1000, T0 + 2000), { startMs: T0 + 2000 - MIN_EXTENT_MS, endMs: T0 + 2000 });
    assert.deepEqual(fullExtent(NaN, NaN, T0), { startMs: T0 - MIN_EXTENT_MS, endMs: T0 });
  });

  it('clamps windows inside the extent, between MIN_SPAN_MS and the extent', () => {
    assert.deepEqual(clampWindow({ startMs: T0 - 1000, endMs: T0 + 9000 }, extent), { startMs: T0, endMs: T0 + 10_000 });
    assert.deepEqual(clampWindow({ startMs: T0 - 10, endMs: T0 + 99e9 }, extent), extent);
    const tiny = clampWindow({ startMs: T0 + 500, endMs: T0 + 501 }, extent);
    assert.equal(tiny.endMs - tiny.startMs, MIN_SPAN_MS);
  });

  it('zooms keeping the anchor at the same place on screen, and pans within bounds', () => {
    const w = { startMs: T0 + 1_000_000, endMs: T0 + 2_000_000 };
    const anchor = T0 + 1_250_000;
    const z = zoomAt(w, 4, anchor, extent);
    assert.equal(z.endMs - z.startMs, 250_000);
    assert.ok(Math.abs((anchor - z.startMs) / (z.endMs - z.startMs) - 0.25) < 1e-9);
    assert.deepEqual(panBy(w, -5_000_000, extent), { startMs: T0, endMs: T0 + 1_000_000 });
    assert.deepEqual(followWindow(60_000, extent), { startMs: extent.endMs - 60_000, endMs: extent.endMs });
    assert.equal(touchesEnd(followWindow(60_000, extent), extent, 1000), true);
    assert.equal(touchesEnd(w, extent, 1000), false);
  });

  it('maps windows to d3-zoom transforms and back', () => {
    const w = { startMs: T0 + 900_000, endMs: T0 + 1_800_000 };
    const t = windowToTransform(w, extent, 1200);
    assert.equal(t.k, 4);
    assert.equal(t.x, -1200);
    const back = transformToWindow(t.k, t.x, extent, 1200);
    assert.ok(Math.abs(back.startMs - w.startMs) < 1e-3 && Math.abs(back.endMs - w.endMs) < 1e-3);
  });

  it('reveals a range: unchanged when visible, centred (and widened if needed) when not', () => {
    const w = { startMs: T0 + 1_000_000, endMs: T0 + 1_060_000 };
    assert.equal(revealRange(w, T0 + 1_030_000, T0 + 1_030_500, extent), w);
    const moved = revealRange(w, T0 + 2_000_000, T0 + 2_000_800, extent);
    assert.equal(moved.endMs - moved.startMs, 60_000);
    assert.ok(Math.abs((moved.startMs + moved.endMs) / 2 - (T0 + 2_000_400)) < 1e-6);
    const wide = revealRange(w, T0 + 2_000_000, T0 + 2_100_000, extent);
    assert.ok(wide.startMs < T0 + 2_000_000 && wide.endMs > T0 + 2_100_000);
  });
});

describe('lanes', () => {
  const proc = (pid: number, ppid: number, argv: string[], startedAtMs: number, threads: ProcessInfo['threads'] = [{ id: 0 }], endedAtMs?: number): ProcessInfo => ({
    pid,
    ppid,
    argv,
    cwd: '/app',
    runtime: { name: 'node', version: '20.0.0' },
    mode: 'full',
    startedAtMs,
    threads,
    ...(endedAtMs ? { endedAtMs } : {}),
  });

  it('orders lanes as a process tree: workers under their process, children under their parent', () => {
    const processes = new Map<number, ProcessInfo>([
      [30, proc(30, 10, ['node', '/app/child.js'], T0 + 50, [{ id: 0 }], T0 + 99)],
      [10, proc(10, 1, ['node', '/app/server.js'], T0, [{ id: 0 }, { id: 2, name: 'pool' }])],
      [20, proc(20, 10, ['node', '/app/first-child.js'], T0 + 10)],
    ]);
    const lanes = orderLanes(processes, [
      { pid: 10, threadId: 0 },
      { pid: 10, threadId: 2, name: 'pool' },
      { pid: 99, threadId: 0 },
      { pid: 30, threadId: 0 },
      { pid: 20, threadId: 0 },
      { pid: 20, threadId: 5 },
    ]);
    assert.deepEqual(
      lanes.map((l) => `${'  '.repeat(l.depth)}${l.label} | ${l.detail}`),
      [
        'server.js | pid 10',
        '  pool | worker thread 2',
        '  first-child.js | pid 20',
        '    worker 5 | worker thread 5',
        '  child.js | pid 30 · exited',
        'process 99 | pid 99',
      ],
    );
    assert.equal(lanes[0].id, laneIdOf(10, 0));
  });

  it('survives a ppid cycle (pid reuse)', () => {
    const processes = new Map<number, ProcessInfo>([
      [1, proc(1, 2, ['node', 'a.js'], T0)],
      [2, proc(2, 1, ['node', 'b.js'], T0 + 1)],
    ]);
    assert.equal(orderLanes(processes, []).length, 0, 'no root: nothing is drawn rather than looping');
    processes.set(3, proc(3, 0, ['node', 'c.js'], T0));
    assert.equal(orderLanes(processes, []).length, 1);
  });

  it('shares the height between lanes within bounds, and finds the lane under y', () => {
    assert.equal(laneHeightFor(600, 4), 150);
    assert.equal(laneHeightFor(100, 4), MIN_LANE_HEIGHT);
    assert.equal(laneHeightFor(5000, 1), MAX_LANE_HEIGHT);
    const boxes = laneBoxes(3, 100);
    assert.equal(boxes[2].top, 200);
    assert.ok(boxes[0].stallTop > boxes[0].lagTop + boxes[0].lagHeight - 1);
    assert.equal(boxes[0].stallTop + boxes[0].stallHeight, 96);
    assert.equal(laneAtY(boxes, 150), 1);
    assert.equal(laneAtY(boxes, 300), -1);
    assert.equal(laneAtY(boxes, -1), -1);
  });
});

describe('timeline model', () => {
  it('upserts a stall by id: ongoing then ended is one stall, in its lane, no longer ongoing', () => {
    const m = new TimelineModel();
    m.reset({ title: 't', live: true, startedAtMs: T0, processes: [], stalls: [stall('b', T0 + 500, 10), stall('a', T0 + 100, 10)], lag: [], pauses: [] });
    const id = laneIdOf(1, 0);
    assert.deepEqual(
      m.stallLanes.get(id)!.stalls.map((s) => s.id),
      ['a', 'b'],
    );
    const v = m.stallsVersion;
    m.append({ stalls: [stall('o', T0 + 300, 50, { ongoing: true })] });
    assert.equal(m.hasOngoing(), true);
    m.append({ stalls: [stall('o', T0 + 300, 400)] });
    const l = m.stallLanes.get(id)!;
    assert.deepEqual(
      l.stalls.map((s) => `${s.id}:${s.durationMs}`),
      ['a:10', 'o:400', 'b:10'],
    );
    assert.equal(m.hasOngoing(), false);
    assert.equal(m.stallsById.size, 3);
    assert.equal(l.maxDurationMs, 400);
    assert.equal(m.stallsVersion, v + 2);
    // A corrected start time moves the stall.
    m.append({ stalls: [stall('o', T0 + 900, 400)] });
    assert.deepEqual(
      l.stalls.map((s) => s.id),
      ['a', 'b', 'o'],
    );
    assert.equal(m.maxMs, T0 + 1300);
  });

  it('tracks lanes, extent and the lag maximum; bumps lanesVersion only for new lanes', () => {
    const m = new TimelineModel();
    assert.equal(m.isEmpty, true);
    m.append({ lag: [sample(T0 + 100, 3), sample(T0 + 200, 40, 2, 0.5, 1, 1)] });
    assert.equal(m.lanes.size, 2);
    const lv = m.lanesVersion;
    m.append({ lag: [sample(T0 + 300, 7)] });
    assert.equal(m.lanesVersion, lv);
    assert.equal(m.lagMaxMs, 40);
    assert.equal(m.minMs, T0);
    assert.equal(m.maxMs, T0 + 300);
    m.append({ pauses: [{ id: 'p', pid: 1, threadId: 3, startMs: T0 + 50, endMs: null }] });
    assert.equal(m.lanesVersion, lv + 1);
    assert.equal(m.hasOngoing(), true, 'an open pause keeps the chart moving');
  });
});

describe('saved view state', () => {
  it('restores what it saved, and degrades anything else to defaults', () => {
    const saved = { ...defaultViewState(), window: { startMs: T0, endMs: T0 + 5 }, follow: false, sort: 'count' as const, selection: { kind: 'stall' as const, id: 'x' }, expandedGroups: ['/a.js:3'] };
    assert.deepEqual(restoreViewState(JSON.parse(JSON.stringify(saved))), saved);
    assert.deepEqual(restoreViewState(undefined), defaultViewState());
    assert.deepEqual(restoreViewState({ v: 2, follow: false }), defaultViewState());
    const bad = restoreViewState({ v: 1, window: { startMs: 5, endMs: 1 }, sort: 'x', selection: { kind: 'group' }, expandedGroups: [1, 'ok'], followSpanMs: -3 });
    assert.equal(bad.window, null);
    assert.equal(bad.sort, 'total');
    assert.equal(bad.selection, null);
    assert.deepEqual(bad.expandedGroups, ['ok']);
    assert.ok(bad.followSpanMs > 0);
  });
});

describe('host → webview guard', () => {
  it('accepts the protocol and refuses malformed messages', () => {
    const state = { title: 't', live: false, startedAtMs: T0, processes: [], stalls: [stall('a', T0, 60)], lag: [sample(T0, 1)], pauses: [] };
    assert.equal(isHostToWebview({ type: 'reset', state }), true);
    assert.equal(isHostToWebview({ type: 'append', stalls: [stall('a', T0, 60)] }), true);
    assert.equal(isHostToWebview({ type: 'append' }), true);
    assert.equal(isHostToWebview({ type: 'live', live: true }), true);
    assert.equal(isHostToWebview({ type: 'focusStall', stallId: 'a' }), true);
    assert.equal(isHostToWebview({ type: 'reset', state: { ...state, stalls: [{ id: 'a' }] } }), false);
    assert.equal(isHostToWebview({ type: 'append', lag: [{ atMs: 'x' }] }), false);
    assert.equal(isHostToWebview({ type: 'live', live: 'yes' }), false);
    assert.equal(isHostToWebview({ type: 'focusStall', stallId: 'x'.repeat(200) }), false);
    assert.equal(isHostToWebview({ type: 'evil' }), false);
    assert.equal(isHostToWebview('reset'), false);
  });
});
