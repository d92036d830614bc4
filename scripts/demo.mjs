#!/usr/bin/env node
// `npm run demo`: the product in under a minute, no VS Code needed.
// Builds the TypeScript demo server (examples/demo-server) with source maps, runs it under
// `stallscope run`, drives a short load at it with autocannon (from this process, not the server's),
// times GET /health meanwhile, stops the server, and lets stallscope print what blocked the loop.
import { spawn } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import * as esbuild from 'esbuild';
import autocannon from 'autocannon';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, '.stallscope', 'demo');
const SERVER_JS = join(OUT_DIR, 'server.js');
const REPORT = join(OUT_DIR, 'report.json');
const CLI = join(ROOT, 'dist', 'cli.js');
const LOAD_S = Number(process.env.DEMO_LOAD_S ?? 6);

import { bold, dim, fmt, healthCanary, pct, rel, step } from './demoKit.mjs';

function fail(msg) {
  console.error(`demo: ${msg}`);
  process.exit(1);
}

if (!existsSync(CLI)) fail(`${rel(CLI)} is missing: run "npm run build" first (npm run demo does it for you)`);

console.log(bold('Stallscope demo') + dim(' — what blocks the event loop of a small TypeScript order service?'));
console.log(dim(`  server: examples/demo-server (GET /health, /report, /hash, /search), built with source maps`));
console.log(dim(`  runs as: stallscope run --out ${rel(REPORT)} -- node ${rel(SERVER_JS)}`));
console.log('');

// 1. Build the demo server. Source maps let the probe name the .ts lines, not the bundle's.
let t0 = Date.now();
mkdirSync(OUT_DIR, { recursive: true });
await esbuild.build({
  entryPoints: [join(ROOT, 'examples', 'demo-server', 'src', 'server.ts')],
  outfile: SERVER_JS,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
});
step(`built examples/demo-server → ${rel(SERVER_JS)} ${dim(`(${Date.now() - t0} ms)`)}`);

// 2. Run it under stallscope. Its stderr (the summary) goes straight to the terminal.
const run = spawn(process.execPath, [CLI, 'run', '--out', REPORT, '--', process.execPath, SERVER_JS], {
  cwd: ROOT,
  env: { ...process.env, PORT: '0' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const guard = setTimeout(() => {
  run.kill('SIGKILL');
  fail('the demo took longer than 60 s and was stopped');
}, 60_000);
guard.unref();
const exited = new Promise((resolve) => run.on('exit', (code, signal) => resolve({ code, signal })));
const port = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: run.stdout });
  lines.on('line', (line) => {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
    if (m) resolve(Number(m[1]));
    else console.log(dim(`  server │ ${line}`));
  });
  exited.then(({ code }) => reject(new Error(`the server exited (code ${code}) before listening`)));
}).catch((e) => fail(e.message));
step(`server under stallscope on http://127.0.0.1:${port}`);

// 3. A canary: GET /health every 50 ms, the latency a bystander sees.
const health = healthCanary(port);

for (let i = 0; i < 5; i++) await health.once(); // warm up
const idle = await health.during(1500);
step(`idle:   GET /health median ${fmt(pct(idle, 50))}, p99 ${bold(fmt(pct(idle, 99)))} ${dim(`(${idle.length} requests)`)}`);

const [loaded, result] = await Promise.all([
  health.during(LOAD_S * 1000),
  autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 4,
    duration: LOAD_S,
    requests: [{ path: '/report' }, { path: '/hash?pw=correct-horse' }, { path: '/search?customer=customer-42' }, { path: '/health' }],
  }),
]);
step(
  `load:   ${LOAD_S} s, 4 connections cycling /report /hash /search /health: ${result.requests.total} requests, ` +
    `${result.non2xx + result.errors} failed`,
);
step(
  `        GET /health meanwhile: median ${fmt(pct(loaded, 50))}, p99 ${bold(fmt(pct(loaded, 99)))} ` +
    dim('— a fast endpoint waits whenever another request blocks the loop'),
);
health.close();

// 4. Stop the server the way a terminal or an orchestrator would; stallscope forwards the signal.
step('stopping the server (SIGTERM, forwarded by stallscope); its summary follows:\n');
run.kill('SIGTERM');
const { code } = await exited;
clearTimeout(guard);
console.log('');
if (code !== 0) fail(`stallscope exited with ${code}`);
console.log(bold('What next'));
console.log(`  ${dim('report')}       ${rel(REPORT)}  ${dim('(stalls with full stacks, handlers and lag; open it in VS Code: "Stallscope: Open Recording")')}`);
console.log(`  ${dim('your server')}  npx stallscope run -- node server.js`);
console.log(`  ${dim('in CI')}        npx stallscope run --fail-on-stall 100 -- npm test`);
