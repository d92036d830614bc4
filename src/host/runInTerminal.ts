/**
 * `Run Command with Stall Probe…`: any command (`npm run dev`, `nodemon`, `npx tsx watch`,
 * `python -m uvicorn app:app`) in a new integrated terminal whose environment loads the probe
 * (composed by core/probeEnv, as the CLI and the debug launches do), reporting to the extension's
 * probe server under a session of its own: its stalls feed the same timeline as a debug session's.
 * The terminal is the session: what runs in it later reports there too, and closing it ends the
 * recording. The commands run this way are remembered per workspace.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { withProbe } from '../core/probeEnv';
import { rememberCommand, suggestCommands, type ProjectFiles } from './commandSuggestions';
import type { ProbeInjector } from './probeInjector';
import type { RecordingHub } from './recordingHub';

const RECENT_KEY = 'stallscope.recentTerminalCommands';
const MAX_PYTHON_FILES = 20;
const MAX_READ_BYTES = 256 * 1024;

type CommandItem = vscode.QuickPickItem & { command: string };

export class TerminalRuns implements vscode.Disposable {
  private readonly sessions = new Map<vscode.Terminal, string>();
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly injector: Pick<ProbeInjector, 'openSession' | 'revoke'>,
    private readonly hub: RecordingHub,
    private readonly probePath: string,
    /** Workspace state: the recent commands. */
    private readonly memento: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables = [vscode.window.onDidCloseTerminal((t) => this.closed(t))];
  }

  /** Resolves to the probe session's id once the command was sent to its terminal; undefined when cancelled or impossible (the user was told why). */
  async run(command?: string): Promise<string | undefined> {
    const cmd = (command ?? (await this.pick()))?.trim();
    if (!cmd) return undefined;
    if (!existsSync(this.probePath)) {
      void vscode.window.showErrorMessage(`Stallscope: the probe is missing (${this.probePath}). Reinstall the extension, or run \`npm run build\` in a development checkout.`);
      return undefined;
    }
    let session: Awaited<ReturnType<ProbeInjector['openSession']>>;
    try {
      session = await this.injector.openSession(cmd, [cmd]);
    } catch (e) {
      void vscode.window.showErrorMessage(`Stallscope: could not start the probe server on 127.0.0.1: ${(e as Error).message}`);
      return undefined;
    }
    // The terminal's env is laid over what it inherits: the user's NODE_OPTIONS and PYTHONPATH are
    // carried over (the editor's environment is the one a new terminal starts from), the probe added.
    const inherited = { NODE_OPTIONS: process.env.NODE_OPTIONS, PYTHONPATH: process.env.PYTHONPATH };
    const env = withProbe(inherited, this.probePath, session.options);
    const terminal = vscode.window.createTerminal({
      name: `Stall Probe: ${cmd}`,
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri,
      env,
      iconPath: new vscode.ThemeIcon('pulse'),
    });
    this.sessions.set(terminal, session.sessionId);
    this.hub.showSession(session.sessionId);
    terminal.show();
    terminal.sendText(cmd, true);
    this.log.info(`"${cmd}": running in a terminal with the probe (session ${session.sessionId})`);
    await this.memento.update(RECENT_KEY, rememberCommand(this.recent(), cmd));
    return session.sessionId;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    for (const id of this.sessions.values()) this.injector.revoke(id);
    this.sessions.clear();
  }

  private closed(t: vscode.Terminal): void {
    const id = this.sessions.get(t);
    if (id === undefined) return;
    this.sessions.delete(t);
    this.hub.endSession(id);
    this.injector.revoke(id);
  }

  private recent(): string[] {
    const v = this.memento.get<unknown>(RECENT_KEY);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  /** A quick pick of the recent and proposed commands; what is typed is offered first, as it is. */
  private async pick(): Promise<string | undefined> {
    const suggested: CommandItem[] = suggestCommands(this.recent(), await readProject()).map((s) => ({ label: s.command, detail: s.detail, command: s.command }));
    const qp = vscode.window.createQuickPick<CommandItem>();
    qp.title = 'Run Command with Stall Probe';
    qp.placeholder = 'A command to run in a new terminal with the stall probe, e.g. npm run dev';
    qp.matchOnDetail = true;
    qp.items = suggested;
    const typed = (value: string): CommandItem[] => {
      const v = value.trim();
      if (!v || suggested.some((s) => s.command === v)) return suggested;
      return [{ label: v, description: 'run this command', command: v, alwaysShow: true }, ...suggested];
    };
    return new Promise<string | undefined>((resolve) => {
      qp.onDidChangeValue((v) => (qp.items = typed(v)));
      qp.onDidAccept(() => {
        resolve(qp.selectedItems[0]?.command ?? (qp.value.trim() || undefined));
        qp.hide();
      });
      qp.onDidHide(() => {
        resolve(undefined);
        qp.dispose();
      });
      qp.show();
    });
  }
}

/** What the first workspace folder says about how it is started (package.json, lockfiles, top-level Python apps). */
async function readProject(): Promise<ProjectFiles> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!root) return { rootFiles: [] };
  const read = async (name: string): Promise<string | undefined> => {
    try {
      const uri = vscode.Uri.joinPath(root, name);
      if ((await vscode.workspace.fs.stat(uri)).size > MAX_READ_BYTES) return undefined;
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch {
      return undefined;
    }
  };
  let rootFiles: string[];
  try {
    rootFiles = (await vscode.workspace.fs.readDirectory(root)).filter(([, type]) => type === vscode.FileType.File).map(([name]) => name);
  } catch {
    return { rootFiles: [] };
  }
  const python: Record<string, string> = {};
  for (const name of rootFiles.filter((f) => f.endsWith('.py')).slice(0, MAX_PYTHON_FILES)) {
    const text = await read(name);
    if (text !== undefined) python[name] = text;
  }
  return { packageJson: rootFiles.includes('package.json') ? await read('package.json') : undefined, rootFiles, python };
}
