/**
 * Wheel and drag on the plot: d3-zoom for zooming and dragging, plain listeners for horizontal
 * wheels (trackpads) and Shift+wheel, which pan. It reports windows; the app decides what the
 * window is, and `sync` points d3-zoom back at it after every render.
 */
import { select, zoom, zoomIdentity, type D3ZoomEvent, type ZoomBehavior } from 'd3';
import { maxZoom, span, transformToWindow, windowToTransform, type TimeWindow } from './layoutView';

export interface ZoomEvents {
  window(w: TimeWindow, cause: 'pan' | 'zoom'): void;
  showAll(): void;
}

export class ChartZoom {
  private readonly behavior: ZoomBehavior<SVGSVGElement, unknown>;
  private gestureActive = false;
  private extent: TimeWindow = { startMs: 0, endMs: 1 };
  private widthPx = 1;
  private synced = false;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly events: ZoomEvents,
    /** The window the next step starts from: keys may have moved it since the last render. */
    private readonly current: () => TimeWindow | undefined,
  ) {
    this.behavior = zoom<SVGSVGElement, unknown>()
      .filter((event: Event) => {
        if (event.type === 'wheel') {
          const e = event as WheelEvent;
          return !e.shiftKey && Math.abs(e.deltaY) >= Math.abs(e.deltaX);
        }
        if (event.type === 'dblclick') return false;
        const m = event as MouseEvent;
        return !m.ctrlKey && !m.button;
      })
      .clickDistance(4)
      .on('start', (e: D3ZoomEvent<SVGSVGElement, unknown>) => {
        if (e.sourceEvent) this.gestureActive = true;
        if (e.sourceEvent?.type === 'mousedown') svg.classList.add('dragging');
      })
      .on('zoom', (e: D3ZoomEvent<SVGSVGElement, unknown>) => {
        if (!e.sourceEvent || !this.synced) return;
        const w = transformToWindow(e.transform.k, e.transform.x, this.extent, this.widthPx);
        this.events.window(w, e.sourceEvent.type === 'wheel' ? 'zoom' : 'pan');
      })
      .on('end', () => {
        this.gestureActive = false;
        svg.classList.remove('dragging');
      });
    select(svg).call(this.behavior).on('dblclick.zoom', null);

    svg.addEventListener('dblclick', (e) => {
      e.preventDefault();
      this.events.showAll();
    });
    svg.addEventListener(
      'wheel',
      (e) => {
        const w = this.current();
        if (!(e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) || !w) return;
        e.preventDefault();
        const d = (e.deltaX || e.deltaY) * (e.deltaMode ? 16 : 1);
        const dt = (d * span(w)) / Math.max(1, this.widthPx);
        this.events.window({ startMs: w.startMs + dt, endMs: w.endMs + dt }, 'pan');
      },
      { passive: false },
    );
  }

  /** Points d3-zoom's transform at the window without emitting a zoom event. */
  sync(window: TimeWindow, extent: TimeWindow, widthPx: number, heightPx: number): void {
    this.synced = true;
    this.widthPx = widthPx;
    // During a drag the extent stays as it was at the gesture's start, so the grabbed point does
    // not drift while a live session extends the extent under the pointer.
    if (!this.gestureActive) this.extent = extent;
    const t = windowToTransform(window, this.extent, widthPx);
    this.behavior
      .extent([
        [0, 0],
        [widthPx, Math.max(1, heightPx)],
      ])
      .scaleExtent([1, maxZoom(this.extent)])
      .translateExtent([
        [0, -Infinity],
        [widthPx, Infinity],
      ]);
    // zoom.transform() would emit 'zoom' with the active gesture's source event, indistinguishable
    // from user input; setting the stored transform is d3-zoom's documented-in-practice way round.
    select(this.svg).property('__zoom', zoomIdentity.translate(t.x, 0).scale(t.k));
  }
}
