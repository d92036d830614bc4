/**
 * The first stall of a probe session is news: the user is told once (a notification with **Show
 * Timeline**), or the timeline opens by itself with the stall selected, or nothing (the
 * `stallscope.revealOnFirstStall` setting; the rule is in firstStall.ts). Not while the timeline is
 * already in view.
 */
import * as vscode from 'vscode';
import type { Recording } from '../core/recording';
import type { Stall } from '../shared/protocol/model';
import { Config, readConfig } from './contributions';
import { firstStallAction, firstStallMessage, firstStallToAnnounce } from './firstStall';
import type { RecordingHub } from './recordingHub';

export class FirstStallNotice implements vscode.Disposable {
  private readonly announced = new WeakSet<Recording>();
  private readonly unfollow: () => void;
  private current: Recording | undefined;
  /** What the user was last told (for the test API). */
  lastMessage: string | undefined;

  constructor(
    hub: RecordingHub,
    private readonly timeline: { readonly visible: boolean; show(): void; focusStall(stallId: string, open: boolean): void },
  ) {
    this.unfollow = hub.follow({
      current: (rec) => (this.current = rec),
      delta: (d) => {
        const rec = this.current;
        if (!rec) return;
        const first = firstStallToAnnounce(rec, this.announced.has(rec), d.stalls);
        if (first) this.announce(rec, first);
      },
    });
  }

  dispose(): void {
    this.unfollow();
  }

  private announce(rec: Recording, stall: Stall): void {
    this.announced.add(rec);
    const action = firstStallAction(readConfig(vscode.workspace.getConfiguration(), Config.RevealOnFirstStall, 'notify'));
    if (action === 'off' || this.timeline.visible) return;
    if (action === 'open') {
      this.timeline.focusStall(stall.id, true);
      return;
    }
    this.lastMessage = firstStallMessage(rec.title, stall);
    void vscode.window.showInformationMessage(this.lastMessage, 'Show Timeline').then((picked) => {
      if (picked) this.timeline.focusStall(stall.id, true);
    });
  }
}
