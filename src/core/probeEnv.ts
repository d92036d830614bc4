/**
 * Composes the environment that injects the probe, the way js-debug injects its bootloader:
 * `--require "<probe>"` is appended to the user's NODE_OPTIONS, never replacing it; the Python
 * probe's folder (its `sitecustomize`, which chains to the user's own) goes first on PYTHONPATH,
 * before the user's entries; and the probe's options travel as one JSON env var that both
 * runtimes read. Used by the CLI and by the debug configuration provider, so both inject identically.
 */
import * as path from 'node:path';
import { appendRequire, nodeOptionsKey } from '../shared/nodeOptions';
import { PROBE_OPTIONS_ENV, type ProbeOptions } from '../shared/protocol/options';

export type Env = Record<string, string | undefined>;

export { appendRequire, quoteNodeOption } from '../shared/nodeOptions';

/** dist/python, the Python probe's folder: built beside dist/probe.js, so found from it. */
export function pythonProbeDir(probePath: string): string {
  return path.join(path.dirname(probePath), 'python');
}

/** The env key that holds PYTHONPATH (Windows env keys are case-insensitive). */
function pythonPathKey(env: Record<string, unknown>): string {
  return Object.keys(env).find((k) => k.toUpperCase() === 'PYTHONPATH') ?? 'PYTHONPATH';
}

/**
 * PYTHONPATH with `dir` first; the user's entries follow unchanged. Already on it (a command run
 * under the probe that runs another): left as it is, so the probe loads once.
 */
export function prependPythonPath(current: string | null | undefined, dir: string, delimiter: string = path.delimiter): string {
  const value = current ?? '';
  if (value.split(delimiter).includes(dir)) return value;
  return value ? `${dir}${delimiter}${value}` : dir;
}

/**
 * A copy of `env` that loads the probe. `env` is not modified.
 * `undefined` and `null` values are kept as they are: to a launch config they mean "unset this variable"
 * (a null NODE_OPTIONS leaves just the probe's --require).
 */
export function withProbe<V extends string | null | undefined = string | undefined>(
  env: Record<string, V>,
  probePath: string,
  options: ProbeOptions,
): Record<string, V | string> {
  const out: Record<string, V | string> = { ...env };
  const key = nodeOptionsKey(out);
  out[key] = appendRequire(out[key], probePath);
  const pyKey = pythonPathKey(out);
  out[pyKey] = prependPythonPath(out[pyKey], pythonProbeDir(probePath));
  out[PROBE_OPTIONS_ENV] = JSON.stringify(options);
  return out;
}
