// One build script, six bundles:
//   dist/extension.js  the VS Code extension host side (node, `vscode` external)
//   dist/probe.js      injected with --require into the user's program (node, everything bundled:
//                      it must not resolve modules from the user's node_modules)
//   dist/cli.js        `stallscope` (node)
//   dist/webview.js    the timeline (browser IIFE, d3 bundled)
//   dist/checkWorker.js  `stallscope check`'s canary and load generator (node, autocannon bundled:
//                      the installed CLI and the extension must not need it from node_modules)
//   dist/testing.js    `stallscope/testing` (measureStalls), package.json "exports" points at it
// esbuild does not type-check: `npm run typecheck` does.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, copyFileSync, chmodSync, cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const builds = [
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // ws optionally requires these native speed-ups; without them it uses its JS fallbacks.
  { ...node, entryPoints: ['src/probe/index.ts'], outfile: 'dist/probe.js', external: ['bufferutil', 'utf-8-validate'] },
  {
    ...node,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    external: ['bufferutil', 'utf-8-validate', 'autocannon'],
    banner: { js: '#!/usr/bin/env node' },
  },
  { ...node, entryPoints: ['src/core/check/checkWorker.ts'], outfile: 'dist/checkWorker.js' },
  // `require('stallscope/testing')`: measureStalls for test suites; also its own watchdog thread's script.
  { ...node, entryPoints: ['src/testing/index.ts'], outfile: 'dist/testing.js', external: ['bufferutil', 'utf-8-validate'] },
  {
    bundle: true,
    platform: 'browser',
    target: 'chrome114',
    format: 'iife',
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    legalComments: 'none',
  },
];

// The Python probe ships as source: dist/python goes first on the child's PYTHONPATH. Copied over
// in place (never removed first: a program started meanwhile must still find it), then files gone
// from src/python are removed; no bytecode caches.
function copyPythonProbe() {
  const skip = /(__pycache__|\.pyc$|\.egg-info|pyproject\.toml$)/;
  cpSync('src/python', 'dist/python', { recursive: true, filter: (src) => !skip.test(src) });
  const prune = (dir) => {
    for (const e of readdirSync(join('dist/python', dir), { withFileTypes: true })) {
      const rel = join(dir, e.name);
      if (skip.test(rel)) continue;
      if (!existsSync(join('src/python', rel))) rmSync(join('dist/python', rel), { recursive: true, force: true });
      else if (e.isDirectory()) prune(rel);
    }
  };
  prune('');
}

const missing = builds.filter((b) => !existsSync(b.entryPoints[0]));
if (missing.length) {
  console.error(`esbuild: missing entry points: ${missing.map((b) => b.entryPoints[0]).join(', ')}`);
  process.exit(1);
}

mkdirSync('dist', { recursive: true });
if (watch) {
  const ctxs = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(ctxs.map((c) => c.watch()));
  console.log('esbuild: watching');
} else {
  const t0 = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  if (existsSync('media/timeline.css')) copyFileSync('media/timeline.css', 'dist/timeline.css');
  copyPythonProbe();
  chmodSync('dist/cli.js', 0o755);
  console.log(`esbuild: ${builds.length} bundles in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
