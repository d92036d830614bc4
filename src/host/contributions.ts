/**
 * Every id Stallscope contributes (commands, settings, views, debug types), typed, in the style of
 * js-debug's contributionUtils: a command is registered and run through one signature table, and
 * a setting is read with the type of its value, so package.json and the code cannot drift apart
 * silently (test/unit/contributions.test.ts checks both directions against package.json).
 */
import type { Disposable, Uri, WorkspaceConfiguration, commands as vscodeCommands } from 'vscode';
import type { CheckView } from '../shared/protocol';

export const enum Commands {
  DebugWithProbe = 'stallscope.debugWithProbe',
  ShowTimeline = 'stallscope.showTimeline',
  SaveRecording = 'stallscope.saveRecording',
  OpenRecording = 'stallscope.openRecording',
  Clear = 'stallscope.clear',
  CheckEndpoints = 'stallscope.checkEndpoints',
}

export const allCommands: readonly Commands[] = [
  Commands.DebugWithProbe,
  Commands.ShowTimeline,
  Commands.SaveRecording,
  Commands.OpenRecording,
  Commands.Clear,
  Commands.CheckEndpoints,
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
}

export const enum Config {
  ThresholdMs = 'stallscope.thresholdMs',
  EnableForAllNodeSessions = 'stallscope.enableForAllNodeSessions',
  DecorationsEnabled = 'stallscope.decorations.enabled',
  CheckDurationSeconds = 'stallscope.check.durationSeconds',
  CheckConnections = 'stallscope.check.connections',
}

export const allConfig: readonly Config[] = [
  Config.ThresholdMs,
  Config.EnableForAllNodeSessions,
  Config.DecorationsEnabled,
  Config.CheckDurationSeconds,
  Config.CheckConnections,
];

export interface ConfigTypes {
  [Config.ThresholdMs]: number;
  [Config.EnableForAllNodeSessions]: boolean;
  [Config.DecorationsEnabled]: boolean;
  [Config.CheckDurationSeconds]: number;
  [Config.CheckConnections]: number;
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

/** The js-debug types the probe can be injected into (launch requests only). */
export const enum DebugType {
  Node = 'node',
  PwaNode = 'pwa-node',
  NodeTerminal = 'node-terminal',
}
export const nodeDebugTypes: readonly string[] = [DebugType.Node, DebugType.PwaNode, DebugType.NodeTerminal];

/** The launch-configuration attribute that opts a session in (`"stallscope": true`) or out (`false`). */
export const LAUNCH_ATTRIBUTE = 'stallscope';

export function registerCommand<K extends keyof CommandTypes>(
  ns: typeof vscodeCommands,
  id: K,
  fn: (...args: Parameters<CommandTypes[K]>) => Thenable<ReturnType<CommandTypes[K]>> | ReturnType<CommandTypes[K]>,
): Disposable {
  return ns.registerCommand(id, fn as (...args: unknown[]) => unknown);
}

export async function runCommand<K extends keyof CommandTypes>(
  ns: typeof vscodeCommands,
  id: K,
  ...args: Parameters<CommandTypes[K]>
): Promise<ReturnType<CommandTypes[K]>> {
  return (await ns.executeCommand(id, ...args)) as ReturnType<CommandTypes[K]>;
}

/** Reads a setting with its declared type; `fallback` only applies when the setting is missing altogether. */
export function readConfig<K extends keyof ConfigTypes>(config: WorkspaceConfiguration, key: K, fallback: ConfigTypes[K]): ConfigTypes[K] {
  const value = config.get<unknown>(key);
  return typeof value === typeof fallback ? (value as ConfigTypes[K]) : fallback;
}
