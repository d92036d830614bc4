/**
 * Load guards. The probe file is required into every Node process and thread that inherits
 * NODE_OPTIONS, including our own watchdog thread and package-manager helpers, so before doing
 * anything it decides which of those it is in.
 */
import { basename } from 'node:path';

const LOADED = Symbol.for('stallscope.probe.loaded');

/** True the first time in this thread; a second `--require` of the probe does nothing. */
export function claimLoad(): boolean {
  const g = globalThis as Record<symbol, unknown>;
  if (g[LOADED]) return false;
  Object.defineProperty(g, LOADED, { value: true, enumerable: false });
  return true;
}

/**
 * npm, npx, yarn, pnpm, corepack and node-gyp run as Node processes between the user and their
 * program; they are not the user's code (js-debug's bootloader skips them the same way). Their
 * children still inherit the env and are probed.
 */
export function isHelperProcess(argv: readonly string[]): boolean {
  const script = argv[1];
  if (!script) return false;
  const norm = script.replace(/\\/g, '/');
  const base = basename(norm).replace(/\.(c|m)?js$/, '');
  if (/^(npm|npx|npm-cli|npx-cli|yarn|yarnpkg|pnpm|pnpx|corepack|node-gyp)$/.test(base)) return true;
  return /\/node_modules\/(npm|yarn|pnpm|corepack|node-gyp)\/bin\//.test(norm) || /\/node_modules\/\.bin\/(npm|npx|yarn|pnpm|node-gyp)$/.test(norm);
}
