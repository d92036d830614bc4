/**
 * The chart's DOM per lane: the label in the gutter, and in the SVG layer the selection band,
 * the pause bands and the stall proxies. The canvas paints what is seen; these elements are
 * what a click, a screen reader or a test finds (`rect.stall-mark[data-stall-id]`, role option).
 * Elements are kept by lane and stall id and recycled: creating hundreds per zoom frame would
 * dominate the frame.
 */
import type { Stall } from '../src/shared/protocol/model';
import { h, s, setAttr } from './dom';
import { formatDuration, stallSummary } from './format';
import type { LaneBox, LaneInfo } from './layoutLanes';
import { markGeometry, markIndexOfStall, MARK_IN_GROUP, MARK_SELECTED, type PauseMark, type StallMark } from './layoutStalls';
import type { StallLane } from './timelineModel';

/** Above this many marks in view, a lane keeps SVG proxies for its selected marks only. */
export const MAX_PROXIES_PER_LANE = 150;

interface LaneView {
  lane: LaneInfo;
  label: HTMLDivElement;
  g: SVGGElement;
  band: SVGRectElement;
  pausesG: SVGGElement;
  stallsG: SVGGElement;
  marks: Map<string, SVGRectElement>;
  pauses: Map<string, SVGGElement>;
}

let markIds = 0;

export class LaneLayer {
  private views = new Map<string, LaneView>();
  private order: LaneView[] = [];
  private readonly labelKeys = new WeakMap<Element, string>();

  constructor(
    private readonly gutter: HTMLElement,
    private readonly layer: SVGGElement,
  ) {}

  /** Lane ids, top to bottom. */
  laneIds(): string[] {
    return this.order.map((lv) => lv.lane.id);
  }

  laneLabel(i: number): string {
    return this.order[i]?.lane.label ?? '';
  }

  /** The proxy of a stall's mark, if it has one. */
  proxy(lane: number, stallId: string): SVGRectElement | undefined {
    return this.order[lane]?.marks.get(stallId);
  }

  /** The lane whose proxy `el` is, or -1. */
  laneOfProxy(el: Element): number {
    const id = el.getAttribute('data-stall-id') ?? '';
    return this.order.findIndex((lv) => lv.marks.get(id) === el);
  }

  sync(lanes: readonly LaneInfo[]): void {
    const next = new Map<string, LaneView>();
    const order: LaneView[] = [];
    for (const lane of lanes) {
      let lv = this.views.get(lane.id);
      if (!lv) {
        const label = h('div', { class: 'lane-label' });
        const band = s('rect', { class: 'selection-band', x: 0, y: 0, width: 0, height: 0 });
        const pausesG = s('g', { class: 'pauses' });
        const stallsG = s('g', { class: 'stalls', role: 'group' });
        const g = s('g', { class: 'lane' }, band, pausesG, stallsG);
        lv = { lane, label, g, band, pausesG, stallsG, marks: new Map(), pauses: new Map() };
      }
      // Lane info objects are rebuilt only when lanes change: identity says whether to touch the DOM.
      if (lv.lane !== lane || !lv.label.firstChild) {
        lv.lane = lane;
        lv.label.replaceChildren(h('span', { class: 'lane-name' }, lane.label), h('span', { class: 'lane-detail' }, lane.detail));
        lv.label.title = lane.title;
        lv.label.classList.toggle('is-thread', !lane.isProcess);
        lv.label.classList.toggle('ended', lane.ended);
        lv.label.style.paddingLeft = `${8 + lane.depth * 12}px`;
        setAttr(lv.stallsG, 'aria-label', `${lane.label}, ${lane.detail}`);
      }
      next.set(lane.id, lv);
      order.push(lv);
    }
    for (const [id, lv] of this.views) {
      if (!next.has(id)) {
        lv.label.remove();
        lv.g.remove();
      }
    }
    // Keep DOM order equal to lane order (insertBefore moves an existing node).
    order.forEach((lv, i) => {
      if (this.gutter.children[i] !== lv.label) this.gutter.insertBefore(lv.label, this.gutter.children[i] ?? null);
      if (this.layer.children[i] !== lv.g) this.layer.insertBefore(lv.g, this.layer.children[i] ?? null);
    });
    this.views = next;
    this.order = order;
  }

  /** Puts lane `i`'s label and group at its box. */
  place(i: number, b: LaneBox): void {
    const lv = this.order[i];
    if (lv.label.style.top !== `${b.top}px`) lv.label.style.top = `${b.top}px`;
    if (lv.label.style.height !== `${b.height}px`) lv.label.style.height = `${b.height}px`;
    setAttr(lv.g, 'transform', `translate(0,${b.top})`);
  }

  renderPauses(i: number, pauses: readonly PauseMark[], b: LaneBox): void {
    const lv = this.order[i];
    const seen = new Set<string>();
    const h0 = b.stallTop + b.stallHeight - b.lagTop;
    for (const p of pauses) {
      seen.add(p.pause.id);
      let g = lv.pauses.get(p.pause.id);
      if (!g) {
        g = s(
          'g',
          { class: 'pause', role: 'img' },
          s('rect', { class: 'pause-fill' }),
          s('rect', { class: 'pause-hatch', fill: 'url(#ss-hatch)' }),
          s('rect', { class: 'pause-edge' }),
          s('text', { class: 'pause-label' }, 'paused'),
        );
        g.dataset.pauseId = p.pause.id;
        lv.pausesG.appendChild(g);
        lv.pauses.set(p.pause.id, g);
      }
      const [fill, hatch, edge, text] = Array.from(g.children) as SVGElement[];
      const x = p.x.toFixed(1);
      const y = String(b.lagTop - b.top);
      for (const r of [fill, hatch]) {
        setAttr(r, 'x', x);
        setAttr(r, 'y', y);
        setAttr(r, 'width', p.w.toFixed(1));
        setAttr(r, 'height', String(h0));
      }
      setAttr(edge, 'x', x);
      setAttr(edge, 'y', y);
      setAttr(edge, 'width', '2');
      setAttr(edge, 'height', String(h0));
      setAttr(text, 'x', (p.x + 6).toFixed(1));
      setAttr(text, 'y', String(b.lagTop - b.top + 12));
      text.classList.toggle('hidden', p.w < 64);
      setAttr(g, 'aria-label', `Debugger paused for ${formatDuration(p.durationMs)}${p.pause.reason ? ` (${p.pause.reason})` : ''}, not a stall`);
    }
    for (const [id, g] of lv.pauses) {
      if (!seen.has(id)) {
        g.remove();
        lv.pauses.delete(id);
      }
    }
  }

  /**
   * SVG proxies of lane `i`'s marks. All marks get one while the lane has at most
   * MAX_PROXIES_PER_LANE; a denser lane (an hour at full zoom) keeps proxies for the selected
   * marks only, and the pointer hit-tests the layout instead. Returns how many proxies it kept.
   */
  renderProxies(i: number, marks: readonly StallMark[], states: Uint8Array, b: LaneBox): number {
    const lv = this.order[i];
    const dense = marks.length > MAX_PROXIES_PER_LANE;
    const wanted: number[] = [];
    for (let k = 0; k < marks.length; k++) if (!dense || states[k] === MARK_SELECTED) wanted.push(k);
    const prev = lv.marks;
    const next = new Map<string, SVGRectElement>();
    const pending: number[] = [];
    for (const k of wanted) {
      const id = marks[k].rep.id;
      const el = prev.get(id);
      if (el) {
        prev.delete(id);
        next.set(id, el);
      } else pending.push(k);
    }
    const free = [...prev.values()];
    for (const k of pending) {
      let el = free.pop();
      if (!el) {
        el = s('rect', { id: `ssm-${++markIds}`, role: 'option' });
        lv.stallsG.appendChild(el);
      }
      next.set(marks[k].rep.id, el);
    }
    for (const el of free) el.remove();
    lv.marks = next;

    for (const k of wanted) {
      const m = marks[k];
      const el = next.get(m.rep.id);
      if (el) this.updateProxy(el, m, states[k], b);
    }
    return wanted.length;
  }

  private updateProxy(el: SVGRectElement, m: StallMark, state: number, b: LaneBox): void {
    const g = markGeometry(m, b);
    setAttr(el, 'x', g.x.toFixed(1));
    setAttr(el, 'width', g.w.toFixed(1));
    setAttr(el, 'y', String(g.y - b.top));
    setAttr(el, 'height', String(g.h));
    const cls = `stall-mark sev-${m.severity}${m.ongoing ? ' ongoing' : ''}${m.count > 1 ? ' merged' : ''}${state === MARK_SELECTED ? ' selected' : ''}${state === MARK_IN_GROUP ? ' in-group' : ''}`;
    setAttr(el, 'class', cls);
    setAttr(el, 'data-stall-id', m.rep.id);
    setAttr(el, 'data-count', String(m.count));
    setAttr(el, 'data-duration-ms', String(Math.round(m.durationMs)));
    setAttr(el, 'aria-selected', String(state === MARK_SELECTED));
    // The label is the costliest attribute to build: only when what it says changed.
    const labelKey = `${m.rep.id}|${Math.round(m.durationMs)}|${m.count}`;
    if (this.labelKeys.get(el) !== labelKey) {
      this.labelKeys.set(el, labelKey);
      el.setAttribute('aria-label', `${stallSummary(m.rep, m.durationMs)}${m.count > 1 ? `, and ${m.count - 1} more here` : ''}`);
    }
  }

  /**
   * The selected stall: a band across its lane. Returns its proxy and where its mark is, for
   * the listbox's active descendant and the focus ring.
   */
  renderSelection(
    selected: Stall | undefined,
    selectedLaneId: string | undefined,
    stallLane: StallLane | undefined,
    marksOf: (i: number) => readonly StallMark[],
    boxes: readonly LaneBox[],
  ): { proxy: SVGRectElement; ring: { x: number; y: number; w: number; h: number } } | undefined {
    let found: { proxy: SVGRectElement; ring: { x: number; y: number; w: number; h: number } } | undefined;
    this.order.forEach((lv, i) => {
      let shown = false;
      if (selected && stallLane && lv.lane.id === selectedLaneId) {
        const marks = marksOf(i);
        const mi = markIndexOfStall(marks, stallLane.indexOf(selected));
        if (mi >= 0) {
          const m = marks[mi];
          setAttr(lv.band, 'x', (m.x - 1).toFixed(1));
          setAttr(lv.band, 'width', (m.w + 2).toFixed(1));
          setAttr(lv.band, 'height', String(boxes[i].height - 1));
          const proxy = lv.marks.get(m.rep.id);
          if (proxy) found = { proxy, ring: markGeometry(m, boxes[i]) };
          shown = true;
        }
      }
      lv.band.classList.toggle('visible', shown);
    });
    return found;
  }
}
