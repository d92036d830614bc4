/**
 * `Save Recording` / `Open Recording`: the CLI's report JSON (written by the CLI's own serializer),
 * so a report from a CI run opens in the same timeline, with the endpoint check it had. Saving
 * says where the file went (with **Reveal**) and offers the folder used last, not the workspace
 * root. A bad file is reported in one sentence and changes nothing on screen. The files saved and
 * opened lately are remembered for `Show Recent Recording`.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Recording } from '../core/recording';
import type { CheckView } from '../shared/protocol/webviewMessages';
import type { RecordingHub } from './recordingHub';
import { serializeReport } from '../cli/reportFile';
import { readReportText } from './recordingReader';

const FILTERS = { 'Stallscope recording': ['json'] };
/** Larger than any honest report (an hour of 10 Hz lag on 16 threads is ~100 MB); refuse before reading. */
const MAX_REPORT_BYTES = 512 * 1024 * 1024;
const LAST_FOLDER_KEY = 'stallscope.lastRecordingFolder';
const RECENT_FILES_KEY = 'stallscope.recentRecordingFiles';
const MAX_RECENT_FILES = 10;

export interface RecordingFilesDeps {
  hub: RecordingHub;
  /** Remembers the last folder and the recent files, across windows. */
  memento: vscode.Memento;
  showTimeline(): void;
  /** The endpoint check shown with a recording, and showing one with an opened recording. */
  checkOf(recording: Recording): CheckView | undefined;
  showCheck(recording: Recording, check: CheckView): void;
}

export class RecordingFiles {
  /** What the user was last told after a save (for the test API). */
  lastMessage: string | undefined;

  constructor(private readonly d: RecordingFilesDeps) {}

  /** Files saved or opened lately, newest first. */
  get recentFiles(): string[] {
    const v = this.d.memento.get<unknown>(RECENT_FILES_KEY);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  async save(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    const rec = this.d.hub.current;
    if (!rec) {
      void vscode.window.showInformationMessage('Stallscope: there is no recording to save yet. Start one with "Stallscope: Debug with Stall Probe".');
      return undefined;
    }
    const uri =
      target ??
      (await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(path.join(this.defaultFolder(), defaultName(rec.startedAt))),
        filters: FILTERS,
        saveLabel: 'Save Recording',
      }));
    if (!uri) return undefined;
    rec.flush();
    const check = this.d.checkOf(rec);
    try {
      await vscode.workspace.fs.writeFile(uri, Buffer.from(serializeReport({ ...rec.toReport(), ...(check ? { check } : {}) }), 'utf8'));
    } catch (e) {
      void vscode.window.showErrorMessage(`Stallscope: could not save the recording to ${uri.fsPath}: ${(e as Error).message}`);
      return undefined;
    }
    await this.remember(uri);
    this.lastMessage = `Stallscope: saved the recording to ${uri.fsPath}`;
    void vscode.window.showInformationMessage(this.lastMessage, 'Reveal').then((picked) => {
      if (picked) void vscode.commands.executeCommand('revealFileInOS', uri);
    });
    return uri;
  }

  async open(source?: vscode.Uri): Promise<boolean> {
    const uri =
      source ??
      (await vscode.window.showOpenDialog({ canSelectMany: false, filters: FILTERS, openLabel: 'Open Recording', defaultUri: vscode.Uri.file(this.defaultFolder()) }))?.[0];
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
    const rec = Recording.fromReport(read.report, name);
    this.d.hub.open(rec);
    if (read.report.check) this.d.showCheck(rec, read.report.check);
    this.d.showTimeline();
    await this.remember(uri);
    return true;
  }

  /** The folder saved to or opened from last, else the home folder: a recording is not part of the workspace's sources. */
  private defaultFolder(): string {
    const last = this.d.memento.get<unknown>(LAST_FOLDER_KEY);
    return typeof last === 'string' && last ? last : os.homedir();
  }

  private async remember(uri: vscode.Uri): Promise<void> {
    if (uri.scheme !== 'file') return;
    await this.d.memento.update(LAST_FOLDER_KEY, path.dirname(uri.fsPath));
    await this.d.memento.update(RECENT_FILES_KEY, [uri.fsPath, ...this.recentFiles.filter((f) => f !== uri.fsPath)].slice(0, MAX_RECENT_FILES));
  }
}

function defaultName(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
  return `stallscope-${stamp}.json`;
}
