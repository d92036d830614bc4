/**
 * `Stallscope: Debug with Stall Probe`: starts one of the workspace's Node or Python (debugpy) launch
 * configurations (a quick pick when there are several) or the active JavaScript/TypeScript or Python
 * file, with the probe.
 */
import * as vscode from 'vscode';
import type { LaunchRef } from './contributions';
import type { LaunchConfig } from './debugConfig';
import { isProbeLaunch, launchChoices, withProbeOn, type LaunchChoice } from './launchChoices';

export async function debugWithProbe(launch?: LaunchRef): Promise<boolean> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const choices = launchChoices(
    folders.map((f) => ({ folderIndex: f.index, folderName: f.name, configurations: vscode.workspace.getConfiguration('launch', f.uri).get('configurations') })),
    activeFile(),
  );
  let choice: LaunchChoice | undefined;
  if (typeof launch === 'string') {
    choice = choices.find((c) => c.config.name === launch);
    if (!choice) {
      void vscode.window.showErrorMessage(`Stallscope: there is no Node or Python launch configuration named "${launch}".`);
      return false;
    }
  } else if (launch) {
    if (!isProbeLaunch(launch)) {
      void vscode.window.showErrorMessage(
        'Stallscope: the probe needs a Node or Python launch configuration (type node, pwa-node, node-terminal, debugpy or python; request launch).',
      );
      return false;
    }
    choice = { label: launch.name, description: launch.type, folderIndex: folders.length ? 0 : undefined, config: withProbeOn(launch as LaunchConfig) };
  } else if (choices.length === 0) {
    void vscode.window.showErrorMessage('Stallscope: open a JavaScript, TypeScript or Python file, or add a Node or Python launch configuration to .vscode/launch.json.');
    return false;
  } else if (choices.length === 1) {
    choice = choices[0];
  } else {
    choice = await vscode.window.showQuickPick(choices, { title: 'Debug with Stall Probe', placeHolder: 'Launch configuration to debug with the stall probe' });
    if (!choice) return false;
  }
  const folder = choice.folderIndex === undefined ? undefined : folders[choice.folderIndex];
  return vscode.debug.startDebugging(folder, choice.config as vscode.DebugConfiguration);
}

function activeFile(): { path: string; languageId: string; folderIndex?: number } | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc || doc.uri.scheme !== 'file') return undefined;
  return { path: doc.uri.fsPath, languageId: doc.languageId, folderIndex: vscode.workspace.getWorkspaceFolder(doc.uri)?.index };
}
