/**
 * Every id Stallscope contributes (commands, settings, views, debug types), typed, in the style of
 * js-debug's contributionUtils: a command is registered and run through one signature table, and
 * a setting is read with the type of its value, so package.json and the code cannot drift apart
 * silently (test/unit/contributions.test.ts checks both directions against package.json).
 */
import type { Disposable, Uri, WorkspaceConfiguration, commands as vscodeCommands } from 'vscode';
import type { CheckView } from '../shared/protocol/webviewMessages';

export const enum Commands {
  DebugWithProbe = 'stallscope.debugWithProbe',
  ShowTimeline = 'stallscope.showTimeline',
  SaveRecording = 'stallscope.saveRecording',
  OpenRecording = 'stallscope.openRecording',
  Clear = 'stallscope.clear',
  CheckEndpoints = 'stallscope.checkEndpoints',
  ShowRecentRecording = 'stallscope.showRecentRecording',
  RevealStall = 'stallscope.revealStall',
  ExportHtml = 'stallscope.exportHtml',
  RunInTerminal = 'stallscope.runInTerminal',
  ShowStallInTimeline = 'stallscope.showStallInTimeline',
}

export const allCommands: readonly Commands[] = [
  Commands.DebugWithProbe,
  Commands.ShowTimeline,
  Commands.SaveRecording,
  Commands.OpenRecording,
  Commands.Clear,
  Commands.CheckEndpoints,
  Commands.ShowRecentRecording,
  Commands.RevealStall,
  Commands.ExportHtml,
  Commands.RunInTerminal,
  Commands.ShowStallInTimeline,
];

/** What a launch configuration may be given to `Debug with Stall Probe`: its name, or the configuration itself. */
export type LaunchRef = string | { type: string; request: string; name: string; [key: string]: unknown };

export interface CommandTypes {
  /** Resolves true when a debug session started. */
  [Commands.DebugWithProbe](launch?: LaunchRef): boolean;
  [Commands.ShowTimeline](): void;
  /** Resolves to the written file, undefined when cancelled or failed (the user was told why). */
  [Commands.SaveRecording](target?: Uri): Uri | undefined;
  /** Resolves true when the recording was opened; a bad file is reported to the user, not thrown. */
  [Commands.OpenRecording](source?: Uri): boolean;
  [Commands.Clear](): void;
  /**
   * Loads endpoints of the live session's server one after another and shows the verdicts in the
   * timeline. Without arguments it asks (input boxes); `canary` null means none. Resolves to the
   * final check (undefined when cancelled before it started).
   */
  [Commands.CheckEndpoints](endpoints?: string, canary?: string | null): CheckView | undefined;
  /** A quick pick of the finished recordings kept this window and the recordings saved or opened lately. Resolves true when one is on screen. */
  [Commands.ShowRecentRecording](): boolean;
  /** Opens a stall's blocking line (or, without one, shows the stall in the timeline). */
  [Commands.RevealStall](stallId: string): boolean;
  /** Writes the recording on screen as one standalone HTML file (asks where without `target`). Resolves to the file, undefined when cancelled or failed. */
  [Commands.ExportHtml](target?: Uri): Uri | undefined;
  /** Runs a shell command in a new terminal with the probe in its env (asks which without `command`). Resolves to the probe session id, undefined when cancelled. */
  [Commands.RunInTerminal](command?: string): string | undefined;
  /** Opens the timeline with the stall selected (the editor's CodeLens). */
  [Commands.ShowStallInTimeline](stallId: string): void;
}

export const enum Config {
  ThresholdMs = 'stallscope.thresholdMs',
  EnableForAllNodeSessions = 'stallscope.enableForAllNodeSessions',
  DecorationsEnabled = 'stallscope.decorations.enabled',
  CheckDurationSeconds = 'stallscope.check.durationSeconds',
  CheckConnections = 'stallscope.check.connections',
  RevealOnFirstStall = 'stallscope.revealOnFirstStall',
  CodeLensEnabled = 'stallscope.codeLens.enabled',
}

export const allConfig: readonly Config[] = [
  Config.ThresholdMs,
  Config.EnableForAllNodeSessions,
  Config.DecorationsEnabled,
  Config.CheckDurationSeconds,
  Config.CheckConnections,
  Config.RevealOnFirstStall,
  Config.CodeLensEnabled,
];

export interface ConfigTypes {
  [Config.ThresholdMs]: number;
  [Config.EnableForAllNodeSessions]: boolean;
  [Config.DecorationsEnabled]: boolean;
  [Config.CheckDurationSeconds]: number;
  [Config.CheckConnections]: number;
  [Config.RevealOnFirstStall]: string;
  [Config.CodeLensEnabled]: boolean;
}

/** Context keys for `when` clauses in package.json menus. */
export const enum ContextKey {
  /** A recording is on screen (there is something to save or clear). */
  HasRecording = 'stallscope.hasRecording',
  /** The recording on screen is a live probe session. */
  ProbeSession = 'stallscope.probeSession',
}

export interface ContextKeyTypes {
  [ContextKey.HasRecording]: boolean;
  [ContextKey.ProbeSession]: boolean;
}

export function setContextKey<K extends keyof ContextKeyTypes>(ns: typeof vscodeCommands, key: K, value: ContextKeyTypes[K]): Thenable<unknown> {
  return ns.executeCommand('setContext', key, value);
}

/** The timeline webview panel (also its serializer and `onWebviewPanel:` activation event). */
export const TIMELINE_VIEW_TYPE = 'stallscope.timeline';
export const STATUS_BAR_ID = 'stallscope.status';
/** The Stallscope view in Run and Debug. */
export const STALLS_VIEW_ID = 'stallscope.stalls';

/** The js-debug types the probe can be injected into (launch requests only). */
export const enum DebugType {
  Node = 'node',
  PwaNode = 'pwa-node',
  NodeTerminal = 'node-terminal',
  Debugpy = 'debugpy',
  /** The Python extension's older name for debugpy launches. */
  Python = 'python',
}
export const nodeDebugTypes: readonly string[] = [DebugType.Node, DebugType.PwaNode, DebugType.NodeTerminal];
/** The Python debugger's types: the probe goes in through the launch config's env (PYTHONPATH). */
export const pythonDebugTypes: readonly string[] = [DebugType.Debugpy, DebugType.Python];

/** The launch-configuration attribute that opts a session in (`"stallscope": true`) or out (`false`). */
export const LAUNCH_ATTRIBUTE = 'stallscope';

export function registerCommand<K extends keyof CommandTypes>(
  ns: typeof vscodeCommands,
  id: K,
  fn: (...args: Parameters<CommandTypes[K]>) => Thenable<ReturnType<CommandTypes[K]>> | ReturnType<CommandTypes[K]>,
): Disposable {
  return ns.registerCommand(id, fn as (...args: unknown[]) => unknown);
}

/** Reads a setting with its declared type; `fallback` only applies when the setting is missing altogether. */
export function readConfig<K extends keyof ConfigTypes>(config: WorkspaceConfiguration, key: K, fallback: ConfigTypes[K]): ConfigTypes[K] {
  const value = config.get<unknown>(key);
  return typeof value === typeof fallback ? (value as ConfigTypes[K]) : fallback;
}
