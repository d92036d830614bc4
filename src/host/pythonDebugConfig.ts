/**
 * Composes a `debugpy` / `python` launch configuration that loads the Python probe. Kept free of
 * `vscode` so the rules are unit-tested without an editor (debugConfig.ts decides whether to inject).
 *
 * How the Python debugger treats what we hand it (checked in debugpy 1.8's launcher): the launch
 * config's `env` entries REPLACE the debuggee's inherited variables (a null value unsets one), they
 * are not merged. So the probe folder goes first on PYTHONPATH, then the config's own PYTHONPATH, or
 * when the config names none, the one this process inherited (the Python extension may append that
 * one too, depending on which provider runs first: a folder twice on sys.path is harmless, a lost one
 * breaks imports). The probe's sitecustomize chains to any sitecustomize it shadows.
 */
import { prependPythonPath } from '../core/probeEnv';
import { PROBE_OPTIONS_ENV, type ProbeOptions } from '../shared/protocol/options';
import type { LaunchConfig } from './launchConfig';

export interface PythonInjection {
  /** Absolute path of dist/python (probeEnv's pythonProbeDir). */
  probeDir: string;
  sessionId: string;
  options: ProbeOptions;
}

/** A copy of `config` that loads the Python probe; `config` is not modified. */
export function injectPythonProbe(
  config: LaunchConfig,
  { probeDir, sessionId, options }: PythonInjection,
  inherited: Readonly<Record<string, string | undefined>> = process.env,
): LaunchConfig {
  const env = envOf(config);
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PYTHONPATH') ?? 'PYTHONPATH';
  const own = key in env ? env[key] : inherited.PYTHONPATH;
  env[key] = prependPythonPath(typeof own === 'string' ? own : undefined, probeDir);
  env[PROBE_OPTIONS_ENV] = JSON.stringify({ ...options, sessionId });
  // debugpy's "rules" keep the probe's frames out of stepping and out of "just my code" stacks, as
  // skipFiles does for js-debug; the user's own rules come first so they can still override it.
  const rules: unknown[] = Array.isArray(config.rules) ? [...config.rules] : [];
  if (!rules.some((r) => isRuleFor(r, probeDir))) rules.push({ path: probeDir, include: false });
  return { ...config, env, rules };
}

/** A readable command line for the recording's title and report. */
export function pythonCommandOf(config: LaunchConfig): string[] {
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);
  const python = typeof config.python === 'string' ? config.python : 'python';
  const target = typeof config.module === 'string' ? ['-m', config.module] : typeof config.program === 'string' ? [config.program] : [];
  return [python, ...strings(config.pythonArgs), ...target, ...strings(config.args)];
}

function isRuleFor(rule: unknown, dir: string): boolean {
  return typeof rule === 'object' && rule !== null && (rule as { path?: unknown }).path === dir;
}

/** The config's `env`: strings, or null for "unset"; anything else a user wrote is passed through untouched. */
function envOf(config: LaunchConfig): Record<string, string | null> {
  const env = config.env;
  return typeof env === 'object' && env !== null && !Array.isArray(env) ? ({ ...env } as Record<string, string | null>) : {};
}
