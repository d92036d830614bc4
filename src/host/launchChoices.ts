/**
 * What `Debug with Stall Probe` offers: the Node and Python (debugpy) launch configurations of the
 * workspace, and the active JavaScript/TypeScript or Python file. Pure and `vscode`-free.
 */
import { nodeDebugTypes, pythonDebugTypes, LAUNCH_ATTRIBUTE } from './contributions';
import type { LaunchConfig } from './debugConfig';

export interface LaunchChoice {
  label: string;
  description: string;
  /** The workspace folder's index, undefined for a file outside any folder. */
  folderIndex: number | undefined;
  config: LaunchConfig;
}

export interface FolderLaunch {
  folderIndex: number;
  folderName: string;
  /** `launch.configurations` as read from settings: unvalidated. */
  configurations: unknown;
}

const SCRIPT_LANGUAGES = new Set(['javascript', 'typescript', 'javascriptreact', 'typescriptreact']);

function isLaunchOf(types: readonly string[], v: unknown): v is LaunchConfig {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return typeof c.name === 'string' && typeof c.type === 'string' && types.includes(c.type) && c.request === 'launch';
}

export function isNodeLaunch(v: unknown): v is LaunchConfig {
  return isLaunchOf(nodeDebugTypes, v);
}

/** A launch the probe can go into: Node's, or Python's (debugpy / the older `python`). */
export function isProbeLaunch(v: unknown): v is LaunchConfig {
  return isLaunchOf([...nodeDebugTypes, ...pythonDebugTypes], v);
}

export function launchChoices(folders: readonly FolderLaunch[], activeFile?: { path: string; languageId: string; folderIndex?: number }): LaunchChoice[] {
  const out: LaunchChoice[] = [];
  for (const f of folders) {
    if (!Array.isArray(f.configurations)) continue;
    for (const c of f.configurations) {
      if (!isProbeLaunch(c)) continue;
      out.push({ label: c.name, description: folders.length > 1 ? `${c.type} · ${f.folderName}` : c.type, folderIndex: f.folderIndex, config: withProbeOn(c) });
    }
  }
  if (activeFile && SCRIPT_LANGUAGES.has(activeFile.languageId)) {
    const base = activeFile.path.split(/[\\/]/).pop() ?? activeFile.path;
    out.push({
      label: `Current file: ${base}`,
      description: 'node',
      folderIndex: activeFile.folderIndex,
      config: { type: 'node', request: 'launch', name: `Stallscope: ${base}`, program: activeFile.path, [LAUNCH_ATTRIBUTE]: true },
    });
  } else if (activeFile?.languageId === 'python') {
    const base = activeFile.path.split(/[\\/]/).pop() ?? activeFile.path;
    out.push({
      label: `Current file: ${base}`,
      description: 'debugpy',
      folderIndex: activeFile.folderIndex,
      config: { type: 'debugpy', request: 'launch', name: `Stallscope: ${base}`, program: activeFile.path, [LAUNCH_ATTRIBUTE]: true },
    });
  }
  return out;
}

/** The configuration as given, with the probe switched on (a copy). */
export function withProbeOn(config: LaunchConfig): LaunchConfig {
  return { ...config, [LAUNCH_ATTRIBUTE]: true };
}
