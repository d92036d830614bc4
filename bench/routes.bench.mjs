#!/usr/bin/env node
// The cost of naming requests by their route, per framework: CPU per request of a server answering
// `GET /api/users/:id` (bench/routes-server.js) at a fixed rate, over all its threads, side by side:
//
//   none          no probe
//   probe         the probe as `stallscope run` loads it (requests tracked on demand; the route hooks
//                 on: Express read lazily, Fastify's diagnostics channel, Koa's createContext wrap,
//                 Hono's router match wrap)
//   probe+track   the probe tracking every request across awaits from the start (AsyncLocalStorage,
//                 as the extension and `stallscope check` run it, and as NestJS programs get it)
//
// Rounds alternate the configurations; server on core 0 and autocannon on core 1 (taskset). Medians.
//   node bench/routes.bench.mjs      env: ROUTES_FRAMEWORKS=http,express,fastify,koa,hono,nest ROUTES_ROUNDS ROUTES_RATE ROUTES_SECONDS BENCH_QUICK=1
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuDelta, envNumber, fixed, median, rssMb, sleep, table, threadCpuMs } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const PROBE = join(ROOT, 'dist', 'probe.js');
const SERVER = join(HERE, 'routes-server.js');
const LOAD = join(HERE, 'load.mjs');

const FRAMEWORKS = (process.env.ROUTES_FRAMEWORKS || 'http,express,fastify,koa,hono,nest').split(',');
const ROUNDS = envNumber('ROUTES_ROUNDS', 5, 2);
const RATE = envNumber('ROUTES_RATE', 2000, 2000);
const SECONDS = envNumber('ROUTES_SECONDS', 5, 3);
const WARMUP_S = envNumber('ROUTES_WARMUP', 2, 1);

const CONFIGS = [
  { name: 'none', env: {} },
  { name: 'probe', env: { NODE_OPTIONS: `--require ${PROBE}`, STALLSCOPE_OPTIONS: JSON.stringify({}) } },
  { name: 'probe+track', env: { NODE_OPTIONS: `--require ${PROBE}`, STALLSCOPE_OPTIONS: JSON.stringify({ requestContext: 'always' }) } },
];

if (!existsSync(PROBE)) {
  console.error('routes bench: build first (node esbuild.mjs)');
  process.exit(2);
}

function load(url, opts) {
  return new Promise((resolve, reject) => {
    const p = spawn('taskset', ['-c', '1', process.execPath, LOAD, JSON.stringify({ url, connections: 10, ...opts })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', () => {
      const line = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`load: ${out}`));
      }
    });
  });
}

async function round(framework, config) {
  const dir = mkdtempSync(join(tmpdir(), 'ss-routes-'));
  const portFile = join(dir, 'port.json');
  const env = { ...process.env, ...config.env, PORT_FILE: portFile };
  if (!config.env.NODE_OPTIONS) delete env.NODE_OPTIONS;
  const server = spawn('taskset', ['-c', '0', process.execPath, SERVER, framework], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const until = Date.now() + 20_000;
    while (!existsSync(portFile)) {
      if (Date.now() > until) throw new Error(`${framework} (${config.name}) did not start`);
      await sleep(50);
    }
    const { port, pid } = JSON.parse(readFileSync(portFile, 'utf8'));
    const url = `http://127.0.0.1:${port}/api/users/42`;
    await load(url, { duration: WARMUP_S, overallRate: RATE });
    const before = threadCpuMs(pid);
    const r = await load(url, { duration: SECONDS, overallRate: RATE });
    const cpu = cpuDelta(before, threadCpuMs(pid));
    return { usPerReq: (cpu * 1000) / r.total, p99: r.p99, rss: rssMb(pid), errors: r.errors };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = new Map();
for (const fw of FRAMEWORKS) for (const c of CONFIGS) results.set(`${fw} ${c.name}`, []);
for (let i = 0; i < ROUNDS; i++) {
  for (const fw of FRAMEWORKS) {
    const order = i % 2 ? [...CONFIGS].reverse() : CONFIGS;
    for (const c of order) results.get(`${fw} ${c.name}`).push(await round(fw, c));
  }
  process.stderr.write(`routes bench: round ${i + 1}/${ROUNDS}\n`);
}

const rows = [['framework', 'config', 'CPU µs/req', '× none', 'p99 ms', 'RSS MB', 'errors']];
for (const fw of FRAMEWORKS) {
  const none = median(results.get(`${fw} none`).map((r) => r.usPerReq));
  for (const c of CONFIGS) {
    const rs = results.get(`${fw} ${c.name}`);
    const us = median(rs.map((r) => r.usPerReq));
    rows.push([fw, c.name, fixed(us, 1), c.name === 'none' ? '' : `${fixed(us / none, 3)}×`, fixed(median(rs.map((r) => r.p99)), 2), fixed(median(rs.map((r) => r.rss)), 1), rs.reduce((t, r) => t + r.errors, 0)]);
  }
}
console.log(`\nroute hooks: CPU per request at ${RATE} req/s over all server threads, median of ${ROUNDS} alternating rounds (${SECONDS} s each)\n`);
console.log(table(rows));
