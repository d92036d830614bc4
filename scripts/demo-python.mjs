#!/usr/bin/env node
// `npm run demo:python`: Stallscope on a FastAPI app in about a minute, needing only python3.
// Makes the pinned venv if it is missing (scripts/ensure-python.sh --main), then
//   1. runs examples/python-demo under `stallscope run` (uvicorn), drives a short load at it with
//      autocannon from this process, times GET /health meanwhile, stops it: stallscope prints the culprits;
//   2. runs `stallscope check` on the same app: the verdict table, `def` vs `async def` answered.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP_DIR = join(ROOT, 'examples', 'python-demo');
const OUT_DIR = join(ROOT, '.stallscope', 'demo-python');
const REPORT = join(OUT_DIR, 'report.json');
const CLI = join(ROOT, 'dist', 'cli.js');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const LOAD_S = Number(process.env.DEMO_LOAD_S ?? 4);
const CHECK_S = Number(process.env.DEMO_CHECK_S ?? 3);

import { bold, dim, fmt, healthCanary, pct, rel, step } from './demoKit.mjs';

function fail(msg) {
  console.error(`demo:python: ${msg}`);
  process.exit(1);
}

if (!existsSync(CLI)) fail(`${rel(CLI)} is missing: run "npm run build" first (npm run demo:python does it for you)`);
const venv = spawnSync('bash', [join(ROOT, 'scripts', 'ensure-python.sh'), '--main'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
if (venv.status !== 0) fail('could not make the Python venv (.venv/) with scripts/ensure-python.sh --main');

const UVICORN = [PYTHON, '-m', 'uvicorn', 'app:app', '--port', '0', '--no-access-log'];
console.log(bold('Stallscope demo, Python') + dim(' — which endpoints of a small FastAPI service block its event loop?'));
console.log(dim('  app: examples/python-demo/app.py (GET /health, /orders/{id} async def, /invoices/{id} def, /export def + big payload)'));
console.log(dim(`  runs as: stallscope run --out ${rel(REPORT)} -- python -m uvicorn app:app --port 0`));
console.log('');
mkdirSync(OUT_DIR, { recursive: true });

// 1. The app under `stallscope run`. uvicorn logs to stderr, where stallscope's summary goes too:
// the server's lines are shown dimmed until the port is known, everything after that as it is.
const run = spawn(process.execPath, [CLI, 'run', '--out', REPORT, '--', ...UVICORN], { cwd: APP_DIR, stdio: ['ignore', 'inherit', 'pipe'] });
const guard = setTimeout(() => {
  run.kill('SIGKILL');
  fail('the demo took longer than 90 s and was stopped');
}, 90_000);
guard.unref();
const exited = new Promise((resolve) => run.on('exit', (code, signal) => resolve({ code, signal })));
let stopping = false;
const port = await new Promise((resolve, reject) => {
  const lines = createInterface({ input: run.stderr });
  lines.on('line', (line) => {
    const m = /Uvicorn running on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
    if (m) resolve(Number(m[1]));
    console.log(stopping ? line : dim(`  server │ ${line}`));
  });
  exited.then(({ code }) => reject(new Error(`the server exited (code ${code}) before listening`)));
}).catch((e) => fail(e.message));
step(`FastAPI on uvicorn under stallscope: http://127.0.0.1:${port}`);

// A canary: GET /health every 50 ms, the latency a bystander sees.
const health = healthCanary(port);

for (let i = 0; i < 5; i++) await health.once(); // warm up
const idle = await health.during(1000);
step(`idle:   GET /health median ${fmt(pct(idle, 50))}, p99 ${bold(fmt(pct(idle, 99)))} ${dim(`(${idle.length} requests)`)}`);
const [loaded, result] = await Promise.all([
  health.during(LOAD_S * 1000),
  autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 4,
    duration: LOAD_S,
    requests: [{ path: '/orders/7' }, { path: '/invoices/7' }, { path: '/export' }, { path: '/health' }],
  }),
]);
step(`load:   ${LOAD_S} s, 4 connections cycling /orders/7 /invoices/7 /export /health: ${result.requests.total} requests, ${result.non2xx + result.errors} failed`);
step(`        GET /health meanwhile: median ${fmt(pct(loaded, 50))}, p99 ${bold(fmt(pct(loaded, 99)))} ${dim('— it waits whenever another request blocks the loop')}`);
health.close();

step('stopping the server (SIGTERM, forwarded by stallscope); its summary follows:\n');
stopping = true;
run.kill('SIGTERM');
const { code } = await exited;
clearTimeout(guard);
// uvicorn re-raises the SIGTERM it handled once shut down, and stallscope passes the exit status on: 143.
if (code !== 0 && code !== 143) fail(`stallscope run exited with ${code}`);

// 2. `stallscope check`: each endpoint loaded in turn, a verdict for each. Exit 1 = an endpoint blocked (expected here).
console.log('');
step(`stallscope check -e 'GET /orders/7' -e 'GET /invoices/7' -e 'GET /export' --canary 'GET /health' -d ${CHECK_S} -- python -m uvicorn app:app --port 0\n`);
const check = spawnSync(
  process.execPath,
  [CLI, 'check', '-e', 'GET /orders/7', '-e', 'GET /invoices/7', '-e', 'GET /export', '--canary', 'GET /health', '-d', String(CHECK_S), '--idle', '2', '-c', '4', '--', ...UVICORN],
  { cwd: APP_DIR, stdio: 'inherit', timeout: 120_000 },
);
if (check.status !== 0 && check.status !== 1) fail(`stallscope check exited with ${check.status ?? check.signal}`);

console.log('');
console.log(bold('What next'));
console.log(`  ${dim('report')}       ${rel(REPORT)}  ${dim('(stalls with full stacks, routes and lag; open it in VS Code: "Stallscope: Open Recording")')}`);
console.log(`  ${dim('your app')}     npx stallscope run -- uvicorn main:app`);
console.log(`  ${dim('in CI')}        npx stallscope check -e 'GET /items/1' --canary 'GET /health' --junit stallscope.xml -- uvicorn main:app`);
console.log(`  ${dim('in pytest')}    PYTHONPATH=${rel(join(ROOT, 'dist', 'python'))} pytest -p stallscope  ${dim('+ @pytest.mark.stallscope(budget_ms=100)')}`);
