/**
 * Opens the source of a stall's frame: the webview sends ids, this resolves them against the
 * recording on screen, opens the file beside the timeline, selects the line and puts it in the
 * middle of the editor. A stall without a line in the user's code has no source to open: the
 * timeline shows what is known of it instead (its call, handler and stack), not a warning.
 */
import * as vscode from 'vscode';
import { frameLocation } from './frameLocation';
import type { RecordingHub } from './recordingHub';

export class SourceNavigator {
  constructor(
    private readonly hub: RecordingHub,
    /** The column the timeline occupies, if it is open: the source goes elsewhere. */
    private readonly timelineColumn: () => vscode.ViewColumn | undefined,
    /** Selects the stall in the timeline (opening it when `open`). */
    private readonly focusInTimeline: (stallId: string, open: boolean) => void,
  ) {}

  /**
   * From the Run and Debug view or the editor: the stall's blocking line in the editor and the
   * stall selected in the timeline if it is open; without a line, the stall in the timeline.
   */
  async revealStall(stallId: string): Promise<boolean> {
    const stall = this.hub.current?.getStall(stallId);
    if (stall && !stall.culprit) {
      this.focusInTimeline(stallId, true);
      return true;
    }
    const shown = await this.revealFrame(stallId);
    if (shown) this.focusInTimeline(stallId, false);
    return shown;
  }

  /** Resolves true when the editor shows the frame's line (or the timeline what is known); otherwise the user was told why. */
  async revealFrame(stallId: string, frameIndex?: number): Promise<boolean> {
    const stall = this.hub.current?.getStall(stallId);
    if (stall && frameIndex === undefined && !stall.culprit) {
      // "No user code on the stack": nothing to open, but the timeline knows the call, the handler and the stack.
      this.focusInTimeline(stallId, true);
      return true;
    }
    const loc = frameLocation(stall, frameIndex);
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
