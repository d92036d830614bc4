// `stallscope check` at its default settings (10 s of load per endpoint, 10 connections, 3 s of idle canary)
// on three endpoints of the check fixture: pbkdf2Sync (blocking), pbkdf2 with a callback (non-blocking) and
// pbkdf2Sync after an await (blocking), with GET /health as the canary. The goal: the whole check in 60 s or
// less on this machine. Prints the wall time against the time the phases themselves take (the overhead is
// start-up, preflight, settling and stopping), and per endpoint the canary's p99 under load against its idle
// p99 (the baseline, measured in the same run).
//
// Env: BENCH_CHECK_DURATION_S (10), BENCH_CHECK_ROUNDS (1, 1 with BENCH_QUICK=1 at 3 s of load).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envNumber, fixed, median, table } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const SERVER = join(ROOT, 'test', 'check', 'fixtures', 'checkServer.js');
const DURATION_S = envNumber('BENCH_CHECK_DURATION_S', 10, 3);
const ROUNDS = envNumber('BENCH_CHECK_ROUNDS', 1, 1);
const IDLE_S = 3;
const ENDPOINTS = ['GET /sync', 'GET /async', 'GET /after-await'];
const GOAL_S = 60;

if (!existsSync(CLI)) {
  console.error(`check: ${CLI} is missing; run "npm run build" first`);
  process.exit(1);
}

function check() {
  const args = [CLI, 'check', ...ENDPOINTS.flatMap((e) => ['-e', e]), '--canary', 'GET /health', '--json', '-q'];
  if (DURATION_S !== 10) args.push('--duration', String(DURATION_S));
  args.push('--', process.execPath, SERVER);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => {
      const wallS = (Date.now() - t0) / 1000;
      if (code !== 1) return reject(new Error(`stallscope check exited ${code} (expected 1: two endpoints block)\n${err}`));
      resolve({ wallS, json: JSON.parse(out) });
    });
  });
}

const runs = [];
for (let r = 0; r < ROUNDS; r++) runs.push(await check());

const phasesS = IDLE_S + ENDPOINTS.length * DURATION_S;
const walls = runs.map((r) => r.wallS);
console.log(`  ${ENDPOINTS.length} endpoints × ${DURATION_S} s of load at 10 connections, ${IDLE_S} s idle canary, canary GET /health; ${ROUNDS} run(s)`);
console.log(
  table([
    ['', 'seconds', 'vs phases'],
    ['wall time (median)', fixed(median(walls), 1), `${fixed(median(walls) / phasesS, 2)}×`],
    ['phases (idle + load)', fixed(phasesS, 1), '1.00×'],
    ['goal', fixed(GOAL_S, 1), `${fixed(GOAL_S / phasesS, 2)}×`],
  ]),
);
console.log('');
const last = runs[runs.length - 1].json;
console.log(
  table([
    ['endpoint', 'verdict', 'stalls', 'max stall ms', 'canary idle p99 ms', 'canary load p99 ms', 'load / idle'],
    ...last.endpoints.map((e) => [
      e.endpoint,
      e.verdict,
      e.stalls,
      fixed(e.maxStallMs, 1),
      fixed(e.canaryIdleP99Ms, 1),
      fixed(e.canaryP99Ms, 1),
      `${fixed(e.canaryP99Ms / e.canaryIdleP99Ms, 1)}×`,
    ]),
  ]),
);
const ok = median(walls) <= GOAL_S;
console.log(`\n  ${ok ? '✓' : '✗'} ${fixed(median(walls), 1)} s for ${ENDPOINTS.length} endpoints at the default settings (goal ≤ ${GOAL_S} s)`);
