// The Python section: a hello-world FastAPI on uvicorn (asyncio and uvloop loops, httptools parser)
// without probe, under `stallscope run` (the probe as users get it, reporting to the CLI), and with
// asyncio's debug mode (PYTHONASYNCIODEBUG=1, the built-in alternative). One process run, alternating
// rounds, the server (and, for Stallscope, its CLI host) pinned to core 0, the load (bench/load.mjs,
// autocannon) to core 1.
//
// Overhead, per loop, config and round, on a fresh server: idle CPU; CPU per request and p99 at a fixed
// rate (half the no-probe saturation, calibrated per loop); saturated req/s; RSS at the end. Ratios
// against no probe are taken within each round, then the median and spread (min–max) over rounds.
// Then the paired phase: the three servers side by side, the fixed-rate load rotating between them,
// so each CPU/req has a no-probe neighbour measured seconds apart (fresh servers differ by several
// per cent on a VM, a 1 % effect needs this).
//
// Accuracy, per loop: bench/python/blocking.py under `stallscope run --out`, every blocking kind called
// in turn; each call writes its ground truth (start, duration of the blocking call). Per kind: calls
// flagged, culprit line right, route right, and the stall's duration minus the truth.
//
// Env: BENCH_PY_LOOPS (asyncio,uvloop), BENCH_ROUNDS (5), BENCH_IDLE_S (3), BENCH_FIXED_S (5),
//      BENCH_WARMUP_S (1), BENCH_SATURATE_S (5), BENCH_PAIRED_CYCLES (8), BENCH_PAIRED_S (2),
//      BENCH_PY_CALLS (5 calls per blocking kind), BENCH_PY_PARTS (overhead,accuracy),
//      BENCH_FLOOR_S (10: the native wake-up floor, bench/wake-floor.c, needs cc), BENCH_QUICK=1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuDelta, envNumber, fixed, floorLine, loadOnCore1, median, rssMb, signed, sleep, spread, startOnCore0, table, threadCpuMs, threadsNamed, wakeFloor, QUICK } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const PY_DIR = join(HERE, 'python');
const SERVE = join(PY_DIR, 'serve.py');
const BLOCKING = join(PY_DIR, 'blocking.py');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');

const LOOPS = (process.env.BENCH_PY_LOOPS ?? 'asyncio,uvloop').split(',');
const ROUNDS = envNumber('BENCH_ROUNDS', 5, 1);
const IDLE_S = envNumber('BENCH_IDLE_S', 3, 1);
const FIXED_S = envNumber('BENCH_FIXED_S', 5, 2);
const WARMUP_S = envNumber('BENCH_WARMUP_S', 1, 1);
const SATURATE_S = envNumber('BENCH_SATURATE_S', 5, 2);
const PAIRED_CYCLES = envNumber('BENCH_PAIRED_CYCLES', 8, 2);
const PAIRED_S = envNumber('BENCH_PAIRED_S', 2, 1);
const CALLS = envNumber('BENCH_PY_CALLS', 5, 2);
const CONNECTIONS = 32;
const PARTS = (process.env.BENCH_PY_PARTS ?? 'overhead,accuracy').split(',');

const CONFIGS = [
  { name: 'no probe', key: 'none', argv: (loop) => [PYTHON, SERVE, 'hello:app', loop] },
  { name: 'stallscope', key: 'stallscope', argv: (loop) => [process.execPath, CLI, 'run', '--quiet', '--', PYTHON, SERVE, 'hello:app', loop], host: true },
  { name: 'asyncio debug', key: 'debug', argv: (loop) => [PYTHON, SERVE, 'hello:app', loop], env: { PYTHONASYNCIODEBUG: '1' } },
];

for (const [what, ok] of [
  [`${CLI} (run "npm run build")`, existsSync(CLI)],
  [`${PYTHON} (run "bash scripts/ensure-python.sh")`, existsSync(PYTHON)],
  ['taskset (apt-get install util-linux)', spawnSync('taskset', ['--version']).status === 0],
]) {
  if (!ok) {
    console.error(`python bench: missing ${what}`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'stallscope-pybench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const childEnv = (extra = {}) => {
  const env = { ...process.env, NODE_OPTIONS: '', PYTHONDONTWRITEBYTECODE: '1', ...extra };
  delete env.PYTHONPATH; // the probe's folder comes from `stallscope run` only
  delete env.STALLSCOPE_OPTIONS;
  return env;
};

const load = (url, opts, onStart) => loadOnCore1(url, { connections: CONNECTIONS, ...opts }, onStart);

let serial = 0;
/** The native wake-up floor, measured once (the first loop's overhead part). */
let floor;
/** Starts `argv` on core 0; resolves once serve.py wrote its port (it listens before it writes). */
async function startServer(argv, env) {
  const portFile = join(work, `server-${++serial}.port`);
  return startOnCore0(argv, { env, cwd: PY_DIR, portFile, timeoutMs: 30_000 });
}

async function stop(s) {
  s.launcher.kill('SIGTERM');
  const { code, signal } = await s.exited;
  // uvicorn re-raises the SIGTERM it handled (143 through stallscope run, which passes the status on).
  if (code !== 0 && code !== 143 && signal !== 'SIGTERM') console.error(`  a server exited with ${code ?? signal}`);
}

async function atRate(s, rate, seconds) {
  let c0;
  const run = await load(s.url, { duration: seconds, overallRate: rate }, () => (c0 = threadCpuMs(s.pid)));
  const c1 = threadCpuMs(s.pid);
  // The probe's own threads (named `stallscope…` on Linux; faulthandler's timer thread inherits the watchdog's name): its cost free of the machine's noise.
  const probe = threadsNamed(s.pid, 'stallscope');
  return {
    cpuUsPerReq: (cpuDelta(c0, c1) * 1000) / run.total,
    probeThreadsUsPerReq: probe.size ? (cpuDelta(c0, c1, probe) * 1000) / run.total : undefined,
    p99Ms: run.p99,
    errors: run.errors,
  };
}

async function measure(config, loop, rate) {
  const s = await startServer(config.argv(loop), childEnv(config.env));
  try {
    await sleep(1500); // imports done, the probe connected
    const i0 = threadCpuMs(s.pid);
    await sleep(IDLE_S * 1000);
    const idleCpuPct = (cpuDelta(i0, threadCpuMs(s.pid)) / (IDLE_S * 1000)) * 100;
    const fixedRate = await atRate(s, rate, FIXED_S);
    await load(s.url, { duration: WARMUP_S });
    const sat = await load(s.url, { duration: SATURATE_S });
    return { rps: sat.rps, fixed: fixedRate, rssMb: rssMb(s.pid), idleCpuPct };
  } finally {
    await stop(s);
  }
}

async function paired(loop, rate) {
  const servers = [];
  try {
    for (const c of CONFIGS) servers.push(await startServer(c.argv(loop), childEnv(c.env)));
    await sleep(1500);
    for (const s of servers) await load(s.url, { duration: WARMUP_S });
    const ratios = Object.fromEntries(CONFIGS.slice(1).map((c) => [c.key, []]));
    for (let i = 0; i < PAIRED_CYCLES; i++) {
      const us = [];
      for (const k of servers.map((_, j) => (j + i) % servers.length)) us[k] = (await atRate(servers[k], rate, PAIRED_S)).cpuUsPerReq;
      CONFIGS.slice(1).forEach((c, j) => ratios[c.key].push(us[j + 1] / us[0]));
    }
    return ratios;
  } finally {
    for (const s of servers) await stop(s);
  }
}


const t0 = Date.now();
const out = { loops: {}, accuracy: {} };
console.log(`Python: hello-world FastAPI on uvicorn (httptools) on core 0, autocannon -c ${CONNECTIONS} in its own process on core 1`);
if (PARTS.includes('overhead')) console.log(`  ${ROUNDS} rounds, order alternating; per loop, config and round: idle ${IDLE_S} s, fixed rate ${FIXED_S} s, warm-up ${WARMUP_S} s, saturated ${SATURATE_S} s${QUICK ? ' (BENCH_QUICK: rough numbers)' : ''}`);
for (const loop of PARTS.includes('overhead') ? LOOPS : []) {
  const cal = await startServer(CONFIGS[0].argv(loop), childEnv());
  await sleep(1000);
  await load(cal.url, { duration: 1 });
  const calRun = await load(cal.url, { duration: QUICK ? 2 : 3 });
  await stop(cal);
  const rate = Math.max(200, Math.round((calRun.rps * 0.5) / 100) * 100);
  console.log(`\n  ${loop}: no probe saturates at ${Math.round(calRun.rps)} req/s → fixed rate ${rate} req/s`);
  const results = Object.fromEntries(CONFIGS.map((c) => [c.key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? [...CONFIGS].reverse() : CONFIGS;
    const parts = [];
    for (const config of order) {
      const r = await measure(config, loop, rate);
      results[config.key].push(r);
      parts.push(`${config.name} ${Math.round(r.rps)} req/s ${fixed(r.fixed.cpuUsPerReq)} µs/req`);
    }
    console.log(`  round ${round + 1}/${ROUNDS}: ${parts.join(' · ')}`);
  }
  const ratio = (key, f) => results[key].map((r, i) => f(r) / f(results.none[i]));
  const diff = (key, f) => results[key].map((r, i) => f(r) - f(results.none[i]));
  console.log(
    table([
      ['config', 'req/s (saturated)', `CPU µs/req @${rate}`, `p99 @${rate}`, 'RSS', 'idle CPU'],
      ...CONFIGS.map((c) => {
        const m = (f) => median(results[c.key].map(f));
        return [c.name, Math.round(m((r) => r.rps)), fixed(m((r) => r.fixed.cpuUsPerReq)), `${fixed(m((r) => r.fixed.p99Ms), 2)} ms`, `${fixed(m((r) => r.rssMb))} MB`, `${fixed(m((r) => r.idleCpuPct), 2)} %`];
      }),
    ]),
  );
  console.log(`  against no probe, per round: median [min–max]`);
  const pairedRatios = PAIRED_CYCLES > 0 ? await paired(loop, rate) : undefined;
  console.log(
    table([
      ['config', 'req/s ratio', 'CPU/req ratio', 'CPU/req paired', 'p99 added', 'RSS added', 'idle CPU added'],
      ...CONFIGS.slice(1).map((c) => [
        c.name,
        spread(ratio(c.key, (r) => r.rps), 3),
        spread(ratio(c.key, (r) => r.fixed.cpuUsPerReq), 3),
        pairedRatios ? spread(pairedRatios[c.key], 3) : '–',
        `${signed(diff(c.key, (r) => r.fixed.p99Ms), 2)} ms`,
        `${signed(diff(c.key, (r) => r.rssMb), 1)} MB`,
        `${signed(diff(c.key, (r) => r.idleCpuPct), 2)} %`,
      ]),
    ]),
  );
  const probeUs = median(results.stallscope.map((r) => r.fixed.probeThreadsUsPerReq ?? NaN));
  console.log(`  stallscope: its own threads (watchdog, socket writer, faulthandler's timer) ${fixed(probeUs, 3)} µs/req @${rate}.`);
  floor ??= await wakeFloor(work);
  console.log(floorLine(floor, rate, median(results.none.map((r) => r.fixed.cpuUsPerReq))));
  out.loops[loop] = { rate, results, pairedRatios };
}

// ─── accuracy: every blocking kind, its line, route and duration against the ground truth ───
const KINDS = ['sleep', 'pbkdf2', 'cpu', 'json', 'regex', 'def-json', 'def-export'];
const source = readFileSync(BLOCKING, 'utf8').split('\n');
const lineOf = (kind) => source.findIndex((l) => l.includes(`# BLOCK:${kind}`) && !l.includes(`# BLOCK:${kind}-`)) + 1;

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => res.resume().on('end', () => resolve(res.statusCode))).on('error', reject);
  });
}

async function accuracy(loop) {
  const truthFile = join(work, `truth-${loop}.jsonl`);
  const report = join(work, `report-${loop}.json`);
  const s = await startServer([process.execPath, CLI, 'run', '--quiet', '--out', report, '--', PYTHON, SERVE, 'blocking:app', loop], childEnv({ TRUTH_FILE: truthFile }));
  try {
    await sleep(1500);
    for (let i = 0; i < CALLS; i++) {
      for (const kind of KINDS) {
        const status = await get(`${s.url}${kind}`);
        if (status !== 200) throw new Error(`GET /${kind}: ${status}`);
        await sleep(250); // the loop runs freely between two calls: their stalls stay apart
      }
    }
  } finally {
    await stop(s);
  }
  const truths = existsSync(truthFile) ? readFileSync(truthFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const { stalls } = JSON.parse(readFileSync(report, 'utf8'));
  const rows = [];
  for (const kind of KINDS) {
    const line = lineOf(kind);
    const route = `GET /${kind}`;
    const calls = kind === 'def-export' ? CALLS : truths.filter((t) => t.kind === kind).length;
    // def-export has no line of ours to time: its stalls are matched by route alone.
    const matched =
      kind === 'def-export'
        ? stalls.filter((st) => st.handler?.label === route).map((st) => ({ st }))
        : truths
            .filter((t) => t.kind === kind)
            .map((t) => ({
              t,
              st: stalls
                .filter((st) => st.pid === t.pid && st.startMs <= t.startMs + t.durationMs && st.startMs + st.durationMs >= t.startMs)
                .sort((a, b) => b.durationMs - a.durationMs)[0],
            }))
            .filter((m) => m.st);
    const lineRight = matched.filter((m) => m.st.culprit?.file === BLOCKING && m.st.culprit.line === line).length;
    const routeRight = matched.filter((m) => m.st.handler?.label === route).length;
    const errors = matched.filter((m) => m.t).map((m) => m.st.durationMs - m.t.durationMs);
    const causes = [...new Set(matched.map((m) => [m.st.cause?.kind, m.st.cause?.api].filter(Boolean).join(' ')).filter(Boolean))].join(', ');
    rows.push({ kind, calls, flagged: kind === 'def-export' ? Math.min(matched.length, calls) : matched.length, lineRight, routeRight, errors, causes });
  }
  return rows;
}

for (const loop of PARTS.includes('accuracy') ? LOOPS : []) {
  const rows = await accuracy(loop);
  out.accuracy[loop] = rows;
  console.log(`\n  Accuracy on ${loop}: ${CALLS} calls per kind, each stall matched to its call's ground truth`);
  console.log(
    table([
      ['kind', 'flagged', 'line right', 'route right', 'duration − truth (median [min–max])', 'cause'],
      ...rows.map((r) => [
        r.kind,
        `${r.flagged}/${r.calls}`,
        r.kind === 'def-export' ? 'n/a (FastAPI)' : `${r.lineRight}/${r.calls}`,
        `${r.routeRight}/${r.kind === 'def-export' ? r.flagged : r.calls}`,
        r.errors.length ? `${signed(r.errors, 1)} ms` : '–',
        r.causes || '–',
      ]),
    ]),
  );
}

console.log('\n  Goals: CPU/req ≤ 1.01× no probe (paired median); p99 added ≤ 1 ms; RSS added ≤ 10 MB; |duration − truth| ≤ 2 ms; every line right.');
console.log(`  python section: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
const outDir = join(ROOT, '.stallscope', 'bench');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `python-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, JSON.stringify(out, null, 1));
console.log(`  raw results: ${outFile.slice(ROOT.length + 1)}`);
