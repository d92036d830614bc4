/**
 * Decides whether a Node launch configuration gets the probe, and composes the configuration that
 * loads it. Kept free of `vscode` so the rules are unit-tested without an editor.
 *
 * How js-debug treats what we hand it (checked in js-debug 1.117's NodeLauncherBase):
 *   NODE_OPTIONS = `--require <bootloader>` + launch config env.NODE_OPTIONS + the extension host's
 *   own process.env.NODE_OPTIONS (appended by js-debug itself since microsoft/vscode-js-debug#790).
 * So the probe goes after the config's own options and the host's options are NOT copied in here:
 * that would pass them twice. `env` values of `null` mean "unset this variable" to js-debug and
 * are kept as they are.
 */
import { DEFAULT_THRESHOLD_MS, MAX_THRESHOLD_MS, MIN_THRESHOLD_MS, type ProbeOptions } from '../shared/protocol';
import { withProbe } from '../core/probeEnv';
import { LAUNCH_ATTRIBUTE, nodeDebugTypes } from './contributions';

/** The subset of vscode.DebugConfiguration this module reads and writes. */
export interface LaunchConfig {
  type: string;
  request: string;
  name: string;
  [key: string]: unknown;
}

/** Marks a configuration the probe was injected into; the session tracker finds its root session by it. */
export const SESSION_MARKER = '__stallscopeSessionId';
/** js-debug starts one child session per process/worker with this attribute; they are never launches of ours. */
const JS_DEBUG_CHILD_MARKER = '__pendingTargetId';
const NODE_INTERNALS = '<node_internals>/**';

export type InjectDecision = { inject: true } | { inject: false; reason: string };

export function shouldInject(config: LaunchConfig, enableForAll: boolean): InjectDecision {
  if (!nodeDebugTypes.includes(config.type)) return { inject: false, reason: `type "${config.type}" is not a Node debug type` };
  if (JS_DEBUG_CHILD_MARKER in config) return { inject: false, reason: 'a js-debug child session (its process already has the probe)' };
  if (config.request !== 'launch') return { inject: false, reason: 'attach requests cannot load a --require into a running process' };
  if (typeof config[SESSION_MARKER] === 'string') return { inject: false, reason: 'already injected' };
  const optIn = config[LAUNCH_ATTRIBUTE];
  if (optIn === true) return { inject: true };
  if (optIn === false) return { inject: false, reason: `"${LAUNCH_ATTRIBUTE}": false` };
  return enableForAll ? { inject: true } : { inject: false, reason: `not opted in ("${LAUNCH_ATTRIBUTE}": true or the enableForAllNodeSessions setting)` };
}

export interface Injection {
  /** Absolute path of dist/probe.js. */
  probePath: string;
  sessionId: string;
  options: ProbeOptions;
}

/** A copy of `config` that loads the probe; `config` is not modified. */
export function injectProbe(config: LaunchConfig, { probePath, sessionId, options }: Injection): LaunchConfig {
  const env = withProbe(envOf(config), probePath, { ...options, sessionId });

  // js-debug's own default is <node_internals>/**: keep it when the user set nothing.
  const skipFiles: unknown[] = Array.isArray(config.skipFiles) ? [...config.skipFiles] : [NODE_INTERNALS];
  const probeGlob = probePath.replace(/\\/g, '/');
  return {
    ...config,
    env,
    skipFiles: skipFiles.includes(probeGlob) ? skipFiles : [...skipFiles, probeGlob],
    [SESSION_MARKER]: sessionId,
  };
}

/** The threshold setting, clamped to what the probe accepts (VS Code only warns about out-of-range values). */
export function clampThreshold(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_THRESHOLD_MS;
  return Math.min(MAX_THRESHOLD_MS, Math.max(MIN_THRESHOLD_MS, Math.round(value)));
}

/**
 * The config's `env`. Values are strings or null ("unset"); anything else a user wrote (a number)
 * is passed through untouched for js-debug to handle exactly as it would have without the probe.
 */
function envOf(config: LaunchConfig): Record<string, string | null> {
  const env = config.env;
  return typeof env === 'object' && env !== null && !Array.isArray(env) ? ({ ...env } as Record<string, string | null>) : {};
}
