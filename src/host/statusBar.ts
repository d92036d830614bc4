/**
 * The status bar item: live p99 lag and stall count while a probe session runs (or a recording is
 * on screen); clicking it opens the timeline.
 */
import * as vscode from 'vscode';
import { coalesce } from './coalesce';
import { Commands, STATUS_BAR_ID } from './contributions';
import type { RecordingHub } from './recordingHub';
import { statusSummary } from './statusSummary';

const REDRAW_MS = 250;
/** While live, redraw at least this often so a p99 of a process that went quiet ages out. */
const TICK_MS = 1000;

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(STATUS_BAR_ID, vscode.StatusBarAlignment.Left, 50);
  private readonly redrawSoon = coalesce(() => this.redraw(), REDRAW_MS);
  private ticker: NodeJS.Timeout | undefined;
  private readonly unfollow: () => void;

  constructor(private readonly hub: RecordingHub) {
    this.item.name = 'Stallscope';
    this.item.command = Commands.ShowTimeline;
    const later = () => this.redrawSoon.schedule();
    this.unfollow = hub.follow({ current: () => this.redraw(), delta: later, removed: later, ended: later });
  }

  /** What the item shows now (for the test API). */
  get text(): string | undefined {
    return this.hub.current ? this.item.text : undefined;
  }

  dispose(): void {
    this.unfollow();
    this.redrawSoon.dispose();
    if (this.ticker) clearInterval(this.ticker);
    this.item.dispose();
  }

  private redraw(): void {
    const rec = this.hub.current;
    if (!rec) {
      this.item.hide();
      this.setTicking(false);
      return;
    }
    const { text, ariaLabel, tooltip } = statusSummary({ live: rec.live, stallCount: rec.stalls.length, lag: rec.lagSamples }, Date.now());
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: ariaLabel, role: 'button' };
    this.item.show();
    this.setTicking(rec.live);
  }

  private setTicking(on: boolean): void {
    if (on && !this.ticker) this.ticker = setInterval(() => this.redraw(), TICK_MS);
    if (!on && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }
}
