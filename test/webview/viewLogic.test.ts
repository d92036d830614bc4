/**
 * The webview's logic without a browser: the one keymap (each key bound once, in one scope), the
 * window and follow rules, the list's tree keys, and the chart's arrow-key navigation.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Stall } from '../../src/shared/protocol/model';
import { commandFor, type KeyInput } from '../../webview/keymap';
import { neighbourStall } from '../../webview/chartNavigation';
import { layoutStallMarks } from '../../webview/layoutStalls';
import { fullExtent, span } from '../../webview/layoutView';
import { flattenRows, treeKeyAction, type ListView } from '../../webview/stallRows';
import { StallLane, laneIdOf } from '../../webview/timelineModel';
import { defaultViewState } from '../../webview/viewState';
import { ViewWindow } from '../../webview/viewWindow';
import { oneStall } from './synthetic';

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({ key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods });

describe('keymap', () => {
  it('binds F and 0 once, for the whole page; the chart leaves them to it', () => {
    assert.deepEqual(commandFor(key('f'), 'page'), { kind: 'toggleFollow' });
    assert.deepEqual(commandFor(key('F', { shiftKey: true }), 'page'), { kind: 'toggleFollow' });
    assert.deepEqual(commandFor(key('0'), 'page'), { kind: 'showAll' });
    assert.equal(commandFor(key('f'), 'chart'), undefined);
    assert.equal(commandFor(key('0'), 'chart'), undefined);
  });

  it('Shift+arrows pan, arrows step, Ctrl/Cmd/Alt chords are left to VS Code', () => {
    assert.deepEqual(commandFor(key('ArrowLeft', { shiftKey: true }), 'chart'), { kind: 'pan', fraction: -0.2 });
    assert.deepEqual(commandFor(key('ArrowLeft'), 'chart'), { kind: 'step', to: 'left' });
    assert.deepEqual(commandFor(key('+', { shiftKey: true }), 'chart'), { kind: 'zoom', factor: 2 });
    assert.equal(commandFor(key('f', { ctrlKey: true }), 'page'), undefined);
    assert.equal(commandFor(key('ArrowLeft', { metaKey: true }), 'chart'), undefined);
    assert.equal(commandFor(key('ArrowLeft'), 'page'), undefined);
  });
});

describe('view window', () => {
  const T0 = 1_700_000_000_000;
  function live(): { vw: ViewWindow; state: ReturnType<typeof defaultViewState>; setLive(v: boolean): void } {
    let isLive = true;
    const state = defaultViewState();
    return { vw: new ViewWindow(state, () => isLive), state, setLive: (v) => (isLive = v) };
  }

  it('follows now; a pan stops following, a zoom keeps it with the new span', () => {
    const { vw } = live();
    const extent = fullExtent(T0, T0 + 300_000, T0 + 300_000);
    let w = vw.current(extent);
    assert.equal(w.endMs, extent.endMs);
    vw.userWindow({ startMs: w.startMs - 1000, endMs: w.endMs - 11_000 }, 'zoom');
    assert.equal(vw.following(), true);
    w = vw.current(extent);
    assert.equal(span(w), 50_000);
    assert.equal(w.endMs, extent.endMs);
    vw.userWindow({ startMs: w.startMs - 5000, endMs: w.endMs - 5000 }, 'pan');
    assert.equal(vw.following(), false);
    assert.equal(vw.current(extent).endMs, extent.endMs - 5000);
  });

  it('show all is not follow: the whole recording, as it grows, with Follow off; after the end it freezes', () => {
    const { vw, setLive } = live();
    const extent = fullExtent(T0, T0 + 300_000, T0 + 300_000);
    vw.current(extent);
    vw.showAll();
    assert.equal(vw.following(), false, 'Follow is not left on');
    assert.equal(vw.tracksNow(), true, 'but the view grows with the recording');
    assert.deepEqual(vw.current(extent), extent);
    const later = fullExtent(T0, T0 + 310_000, T0 + 310_000);
    assert.deepEqual(vw.current(later), later);
    setLive(false);
    vw.ended();
    assert.equal(vw.tracksNow(), false);
  });

  it('a selection holds the window: following stops where it was', () => {
    const { vw } = live();
    const extent = fullExtent(T0, T0 + 300_000, T0 + 300_000);
    const w = vw.current(extent);
    vw.hold();
    assert.equal(vw.following(), false);
    const later = fullExtent(T0, T0 + 400_000, T0 + 400_000);
    assert.deepEqual(vw.current(later), w, 'the window stays put while time passes');
    vw.toggleFollow();
    assert.equal(vw.current(later).endMs, later.endMs, 'F follows again');
  });
});

describe('stall list rows and keys', () => {
  const a = oneStall({ id: 'a', startMs: 1_700_000_000_000, durationMs: 300 });
  const b = oneStall({ id: 'b', durationMs: 200, startMs: a.startMs + 5000 });
  const view: ListView = {
    groups: [{ key: 'k', culprit: a.culprit ?? null, count: 2, totalMs: 500, maxMs: 300, stallIds: ['b', 'a'], handlers: [] }],
    stallsById: new Map([
      ['a', a],
      ['b', b],
    ]),
    selection: null,
    sort: 'total',
    expandedGroups: new Set(['k']),
    expandedStalls: new Set(),
    shown: new Map(),
    totalStalls: 2,
    hasLanes: true,
    live: false,
  };

  it('flattens an expanded group into its stalls, longest first', () => {
    assert.deepEqual(
      flattenRows(view).map((r) => r.key),
      ['g:k', 's:a', 's:b'],
    );
  });

  it('Right expands, then moves in; Left collapses, then moves to the parent', () => {
    const rows = flattenRows(view);
    assert.deepEqual(treeKeyAction('ArrowRight', rows, 1), { kind: 'expand', open: true });
    assert.deepEqual(treeKeyAction('ArrowRight', rows, 0), { kind: 'move', to: 1 });
    assert.deepEqual(treeKeyAction('ArrowLeft', rows, 0), { kind: 'expand', open: false });
    assert.deepEqual(treeKeyAction('ArrowLeft', rows, 2), { kind: 'move', to: 0 });
    assert.deepEqual(treeKeyAction('End', rows, 0), { kind: 'move', to: 2 });
    assert.deepEqual(treeKeyAction('PageUp', rows, 2), { kind: 'move', to: 0 });
    assert.equal(treeKeyAction('x', rows, 0), undefined);
  });
});

describe('chart navigation', () => {
  it('steps along a lane and across lanes to the mark nearest in time', () => {
    const t0 = 1_700_000_000_000;
    const mk = (id: string, at: number, threadId = 0): Stall => oneStall({ id, startMs: t0 + at, durationMs: 100, thread: { id: threadId } });
    const main = new StallLane();
    const worker = new StallLane();
    for (const s of [mk('m1', 1000), mk('m2', 5000), mk('m3', 9000)]) main.insert(s);
    for (const s of [mk('w1', 2000, 1), mk('w2', 8800, 1)]) worker.insert(s);
    const pw = { startMs: t0, endMs: t0 + 10_000, widthPx: 1000 };
    const laneIds = [laneIdOf(main.stalls[0].pid, 0), laneIdOf(main.stalls[0].pid, 1)];
    const stallLanes = new Map([
      [laneIds[0], main],
      [laneIds[1], worker],
    ]);
    const marks = [layoutStallMarks(main, pw), layoutStallMarks(worker, pw)];
    const frame = (selected?: Stall) => ({ stallLanes, laneIds, marks, pw, selected });
    assert.equal(neighbourStall('right', frame()), 'm1', 'no selection: the first mark in view');
    assert.equal(neighbourStall('right', frame(main.stalls[0])), 'm2');
    assert.equal(neighbourStall('left', frame(main.stalls[0])), 'm1', 'stays at the first');
    assert.equal(neighbourStall('down', frame(main.stalls[2])), 'w2', 'nearest in time below');
    assert.equal(neighbourStall('up', frame(worker.stalls[0])), 'm1');
    assert.equal(neighbourStall('last', frame(main.stalls[0])), 'm3');
  });
});
