/**
 * The status bar item: live p99 lag and stall count while a probe session runs (instead, standing
 * out, a loop blocked for a second or more), "ended" for a finished recording on screen, "not
 * watching" during a Node or Python debug session without the probe (a click offers to debug with
 * it); clicking otherwise opens the timeline.
 */
import * as vscode from 'vscode';
import { coalesce } from './coalesce';
import { Commands, STATUS_BAR_ID, nodeDebugTypes, pythonDebugTypes } from './contributions';
import { SESSION_MARKER } from './debugConfig';
import type { RecordingHub } from './recordingHub';
import { hungStall, statusSummary } from './statusSummary';

const REDRAW_MS = 250;
/** While live, redraw at least this often so a p99 of a process that went quiet ages out. */
const TICK_MS = 1000;

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(STATUS_BAR_ID, vscode.StatusBarAlignment.Left, 50);
  private readonly redrawSoon = coalesce(() => this.redraw(), REDRAW_MS);
  private readonly disposables: vscode.Disposable[] = [];
  private ticker: NodeJS.Timeout | undefined;
  private shown = false;
  /** Node and Python launches running without the probe, by session id (the latest last). */
  private readonly unwatched = new Map<string, string>();
  private readonly unfollow: () => void;

  constructor(private readonly hub: RecordingHub) {
    this.item.name = 'Stallscope';
    const later = () => this.redrawSoon.schedule();
    this.unfollow = hub.follow({ current: () => this.redraw(), delta: later, removed: later, ended: later });
    const started = (s: vscode.DebugSession) => {
      if (!s.parentSession && runsWithoutProbe(s)) this.unwatched.set(s.id, s.name);
      later();
    };
    if (vscode.debug.activeDebugSession) started(rootOf(vscode.debug.activeDebugSession));
    this.disposables.push(
      vscode.debug.onDidStartDebugSession(started),
      vscode.debug.onDidTerminateDebugSession((s) => {
        this.unwatched.delete(s.id);
        later();
      }),
    );
  }

  /** What the item shows now, undefined while hidden (for the test API). */
  get text(): string | undefined {
    return this.shown ? this.item.text : undefined;
  }

  dispose(): void {
    this.unfollow();
    this.redrawSoon.dispose();
    for (const d of this.disposables) d.dispose();
    if (this.ticker) clearInterval(this.ticker);
    this.item.dispose();
  }

  private redraw(): void {
    const rec = this.hub.current;
    const now = Date.now();
    const stalls = rec?.stalls;
    const summary = statusSummary(
      {
        ...(rec && stalls ? { recording: { live: rec.live, stallCount: stalls.length, lag: rec.lagSamples, hung: rec.live ? hungStall(stalls, now) : undefined } } : {}),
        ...(this.unwatched.size ? { unwatchedSession: [...this.unwatched.values()].pop() } : {}),
      },
      now,
    );
    this.shown = summary !== undefined;
    this.setTicking(rec?.live === true);
    if (!summary) {
      this.item.hide();
      return;
    }
    this.item.text = summary.text;
    this.item.backgroundColor = summary.alarm ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.tooltip = summary.tooltip;
    this.item.command = summary.action === 'debugWithProbe' ? Commands.DebugWithProbe : Commands.ShowTimeline;
    this.item.accessibilityInformation = { label: summary.ariaLabel, role: 'button' };
    this.item.show();
  }

  private setTicking(on: boolean): void {
    if (on && !this.ticker) this.ticker = setInterval(() => this.redraw(), TICK_MS);
    if (!on && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }
}

function rootOf(s: vscode.DebugSession): vscode.DebugSession {
  while (s.parentSession) s = s.parentSession;
  return s;
}

/** A Node or Python launch the probe is not in (followed by its start and end, not by which session is active). */
function runsWithoutProbe(s: vscode.DebugSession): boolean {
  return [...nodeDebugTypes, ...pythonDebugTypes].includes(s.type) && typeof s.configuration[SESSION_MARKER] !== 'string';
}
