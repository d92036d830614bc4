/**
 * A Node debug session started without the probe: Stallscope offers, once per launch per window
 * and never again after "Don't Ask Again" in this workspace, to restart it with the probe. The
 * restart goes through `Debug with Stall Probe` (by the launch's name when launch.json has it, so
 * the configuration is read afresh), after the running session has stopped.
 */
import * as vscode from 'vscode';
import { Commands, type LaunchRef } from './contributions';
import { offersProbe, relaunchConfig } from './probeOfferRule';

const DONT_ASK_KEY = 'stallscope.probeOffer.dontAsk';
const RESTART = 'Restart with Stall Probe';
const DONT_ASK = "Don't Ask Again";

export class ProbeOffer implements vscode.Disposable {
  private readonly offered = new Set<string>();
  private readonly disposables: vscode.Disposable[];
  /** What the user was last asked (for tests). */
  lastMessage: string | undefined;

  constructor(private readonly workspaceState: vscode.Memento) {
    this.disposables = [vscode.debug.onDidStartDebugSession((s) => void this.started(s))];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private async started(s: vscode.DebugSession): Promise<void> {
    if (!offersProbe(s.configuration, s.parentSession !== undefined)) return;
    if (this.workspaceState.get<boolean>(DONT_ASK_KEY) || this.offered.has(s.name)) return;
    this.offered.add(s.name);
    // Listening from now on: the user may stop the session while the question is on screen.
    let stopped = false;
    let onEnded = () => undefined as void;
    const listener = vscode.debug.onDidTerminateDebugSession((t) => {
      if (t.id !== s.id) return;
      stopped = true;
      listener.dispose();
      onEnded();
    });
    this.lastMessage = `Stallscope: "${s.name}" runs without the stall probe. Restart it with the probe to see what blocks its event loop.`;
    const picked = await vscode.window.showInformationMessage(this.lastMessage, RESTART, DONT_ASK);
    if (picked === DONT_ASK) await this.workspaceState.update(DONT_ASK_KEY, true);
    if (picked !== RESTART) {
      listener.dispose();
      return;
    }
    if (!stopped) {
      const ended = new Promise<void>((resolve) => (onEnded = resolve));
      await vscode.debug.stopDebugging(s);
      await ended;
    }
    await vscode.commands.executeCommand(Commands.DebugWithProbe, launchRef(s));
  }
}

/** The launch by name when the workspace's launch.json has it, else the session's own configuration. */
function launchRef(s: vscode.DebugSession): LaunchRef {
  const configs = vscode.workspace.getConfiguration('launch', s.workspaceFolder?.uri).get<unknown>('configurations');
  const named = Array.isArray(configs) && configs.some((c: unknown) => typeof c === 'object' && c !== null && (c as { name?: unknown }).name === s.name);
  return named ? s.name : (relaunchConfig(s.configuration) as Exclude<LaunchRef, string>);
}
