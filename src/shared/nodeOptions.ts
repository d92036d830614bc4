/**
 * The probe's place in NODE_OPTIONS: `--require "<probe>"` added once to the user's options (how
 * the CLI and the debug configuration inject it, as js-debug injects its bootloader), and taken out
 * again for the probe's own helper thread. Pure: no imports, usable from the host and the probe.
 */

/** Quotes a path for NODE_OPTIONS, which accepts double-quoted strings with backslash escapes. */
export function quoteNodeOption(value: string): string {
  const forward = value.replace(/\\/g, '/'); // Windows paths: Node accepts forward slashes, and they need no escaping
  return `"${forward.replace(/"/g, '\\"')}"`;
}

/** The env key that holds NODE_OPTIONS (Windows env keys are case-insensitive). */
export function nodeOptionsKey(env: Record<string, unknown>): string {
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
 * NODE_OPTIONS without any `--require`/`-r` of `probePath` (quoted or not); the rest is kept, its
 * whitespace collapsed. An empty result means nothing is left to set.
 */
export function removeRequire(nodeOptions: string | null | undefined, probePath: string): string {
  const forward = probePath.replace(/\\/g, '/');
  return (nodeOptions ?? '')
    .replace(/(^|\s)(?:--require|-r)\s+("(?:[^"\\]|\\.)*"|\S+)/g, (all, lead: string, arg: string) =>
      arg.replace(/^"|"$/g, '').replace(/\\"/g, '"') === forward ? lead : all,
    )
    .replace(/\s+/g, ' ')
    .trim();
}
