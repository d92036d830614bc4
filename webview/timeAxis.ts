/**
 * The time axis above the lanes (d3-axis). Its tick positions are reused as the canvas's
 * vertical gridlines, so the grid and the labels cannot disagree.
 */
import { axisTop, scaleTime, select } from 'd3';
import { s, setAttr } from './dom';
import { timeTickLabel } from './layoutAxis';
import type { PixelWindow } from './layoutView';

/** A label cut in half by the plot's edge reads as a different time: those within this many px are hidden. */
const EDGE_PX = 18;

export class TimeAxis {
  readonly el: SVGSVGElement;
  private readonly g: SVGGElement;

  constructor() {
    this.el = s('svg', { class: 'axis', 'aria-hidden': 'true' });
    this.g = s('g', { transform: 'translate(0,22)' });
    this.el.appendChild(this.g);
  }

  /** Draws the ticks for the window; returns their x positions. */
  render(pw: PixelWindow): number[] {
    const width = pw.widthPx;
    setAttr(this.el, 'width', String(width));
    const x = scaleTime().domain([pw.startMs, pw.endMs]).range([0, width]);
    const tickCount = Math.max(2, Math.floor(width / 110));
    select(this.g).call(axisTop<Date>(x).ticks(tickCount).tickFormat(timeTickLabel).tickSizeOuter(0).tickSizeInner(4));
    select(this.g)
      .selectAll<SVGGElement, Date>('.tick')
      .classed('edge', (d) => x(d) < EDGE_PX || x(d) > width - EDGE_PX);
    return x.ticks(tickCount).map((d) => x(d));
  }
}
