/**
 * CodeLenses above the lines that blocked the loop and above their callers (lensTargets.ts): the
 * inline note at the end of a line vanishes in a half-width editor, a CodeLens does not. A click
 * shows the worst of the line's stalls selected in the timeline. Refreshed (throttled) as the
 * recording on screen changes; off with `stallscope.codeLens.enabled` (or `editor.codeLens`).
 */
import * as vscode from 'vscode';
import { coalesce } from './coalesce';
import { Commands, Config, readConfig } from './contributions';
import { fileKey } from './editorDecorations';
import { lensTargets, type LensTarget } from './lensTargets';
import type { RecordingHub } from './recordingHub';

const REFRESH_MS = 300;

export class BlockingLineLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  /** Targets by file, rebuilt lazily after a change. */
  private byFile: Map<string, LensTarget[]> | undefined;
  private readonly refreshSoon = coalesce(() => {
    this.byFile = undefined;
    this.changed.fire();
  }, REFRESH_MS);
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly hub: RecordingHub) {
    const refresh = () => this.refreshSoon.schedule();
    this.disposables = [
      this.changed,
      this.refreshSoon,
      { dispose: hub.follow({ current: refresh, delta: refresh, removed: refresh }) },
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(Config.CodeLensEnabled) && refresh()),
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this),
    ];
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!readConfig(vscode.workspace.getConfiguration(), Config.CodeLensEnabled, true)) return [];
    const targets = this.targets().get(fileKey(doc.uri.fsPath)) ?? [];
    return targets
      .filter((t) => t.line <= doc.lineCount)
      .map((t) => {
        const line = doc.lineAt(t.line - 1);
        return new vscode.CodeLens(line.range, {
          title: t.title,
          tooltip: 'Show the longest of these stalls in the Stallscope timeline',
          command: Commands.ShowStallInTimeline,
          arguments: [t.stallId],
        });
      });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private targets(): Map<string, LensTarget[]> {
    if (this.byFile) return this.byFile;
    const byFile = new Map<string, LensTarget[]>();
    for (const t of lensTargets(this.hub.current?.stalls ?? [])) {
      const key = fileKey(t.file);
      byFile.set(key, [...(byFile.get(key) ?? []), t]);
    }
    this.byFile = byFile;
    return byFile;
  }
}
