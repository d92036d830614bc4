// Overhead of the probe on a hello-world node:http server: no probe vs the Stallscope probe (under
// `stallscope run`, as it starts; and with every request tracked, as the extension and `check` run it)
// vs the strongest peer, Sentry's native event-loop-block watchdog. One process run, alternating
// rounds, server (and, for Stallscope, its CLI host) pinned to core 0 with taskset, autocannon in its
// own process on core 1.
//
// The states users run in, per config and round: idle CPU; CPU per request and p99 at a moderate fixed
// rate on a FRESH server (BENCH_USER_RATE, 6000 req/s); saturated req/s; the same moderate rate AFTER
// SATURATION (a saturated loop lags, and a probe that arms extra work on lag pays for it here); and a
// heavy fixed rate (half the calibrated saturation). RSS at the end. Ratios against no probe are taken
// within each round, then the median and the spread (min–max) over rounds are printed. Then the paired
// phase: every server side by side, the fixed-rate load alternating between them, at both rates, and
// after the first, their idle CPU side by side (the rounds' idle is that of a server just started).
//
// Env: BENCH_CONFIGS (none,stallscope,tracked,sentry; `blockedAt` adds npm blocked-at, `als`
//      AsyncLocalStorage alone, `ref` another build of Stallscope: BENCH_REF_CLI, BENCH_REF_NAME),
//      BENCH_ROUNDS (5), BENCH_IDLE_S (5), BENCH_WARMUP_S (2), BENCH_SATURATE_S (6), BENCH_STATE_S (5), BENCH_FIXED_S (6), BENCH_USER_RATE (6000), BENCH_STEADY_IDLE_S (10),
//      BENCH_FLOOR_S (10: the native wake-up floor, bench/wake-floor.c, needs cc),
//      BENCH_RATE (the heavy rate; default half the calibrated no-probe saturation), BENCH_QUICK=1.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuDelta, envNumber, fixed, floorLine, loadOnCore1, median, plus, rssMb, signed, sleep, spread, startOnCore0, table, threadCpuMs, threadsNamed, wakeFloor, QUICK } from './lib.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const SERVER = join(HERE, 'hello-server.js');
const PRELOAD = join(HERE, 'blocked-at-preload.js');
const SENTRY_PRELOAD = join(HERE, 'sentry-preload.js');
const ALS_PRELOAD = join(HERE, 'als-preload.js');
const REF_CLI = process.env.BENCH_REF_CLI ?? '';

const ROUNDS = envNumber('BENCH_ROUNDS', 5, 3);
const IDLE_S = envNumber('BENCH_IDLE_S', 5, 2);
const WARMUP_S = envNumber('BENCH_WARMUP_S', 2, 1);
const SATURATE_S = envNumber('BENCH_SATURATE_S', 6, 2);
const STATE_S = envNumber('BENCH_STATE_S', 5, 2);
const FIXED_S = envNumber('BENCH_FIXED_S', 6, 3);
const USER_RATE = envNumber('BENCH_USER_RATE', 6000);
const PAIRED_CYCLES = envNumber('BENCH_PAIRED_CYCLES', 10, 4);
const PAIRED_S = envNumber('BENCH_PAIRED_S', 2, 1);
const STEADY_IDLE_S = envNumber('BENCH_STEADY_IDLE_S', 10, 4);
const CONNECTIONS = 50;

const CONFIGS = [
  { name: 'no probe', key: 'none', argv: () => [process.execPath, SERVER] },
  { name: 'stallscope', key: 'stallscope', argv: () => [process.execPath, CLI, 'run', '--quiet', '--', process.execPath, SERVER], host: true },
  {
    name: 'stallscope tracked',
    key: 'tracked',
    argv: () => [process.execPath, CLI, 'run', '--quiet', '--track-requests', '--', process.execPath, SERVER],
    host: true,
  },
  { name: 'sentry', key: 'sentry', argv: () => [process.execPath, '--require', SENTRY_PRELOAD, SERVER] },
  { name: 'blocked-at', key: 'blockedAt', argv: () => [process.execPath, '--require', PRELOAD, SERVER], optIn: true },
  // Opt-in reference (BENCH_CONFIGS): AsyncLocalStorage alone, as tracked requests cost it.
  { name: 'ALS alone', key: 'als', argv: () => [process.execPath, '--require', ALS_PRELOAD, SERVER], optIn: true },
  // Opt-in: another build of Stallscope (BENCH_REF_CLI: its dist/cli.js, e.g. a git worktree of an
  // earlier commit) run side by side, so a change is measured before and after in one run.
  { name: `stallscope @ ${process.env.BENCH_REF_NAME ?? 'ref'}`, key: 'ref', argv: () => [process.execPath, REF_CLI, 'run', '--quiet', '--', process.execPath, SERVER], host: true, optIn: true },
].filter((c) => (process.env.BENCH_CONFIGS ? process.env.BENCH_CONFIGS.split(',').includes(c.key) : !c.optIn));
if (CONFIGS.some((c) => c.key === 'ref') && !existsSync(REF_CLI)) {
  console.error(`overhead: the "ref" config needs BENCH_REF_CLI, the dist/cli.js of another build (${REF_CLI ? `${REF_CLI} does not exist` : 'not set'})`);
  process.exit(1);
}
if (CONFIGS[0]?.key !== 'none') {
  console.error('overhead: BENCH_CONFIGS must include "none" (the baseline every ratio is taken against)');
  process.exit(1);
}

if (!existsSync(CLI)) {
  console.error(`overhead: ${CLI} is missing; run "npm run build" first`);
  process.exit(1);
}
for (const cmd of ['taskset']) {
  const r = await new Promise((res) => spawn(cmd, ['--version'], { stdio: 'ignore' }).on('error', () => res(false)).on('exit', () => res(true)));
  if (!r) {
    console.error(`overhead: "${cmd}" is needed to pin the server and the load generator to their own cores (apt-get install util-linux)`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'stallscope-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

const load = (url, opts, onStart) => loadOnCore1(url, { connections: CONNECTIONS, ...opts }, onStart);

async function startServer(config) {
  const portFile = join(work, `${config.key}.port`);
  rmSync(portFile, { force: true });
  const s = await startOnCore0(config.argv(), { env: { ...process.env, NODE_OPTIONS: '' }, portFile, name: config.name });
  // Under stallscope the launcher is the CLI, the probe's host.
  return { ...s, hostPid: config.host ? s.launcher.pid : undefined };
}

/** CPU per request (all of the server's threads) and latency at a fixed rate. */
async function atRate(s, rate, seconds) {
  let c0;
  let hc0;
  const run = await load(s.url, { duration: seconds, overallRate: rate }, () => {
    c0 = threadCpuMs(s.pid);
    hc0 = s.hostPid ? threadCpuMs(s.hostPid) : undefined;
  });
  const c1 = threadCpuMs(s.pid);
  const hc1 = s.hostPid ? threadCpuMs(s.hostPid) : undefined;
  // The probe's own thread (the worker is named stallscope-…): its cost free of the machine's noise.
  const watchdog = s.hostPid ? threadsNamed(s.pid, 'stallscope') : undefined;
  return {
    cpuUsPerReq: (cpuDelta(c0, c1) * 1000) / run.total,
    hostUsPerReq: hc0 ? (cpuDelta(hc0, hc1) * 1000) / run.total : undefined,
    watchdogUsPerReq: watchdog?.size ? (cpuDelta(c0, c1, watchdog) * 1000) / run.total : undefined,
    p50Ms: run.p50,
    p99Ms: run.p99,
  };
}

async function measure(config, rate) {
  const s = await startServer(config);
  try {
    await sleep(1000); // the probe connects and settles; V8 compiles the startup code
    const i0 = threadCpuMs(s.pid);
    const h0 = s.hostPid ? threadCpuMs(s.hostPid) : undefined;
    await sleep(IDLE_S * 1000);
    const idleCpuPct = (cpuDelta(i0, threadCpuMs(s.pid)) / (IDLE_S * 1000)) * 100;
    const hostIdlePct = s.hostPid ? (cpuDelta(h0, threadCpuMs(s.hostPid)) / (IDLE_S * 1000)) * 100 : undefined;

    const fresh = await atRate(s, USER_RATE, STATE_S);
    await load(s.url, { duration: WARMUP_S });
    const sat = await load(s.url, { duration: SATURATE_S });
    const afterSat = await atRate(s, USER_RATE, STATE_S);
    const heavy = await atRate(s, rate, FIXED_S);
    return { rps: sat.rps, satErrors: sat.errors, fresh, afterSat, heavy, rssMb: rssMb(s.pid), idleCpuPct, hostIdlePct };
  } finally {
    s.launcher.kill('SIGTERM');
    const { code, signal } = await s.exited;
    if (code !== 0 && signal !== 'SIGTERM') console.error(`  ${config.name}: exited with ${code ?? signal}`);
  }
}

const t0 = Date.now();
console.log(`Overhead: hello-world node:http server on core 0, autocannon -c ${CONNECTIONS} in its own process on core 1`);
let rate = envNumber('BENCH_RATE', 0);
if (!rate) {
  const s = await startServer(CONFIGS[0]);
  await sleep(500);
  await load(s.url, { duration: 1 });
  const cal = await load(s.url, { duration: QUICK ? 2 : 3 });
  s.launcher.kill('SIGTERM');
  await s.exited;
  rate = Math.max(500, Math.round((cal.rps * 0.5) / 100) * 100);
  console.log(`  calibration: no probe saturates at ${Math.round(cal.rps)} req/s → fixed rate ${rate} req/s (half of it)`);
}
console.log(
  `  ${ROUNDS} rounds, order alternating; per config and round: idle ${IDLE_S} s, fresh at ${USER_RATE} req/s ${STATE_S} s, ` +
    `warm-up ${WARMUP_S} s, saturated ${SATURATE_S} s, after saturation at ${USER_RATE} req/s ${STATE_S} s, ` +
    `heavy at ${rate} req/s ${FIXED_S} s${QUICK ? ' (BENCH_QUICK: rough numbers)' : ''}` +
    `\n  CPU µs/req per round below: fresh / after saturation / heavy`,
);

const results = Object.fromEntries(CONFIGS.map((c) => [c.key, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 ? [...CONFIGS].reverse() : CONFIGS;
  const parts = [];
  for (const config of order) {
    const r = await measure(config, rate);
    results[config.key].push(r);
    parts.push(`${config.name} ${Math.round(r.rps)} req/s ${fixed(r.fresh.cpuUsPerReq)}/${fixed(r.afterSat.cpuUsPerReq)}/${fixed(r.heavy.cpuUsPerReq)} µs/req`);
  }
  console.log(`  round ${round + 1}/${ROUNDS}: ${parts.join(' · ')}`);
}

const med = (key, f) => median(results[key].map(f));
const ratio = (key, f) => results[key].map((r, i) => f(r) / f(results.none[i]));
const diff = (key, f) => results[key].map((r, i) => f(r) - f(results.none[i]));

const STATES = [
  ['fresh', `fresh @${USER_RATE}`],
  ['afterSat', `after saturation @${USER_RATE}`],
  ['heavy', `heavy @${rate}`],
];
console.log('\n  Medians over rounds');
console.log(
  table([
    ['config', 'req/s (saturated)', ...STATES.map(([, n]) => `CPU µs/req ${n}`), `p99 after sat.`, 'RSS', 'idle CPU'],
    ...CONFIGS.map((c) => [
      c.name,
      Math.round(med(c.key, (r) => r.rps)),
      ...STATES.map(([k]) => fixed(med(c.key, (r) => r[k].cpuUsPerReq))),
      `${fixed(med(c.key, (r) => r.afterSat.p99Ms), 2)} ms`,
      `${fixed(med(c.key, (r) => r.rssMb))} MB`,
      `${fixed(med(c.key, (r) => r.idleCpuPct), 3)} %`,
    ]),
  ]),
);
console.log('\n  Against no probe, per round: median [min–max]');
console.log(
  table([
    ['config', 'req/s ratio', ...STATES.map(([, n]) => `CPU/req ${n}`), ...STATES.map(([, n]) => `p99 added ${n}`), 'RSS added', 'idle CPU added'],
    ...CONFIGS.slice(1).map((c) => [
      c.name,
      spread(ratio(c.key, (r) => r.rps), 3),
      ...STATES.map(([k]) => spread(ratio(c.key, (r) => r[k].cpuUsPerReq), 3)),
      ...STATES.map(([k]) => `${signed(diff(c.key, (r) => r[k].p99Ms), 2)} ms`),
      `${signed(diff(c.key, (r) => r.rssMb), 1)} MB`,
      `${signed(diff(c.key, (r) => r.idleCpuPct), 3)} % of a core`,
    ]),
  ]),
);
for (const key of ['stallscope', 'tracked', 'ref']) {
  const host = results[key];
  if (!host) continue;
  const wd = median(host.map((r) => r.afterSat.watchdogUsPerReq ?? NaN));
  const base = median(results.none.map((r) => r.afterSat.cpuUsPerReq));
  console.log(
    `\n  ${CONFIGS.find((c) => c.key === key).name}: its watchdog thread ${fixed(wd, 3)} µs/req after saturation (${fixed((wd / base) * 100, 2)} % of no probe's CPU/req);` +
      ` its CLI host (a separate process, also on core 0) ${fixed(median(host.map((r) => r.afterSat.hostUsPerReq)), 2)} µs/req,` +
      ` ${fixed(median(host.map((r) => r.hostIdlePct)), 3)} % of a core idle.`,
  );
}
/**
 * CPU per request, paired. The rounds above start a fresh server per config and round, and on this
 * kind of VM two runs of the same server differ by several per cent (steal time, frequency): a 1 %
 * effect drowns. Here every server runs side by side on core 0 for the whole phase, and the
 * fixed-rate load goes to each in turn for PAIRED_S seconds (the order rotating every cycle), so each
 * probe sub-phase has a no-probe neighbour measured within seconds on the same machine state.
 */
async function paired(rate, idleAfter) {
  if (PAIRED_CYCLES < 1 || CONFIGS.length < 2) return undefined;
  const servers = [];
  for (const c of CONFIGS) servers.push(await startServer(c));
  try {
    await sleep(1000);
    // Saturate each first: the state a server is in after a burst is the one users run in.
    for (const s of servers) await load(s.url, { duration: WARMUP_S });
    const all = Object.fromEntries(CONFIGS.slice(1).map((c) => [c.key, []]));
    const main = Object.fromEntries(CONFIGS.slice(1).map((c) => [c.key, []]));
    for (let i = 0; i < PAIRED_CYCLES; i++) {
      const usPerReq = [];
      const mainUs = [];
      const order = servers.map((_, k) => (k + i) % servers.length);
      for (const k of order) {
        const s = servers[k];
        let c0;
        const run = await load(s.url, { duration: PAIRED_S, overallRate: rate }, () => (c0 = threadCpuMs(s.pid)));
        const c1 = threadCpuMs(s.pid);
        usPerReq[k] = (cpuDelta(c0, c1) * 1000) / run.total;
        mainUs[k] = (cpuDelta(c0, c1, new Set([String(s.pid)])) * 1000) / run.total;
      }
      CONFIGS.slice(1).forEach((c, j) => {
        all[c.key].push(usPerReq[j + 1] / usPerReq[0]);
        main[c.key].push(mainUs[j + 1] / mainUs[0]);
      });
    }
    // Idle once every server has run for a while (its code compiled, its start-up chores over), all
    // side by side: what an idle server costs for the rest of its life. The rounds' idle above is
    // the first seconds after start.
    let steadyIdlePct;
    if (idleAfter) {
      await sleep(1000);
      const c0 = servers.map((s) => threadCpuMs(s.pid));
      await sleep(STEADY_IDLE_S * 1000);
      steadyIdlePct = servers.map((s, k) => (cpuDelta(c0[k], threadCpuMs(s.pid)) / (STEADY_IDLE_S * 1000)) * 100);
    }
    return { all, main, steadyIdlePct };
  } finally {
    for (const s of servers) {
      s.launcher.kill('SIGTERM');
      await s.exited;
    }
  }
}

const pairedRatios = {};
let steadyIdle;
for (const [label, r] of [[`${USER_RATE} req/s`, USER_RATE], [`${rate} req/s`, rate]]) {
  const p = await paired(r, steadyIdle === undefined);
  if (!p) continue;
  pairedRatios[label] = p;
  steadyIdle ??= p.steadyIdlePct;
  console.log(`\n  CPU/req paired at ${label} (all servers side by side after a burst, load rotating every ${PAIRED_S} s, ${PAIRED_CYCLES} cycles), / no probe, median [min–max]:`);
  console.log(
    table([
      ['config', 'all threads', 'main thread only'],
      ...CONFIGS.slice(1).map((c) => [c.name, spread(p.all[c.key], 3), spread(p.main[c.key], 3)]),
    ]),
  );
}
if (steadyIdle) {
  console.log(`\n  Idle CPU once every server has run for a while (after the first paired phase), side by side for ${STEADY_IDLE_S} s:`);
  console.log(
    table([
      ['config', 'idle CPU', 'added'],
      ...CONFIGS.map((c, k) => [c.name, `${fixed(steadyIdle[k], 3)} %`, k === 0 ? '' : `${plus(steadyIdle[k] - steadyIdle[0], 3)} % of a core`]),
    ]),
  );
}
const floor = await wakeFloor(work);
console.log(
  `\n${floorLine(floor, USER_RATE, median(results.none.map((r) => r.afterSat.cpuUsPerReq)), median(results.stallscope.map((r) => r.afterSat.watchdogUsPerReq ?? NaN)))}`,
);
console.log('\n  Goals: CPU/req ≤ 1.01× no probe (paired median); p99 added ≤ 1 ms; RSS added ≤ 15 MB; idle cost toward 0.2 % of a core; ahead of the peer on every figure.');
console.log(`  overhead section: ${((Date.now() - t0) / 1000).toFixed(0)} s`);

const outDir = join(ROOT, '.stallscope', 'bench');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, `overhead-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, JSON.stringify({ rate, rounds: ROUNDS, userRate: USER_RATE, durations: { IDLE_S, WARMUP_S, SATURATE_S, STATE_S, FIXED_S, PAIRED_S, STEADY_IDLE_S }, results, pairedRatios, steadyIdlePct: steadyIdle }, null, 1));
console.log(`  raw results: ${outFile.slice(ROOT.length + 1)}`);
