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
import type { ProbeOptions } from '../shared/protocol/options';
import { pythonProbeDir, withProbe } from '../core/probeEnv';
import { LAUNCH_ATTRIBUTE, nodeDebugTypes, pythonDebugTypes } from './contributions';
import type { LaunchConfig } from './launchConfig';
import { injectPythonProbe } from './pythonDebugConfig';

export type { LaunchConfig };

/** Marks a configuration the probe was injected into; the session tracker finds its root session by it. */
export const SESSION_MARKER = '__stallscopeSessionId';
/** js-debug starts one child session per process/worker with this attribute; they are never launches of ours. */
const JS_DEBUG_CHILD_MARKER = '__pendingTargetId';
const NODE_INTERNALS = '<node_internals>/**';

export type InjectDecision = { inject: true } | { inject: false; reason: string };

export function shouldInject(config: LaunchConfig, enableForAll: boolean): InjectDecision {
  const python = pythonDebugTypes.includes(config.type);
  if (!python && !nodeDebugTypes.includes(config.type)) return { inject: false, reason: `type "${config.type}" is not a Node or Python debug type` };
  if (JS_DEBUG_CHILD_MARKER in config) return { inject: false, reason: 'a js-debug child session (its process already has the probe)' };
  if (config.request !== 'launch') return { inject: false, reason: 'attach requests cannot load a --require into a running process' };
  if (typeof config[SESSION_MARKER] === 'string') return { inject: false, reason: 'already injected' };
  const optIn = config[LAUNCH_ATTRIBUTE];
  if (optIn === true) return { inject: true };
  if (optIn === false) return { inject: false, reason: `"${LAUNCH_ATTRIBUTE}": false` };
  if (python) return { inject: false, reason: `not opted in ("${LAUNCH_ATTRIBUTE}": true)` }; // the setting is for Node sessions
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
  if (pythonDebugTypes.includes(config.type)) return { ...injectPythonProbe(config, { probeDir: pythonProbeDir(probePath), sessionId, options }), [SESSION_MARKER]: sessionId };
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


/**
 * The config's `env`. Values are strings or null ("unset"); anything else a user wrote (a number)
 * is passed through untouched for js-debug to handle exactly as it would have without the probe.
 */
function envOf(config: LaunchConfig): Record<string, string | null> {
  const env = config.env;
  return typeof env === 'object' && env !== null && !Array.isArray(env) ? ({ ...env } as Record<string, string | null>) : {};
}
