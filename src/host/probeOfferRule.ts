/**
 * When Stallscope offers to restart a debug session with the probe: a Node launch the user started
 * (not one of js-debug's child sessions, not an attach) that runs without it, and that was not kept
 * out on purpose (`"stallscope": false`). Pure and `vscode`-free.
 */
import { LAUNCH_ATTRIBUTE, nodeDebugTypes } from './contributions';
import { SESSION_MARKER } from './debugConfig';

export function offersProbe(config: Readonly<Record<string, unknown>>, hasParentSession: boolean): boolean {
  if (hasParentSession || '__pendingTargetId' in config) return false;
  if (typeof config.type !== 'string' || !nodeDebugTypes.includes(config.type) || config.request !== 'launch') return false;
  return typeof config[SESSION_MARKER] !== 'string' && config[LAUNCH_ATTRIBUTE] !== false;
}

/** The session's configuration as a launch to start again: without the keys the debugger added for itself (`__…`). */
export function relaunchConfig<T extends Readonly<Record<string, unknown>>>(config: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !k.startsWith('__')));
}
