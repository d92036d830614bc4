/**
 * `Stallscope: Show Recent Recording…`: the finished recordings of this window that a newer
 * session pushed off screen (kept by the hub, not thrown away) and the files saved or opened
 * lately. When a new session takes the screen from a recording with stalls, the status bar says
 * where it went, for a few seconds, without a dialog.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Recording } from '../core/recording';
import { formatClock, plural } from '../shared/phrases';
import type { RecordingHub } from './recordingHub';

const SHELVED_MESSAGE_MS = 8000;

type Pick = vscode.QuickPickItem & ({ recording: Recording } | { file: string });

export class RecentRecordings implements vscode.Disposable {
  private readonly onShelved = (rec: Recording, by: Recording | undefined) => {
    if (!by) return;
    vscode.window.setStatusBarMessage(
      `$(history) Stallscope: "${by.title}" is on screen; "${rec.title}" (${plural(rec.stalls.length, 'stall')}) is under Show Recent Recording`,
      SHELVED_MESSAGE_MS,
    );
  };

  constructor(
    private readonly hub: RecordingHub,
    private readonly files: { readonly recentFiles: string[]; open(source: vscode.Uri): Promise<boolean> },
    private readonly showTimeline: () => void,
  ) {
    hub.on('shelved', this.onShelved);
  }

  dispose(): void {
    this.hub.off('shelved', this.onShelved);
  }

  async pick(): Promise<boolean> {
    const kept: Pick[] = this.hub.recent.map((recording) => ({
      label: recording.title || 'Untitled recording',
      description: `${plural(recording.stalls.length, 'stall')} · ${recording.endedAt ? `ended ${formatClock(recording.endedAt.getTime()).slice(0, 8)}` : 'opened'}`,
      recording,
    }));
    const files: Pick[] = this.files.recentFiles
      .filter((f) => fs.existsSync(f))
      .map((file) => ({ label: path.basename(file), description: path.dirname(file), file }));
    const items: Array<Pick | vscode.QuickPickItem> = [
      ...(kept.length ? [{ label: 'This window', kind: vscode.QuickPickItemKind.Separator }, ...kept] : []),
      ...(files.length ? [{ label: 'Saved and opened', kind: vscode.QuickPickItemKind.Separator }, ...files] : []),
    ];
    if (!items.length) {
      void vscode.window.showInformationMessage('Stallscope: no earlier recording yet. Finished sessions and saved recordings show up here.');
      return false;
    }
    const picked = (await vscode.window.showQuickPick(items, { title: 'Show Recent Recording', placeHolder: 'A recording to show in the timeline' })) as Pick | undefined;
    if (!picked) return false;
    if ('file' in picked) return this.files.open(vscode.Uri.file(picked.file));
    this.hub.open(picked.recording);
    this.showTimeline();
    return true;
  }
}
