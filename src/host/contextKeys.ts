/** Keeps the `when`-clause context keys in step with the recording on screen. */
import * as vscode from 'vscode';
import { ContextKey, setContextKey } from './contributions';
import type { RecordingHub } from './recordingHub';

export class ContextKeys implements vscode.Disposable {
  private readonly unfollow: () => void;

  constructor(hub: RecordingHub) {
    const update = () => {
      void setContextKey(vscode.commands, ContextKey.HasRecording, hub.current !== undefined);
      void setContextKey(vscode.commands, ContextKey.ProbeSession, hub.current?.live === true);
    };
    this.unfollow = hub.follow({ current: update, ended: update });
  }

  dispose(): void {
    this.unfollow();
  }
}
