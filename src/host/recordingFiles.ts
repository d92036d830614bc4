/**
 * `Save Recording` / `Open Recording`: the CLI's report JSON (written by the CLI's own serializer),
 * so a report from a CI run opens in the same timeline. A bad file is reported in one sentence and changes nothing on screen.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Recording } from '../core/recording';
import type { RecordingHub } from './recordingHub';
import { serializeReport } from '../cli/reportFile';
import { readReportText } from './recordingReader';

const FILTERS = { 'Stallscope recording': ['json'] };
/** Larger than any honest report (an hour of 10 Hz lag on 16 threads is ~100 MB); refuse before reading. */
const MAX_REPORT_BYTES = 512 * 1024 * 1024;

export class RecordingFiles {
  constructor(
    private readonly hub: RecordingHub,
    private readonly showTimeline: () => void,
  ) {}

  async save(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const rec = this.hub.current;
    if (!rec) {
      void vscode.window.showInformationMessage('Stallscope: there is no recording to save yet. Start one with "Stallscope: Debug with Stall Probe".');
      return undefined;
    }
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.joinPath(vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.cwd()), defaultName(rec.startedAt)),
        filters: FILTERS,
        saveLabel: 'Save Recording',
      }));
    if (!uri) return undefined;
    rec.flush();
    try {
      await vscode.workspace.fs.writeFile(uri, Buffer.from(serializeReport(rec.toReport()), 'utf8'));
    } catch (e) {
      void vscode.window.showErrorMessage(`Stallscope: could not save the recording to ${uri.fsPath}: ${(e as Error).message}`);
      return undefined;
    }
    return uri;
  }

  async open(source?: vscode.Uri): Promise<boolean> {
    const uri =
      source ?? (await vscode.window.showOpenDialog({ canSelectMany: false, filters: FILTERS, openLabel: 'Open Recording' }))?.[0];
    if (!uri) return false;
    const name = path.basename(uri.fsPath);
    let text: string;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > MAX_REPORT_BYTES) throw new Error(`${Math.round(stat.size / 1024 / 1024)} MB is larger than any Stallscope report`);
      text = new TextDecoder('utf-8', { fatal: true }).decode(await vscode.workspace.fs.readFile(uri));
    } catch (e) {
      void vscode.window.showErrorMessage(`Stallscope: could not read ${name}: ${(e as Error).message}`);
      return false;
    }
    const read = readReportText(text, name);
    if (!read.ok) {
      void vscode.window.showErrorMessage(`Stallscope: ${read.error}`);
      return false;
    }
    this.hub.open(Recording.fromReport(read.report, name));
    this.showTimeline();
    return true;
  }
}

function defaultName(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  return `stallscope-${stamp}.json`;
}
