/**
 * Which part of the recording is on screen, and whether it follows "now": every rule about the
 * window and follow mode, as state transitions on plain numbers. Pure (no DOM): the app feeds it
 * the extent and the plot's width and renders what `current` says.
 */
import { DEFAULT_FOLLOW_SPAN_MS, clampWindow, followWindow, revealRange, span, touchesEnd, type TimeWindow } from './layoutView';

export interface WindowState {
  /** The window while not following; null = the whole recording. */
  window: TimeWindow | null;
  follow: boolean;
  followSpanMs: number;
}

export class ViewWindow {
  /** What was last rendered: key and drag steps start from it. */
  lastWindow: TimeWindow = { startMs: 0, endMs: 1 };
  lastExtent: TimeWindow = { startMs: 0, endMs: 1 };

  constructor(
    private readonly s: WindowState,
    private readonly isLive: () => boolean,
  ) {}

  get follow(): boolean {
    return this.s.follow;
  }

  /** Follow mode is on and means something: the session is live. */
  following(): boolean {
    return this.isLive() && this.s.follow;
  }

  /** The window to render for this extent; remembered as the last one. */
  current(extent: TimeWindow): TimeWindow {
    const w = this.following() ? followWindow(this.s.followSpanMs, extent) : clampWindow(this.s.window ?? extent, extent);
    this.lastWindow = w;
    this.lastExtent = extent;
    return w;
  }

  /** The window without remembering it (to plan a move before the next frame). */
  peek(extent: TimeWindow): TimeWindow {
    return this.following() ? followWindow(this.s.followSpanMs, extent) : clampWindow(this.s.window ?? extent, extent);
  }

  /** The user zoomed or panned the chart. Zooming while following keeps following, with the new span. */
  userWindow(w: TimeWindow, cause: 'pan' | 'zoom'): void {
    const next = clampWindow(w, this.lastExtent);
    if (this.following() && cause === 'zoom') {
      this.s.followSpanMs = span(next);
      return;
    }
    this.s.follow = false;
    this.s.window = next;
  }

  /**
   * The overview's brush (or a click on it, `center`). Brushing up to the live edge keeps (or turns
   * on) follow mode: dragging the brush to "now" means "show me now".
   */
  overviewWindow(w: TimeWindow, cause: 'brush' | 'center', widthPx: number): void {
    const extent = this.lastExtent;
    if (cause === 'center') {
      const half = span(this.lastWindow) / 2;
      w = { startMs: w.startMs - half, endMs: w.startMs + half };
    }
    const next = clampWindow(w, extent);
    if (this.isLive() && touchesEnd(next, extent, widthPx)) {
      this.s.follow = true;
      this.s.followSpanMs = span(next);
    } else {
      this.s.follow = false;
      this.s.window = next;
    }
  }

  toggleFollow(): void {
    if (!this.isLive()) return;
    this.s.follow = !this.s.follow;
    if (!this.s.follow) this.s.window = this.lastWindow;
    else this.s.followSpanMs = Math.min(span(this.lastWindow), span(this.lastExtent));
  }

  /**
   * The whole recording (while live, as it grows). Not follow mode: follow shows the latest
   * span, this shows everything, and the Follow button says which one is on.
   */
  showAll(): void {
    this.s.window = null;
    this.s.follow = false;
  }

  /** The window moves on its own while live: following, or showing all of a growing recording. */
  tracksNow(): boolean {
    return this.isLive() && (this.s.follow || this.s.window === null);
  }

  /**
   * A stall was selected (or opened): stop following, so it does not scroll away while the
   * user reads it. F (or the Follow button) follows again.
   */
  hold(): void {
    if (!this.following()) return;
    this.s.follow = false;
    this.s.window = this.lastWindow;
  }

  /** Brings [startMs, endMs] into view if it is not; panning away from now ends follow mode. */
  reveal(startMs: number, endMs: number, extent: TimeWindow, widthPx: number): void {
    const current = this.peek(extent);
    const next = revealRange(current, startMs, endMs, extent);
    if (next === current) return;
    if (this.following() && touchesEnd(next, extent, widthPx)) {
      this.s.followSpanMs = span(next);
      return;
    }
    this.s.follow = false;
    this.s.window = next;
  }

  /** The session ended: the window freezes where following left it. */
  ended(): void {
    if (this.s.follow) this.s.window = this.lastWindow;
  }

  /** A new source (another session, an opened recording): the old view does not apply. */
  reset(): void {
    this.s.window = null;
    this.s.follow = true;
    this.s.followSpanMs = DEFAULT_FOLLOW_SPAN_MS;
  }

  /** The window to save: none while following (it is derived every frame). */
  saved(): WindowState {
    return { window: this.following() ? null : (this.s.window ?? null), follow: this.s.follow, followSpanMs: this.s.followSpanMs };
  }
}
