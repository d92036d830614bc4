/**
 * Composes the environment that injects the probe, the way js-debug injects its bootloader:
 * `--require "<probe>"` is appended to the user's NODE_OPTIONS, never replacing it, and the
 * probe's options travel as one JSON env var. Used by the CLI and by the debug configuration
 * provider, so both inject identically.
 */
import { PROBE_OPTIONS_ENV, type ProbeOptions } from '../shared/protocol';

export type Env = Record<string, string | undefined>;

/** Quotes a path for NODE_OPTIONS, which accepts double-quoted strings with backslash escapes. */
export function quoteNodeOption(value: string): string {
  const forward = value.replace(/\\/g, '/'); // Windows paths: Node accepts forward slashes, and they need no escaping
  return `"${forward.replace(/"/g, '\\"')}"`;
}

/** The env key that holds NODE_OPTIONS (Windows env keys are case-insensitive). */
function nodeOptionsKey(env: Record<string, unknown>): string {
  return Object.keys(env).find((k) => k.toUpperCase() === 'NODE_OPTIONS') ?? 'NODE_OPTIONS';
}

/** NODE_OPTIONS with the probe's --require appended once; the user's own options are kept as they are. */
export function appendRequire(nodeOptions: string | null | undefined, probePath: string): string {
  const require = `--require ${quoteNodeOption(probePath)}`;
  const current = (nodeOptions ?? '').trim();
  if (current.includes(require)) return current;
  return current ? `${current} ${require}` : require;
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
  out[PROBE_OPTIONS_ENV] = JSON.stringify(options);
  return out;
}
