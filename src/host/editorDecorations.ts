/**
 * Marks the lines that blocked the loop in every visible editor: an inline note at the end of
 * the line and a hover with the worst stalls and their stacks. Redrawn (throttled) when the
 * recording on screen changes, when editors are shown, and when the setting flips.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { coalesce } from './coalesce';
import { Config, readConfig } from './contributions';
import { lineAnnotations, type HoverFrame, type LineAnnotation } from './culpritAnnotations';
import type { RecordingHub } from './recordingHub';

const REDRAW_MS = 150;

export interface AppliedDecoration {
  /** 1-based. */
  line: number;
  text: string;
}

export class EditorDecorations implements vscode.Disposable {
  private readonly type = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('stallscope.blockedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('stallscope.blockedLineForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
    after: { margin: '0 0 0 3em', color: new vscode.ThemeColor('stallscope.blockedLineForeground'), fontStyle: 'italic' },
  });
  private readonly disposables: vscode.Disposable[] = [this.type];
  private readonly applied = new Map<string, AppliedDecoration[]>();
  private readonly redrawSoon = coalesce(() => this.redraw(), REDRAW_MS);

  constructor(private readonly hub: RecordingHub) {
    const redraw = () => this.redrawSoon.schedule();
    this.disposables.push(
      this.redrawSoon,
      { dispose: hub.follow({ current: redraw, delta: redraw, removed: redraw }) },
      vscode.window.onDidChangeVisibleTextEditors(redraw),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(Config.DecorationsEnabled) && redraw()),
    );
  }

  /** What was last drawn in the editor of `file` (for the test API). */
  decorationsFor(file: string): AppliedDecoration[] {
    return this.applied.get(fileKey(file)) ?? [];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private redraw(): void {
    const enabled = readConfig(vscode.workspace.getConfiguration(), Config.DecorationsEnabled, true);
    const byFile = new Map<string, LineAnnotation[]>();
    const recording = this.hub.current;
    if (enabled && recording) {
      for (const a of lineAnnotations(recording.stalls)) {
        const key = fileKey(a.file);
        byFile.set(key, [...(byFile.get(key) ?? []), a]);
      }
    }
    this.applied.clear();
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.scheme !== 'file') continue;
      const key = fileKey(editor.document.uri.fsPath);
      const annotations = (byFile.get(key) ?? []).filter((a) => a.line <= editor.document.lineCount);
      editor.setDecorations(this.type, annotations.map((a) => toOption(a, editor.document)));
      if (annotations.length) this.applied.set(key, annotations.map(({ line, text }) => ({ line, text })));
    }
  }
}

function toOption(a: LineAnnotation, doc: vscode.TextDocument): vscode.DecorationOptions {
  // Not trusted: no command links; file links open the frame's line.
  const hover = new vscode.MarkdownString();
  for (const part of a.hover) {
    if (part.kind === 'frames') hover.appendMarkdown(`${part.frames.map(frameMarkdown).join('  \n')}\n\n`);
    else hover.appendText(`${part.text}\n\n`);
  }
  const line = doc.lineAt(a.line - 1);
  return { range: line.range, hoverMessage: hover, renderOptions: { after: { contentText: a.text } } };
}

/** A stack line, its text escaped (it holds the user's function names), linked to its source when it has one. */
function frameMarkdown(f: HoverFrame): string {
  const text = new vscode.MarkdownString().appendText(f.text).value;
  if (!f.file || f.line === undefined || !path.isAbsolute(f.file)) return text;
  const uri = vscode.Uri.file(f.file).with({ fragment: `L${f.line},${f.column ?? 1}` });
  return `[${text}](${uri.toString()})`;
}

/** Paths compare case-insensitively where the file system does. */
export function fileKey(file: string): string {
  const p = path.normalize(file);
  return process.platform === 'win32' || process.platform === 'darwin' ? p.toLowerCase() : p;
}
