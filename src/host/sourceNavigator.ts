/**
 * Opens the source of a stall's frame: the webview sends ids, this resolves them against the
 * recording on screen, opens the file beside the timeline, selects the line and puts it in the
 * middle of the editor.
 */
import * as vscode from 'vscode';
import { frameLocation } from './frameLocation';
import type { RecordingHub } from './recordingHub';

export class SourceNavigator {
  constructor(
    private readonly hub: RecordingHub,
    /** The column the timeline occupies, if it is open: the source goes elsewhere. */
    private readonly timelineColumn: () => vscode.ViewColumn | undefined,
  ) {}

  /** Resolves true when the editor shows the frame's line; otherwise the user was told why. */
  async revealFrame(stallId: string, frameIndex?: number): Promise<boolean> {
    const loc = frameLocation(this.hub.current?.getStall(stallId), frameIndex);
    if (!loc.ok) {
      void vscode.window.showWarningMessage(`Stallscope: ${loc.error}`);
      return false;
    }
    let doc: vscode.TextDocument;
    try {
      doc = await vscode.workspace.openTextDocument(vscode.Uri.file(loc.file));
    } catch (e) {
      void vscode.window.showErrorMessage(`Stallscope: cannot open ${loc.file}: ${(e as Error).message}`);
      return false;
    }
    // The file may have changed since the recording: stay inside it.
    const line = doc.lineAt(Math.min(Math.max(loc.line, 1), doc.lineCount) - 1);
    const range = new vscode.Range(line.lineNumber, line.firstNonWhitespaceCharacterIndex, line.lineNumber, line.range.end.character);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: this.sourceColumn(), preserveFocus: false, selection: range });
    editor.selection = new vscode.Selection(range.start, range.end);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenter);
    return true;
  }

  private sourceColumn(): vscode.ViewColumn {
    const timeline = this.timelineColumn();
    if (timeline === undefined) return vscode.ViewColumn.Active;
    const other = vscode.window.visibleTextEditors.find((e) => e.viewColumn !== undefined && e.viewColumn !== timeline);
    if (other?.viewColumn !== undefined) return other.viewColumn;
    return timeline === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
  }
}
