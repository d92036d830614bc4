/**
 * `Export Recording as HTML…` (the command and the timeline's Export button): the recording on
 * screen as the standalone report `stallscope run --html` writes (src/report/htmlReport.ts), one
 * file to attach to a bug or open in any browser. Offers the folder exported to last (else the
 * home folder: a report is not part of the workspace's sources), says where the file went, and
 * offers to open it in the browser or reveal it.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { htmlReport, readReportAssets } from '../report/htmlReport';
import type { RecordingHub } from './recordingHub';

const LAST_FOLDER_KEY = 'stallscope.lastHtmlExportFolder';
const OPEN = 'Open in Browser';
const REVEAL = 'Reveal';

export class HtmlExport {
  /** What the user was last told after an export (for tests). */
  lastMessage: string | undefined;

  constructor(
    private readonly hub: RecordingHub,
    /** The extension's dist/: the report inlines its webview bundle and stylesheet. */
    private readonly distDir: string,
    /** Remembers the last folder, across windows. */
    private readonly memento: vscode.Memento,
  ) {}

  async export(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const rec = this.hub.current;
    if (!rec) {
      void vscode.window.showInformationMessage('Stallscope: there is no recording to export yet. Start one with "Stallscope: Debug with Stall Probe".');
      return undefined;
    }
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(path.join(this.defaultFolder(), defaultName(rec.startedAt))),
        filters: { 'HTML report': ['html'] },
        saveLabel: 'Export',
        title: 'Export Recording as HTML',
      }));
    if (!uri) return undefined;
    rec.flush();
    try {
      const html = htmlReport(rec.toReport(), readReportAssets(this.distDir), { title: rec.title });
      await vscode.workspace.fs.writeFile(uri, Buffer.from(html, 'utf8'));
    } catch (e) {
      void vscode.window.showErrorMessage(`Stallscope: could not export the recording to ${uri.fsPath}: ${(e as Error).message}`);
      return undefined;
    }
    // Not awaited: the user hears of the file at once, not after the workbench stored the folder
    // (the next dialog reads it back from the memento's copy at once all the same).
    if (uri.scheme === 'file') void Promise.resolve(this.memento.update(LAST_FOLDER_KEY, path.dirname(uri.fsPath))).catch(() => undefined);
    this.lastMessage = `Stallscope: exported the recording to ${uri.fsPath}`;
    void vscode.window.showInformationMessage(this.lastMessage, OPEN, REVEAL).then((picked) => {
      if (picked === OPEN) void vscode.env.openExternal(uri);
      else if (picked === REVEAL) void vscode.commands.executeCommand('revealFileInOS', uri);
    });
    return uri;
  }

  private defaultFolder(): string {
    const last = this.memento.get<unknown>(LAST_FOLDER_KEY);
    return typeof last === 'string' && last ? last : os.homedir();
  }
}

function defaultName(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  return `stallscope-${stamp}.html`;
}
