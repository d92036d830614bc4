// Shared helpers for bench sections: configuration from env, statistics, per-thread CPU, tables,
// the load generator on core 1 and a server on core 0.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const LOAD = join(dirname(fileURLToPath(import.meta.url)), 'load.mjs');

/** BENCH_QUICK=1 shrinks every default so a whole run takes a couple of minutes (numbers are then rough). */
export const QUICK = process.env.BENCH_QUICK === '1';

export function envNumber(name, normal, quick = normal) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return QUICK ? quick : normal;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * CPU time (ms) of every thread of `pid`, from /proc/<pid>/task/<tid>/schedstat (nanoseconds, so an
 * idle process's few milliseconds are measurable, unlike the 10 ms ticks of /stat). Summing all
 * threads counts the probe's own watchdog worker, libuv's pool and V8's helpers.
 */
export function threadCpuMs(pid) {
  const out = new Map();
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out.set(tid, ns / 1e6);
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

/** CPU ms used between two threadCpuMs snapshots (threads that appeared in between count from 0); `only`: these tids. */
export function cpuDelta(before, after, only) {
  let ms = 0;
  for (const [tid, t] of after) if (!only || only.has(tid)) ms += t - (before.get(tid) ?? 0);
  return ms;
}

/** Thread ids of `pid` whose name (/proc/.../comm, 15 characters at most) starts with `prefix`. */
export function threadsNamed(pid, prefix) {
  const out = new Set();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().startsWith(prefix)) out.add(tid);
      } catch {
        // the thread ended
      }
    }
  } catch {
    // the process ended
  }
  return out;
}

export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** A plain text table: first row is the header; numbers right-aligned. */
export function table(rows, { indent = '  ' } = {}) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const isNum = (v) => typeof v === 'number' || /^[-+~]?[\d.]+( ?[%×a-zµ/]+)?( \(.*\))?$/.test(String(v));
  const line = (r) => indent + r.map((v, c) => (c > 0 && isNum(v) ? String(v).padStart(widths[c]) : String(v).padEnd(widths[c]))).join('  ').trimEnd();
  return [line(rows[0]), indent + widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function fixed(n, digits = 1) {
  return Number.isFinite(n) ? n.toFixed(digits) : '–';
}

/** A difference, with its sign: `+0.27`, `-0.50`. */
export function plus(n, digits = 1) {
  return `${n >= 0 ? '+' : ''}${fixed(n, digits)}`;
}

/** The median of `xs` and their range: `1.06 [0.94–1.21]`. */
export function spread(xs, digits, suffix = '') {
  return `${fixed(median(xs), digits)}${suffix} [${fixed(Math.min(...xs), digits)}–${fixed(Math.max(...xs), digits)}]`;
}

/** The same for differences, signed: `+0.32 [-0.62–+0.69]`. */
export function signed(xs, digits) {
  return `${plus(median(xs), digits)} [${plus(Math.min(...xs), digits)}–${plus(Math.max(...xs), digits)}]`;
}

/**
 * bench/load.mjs (autocannon) on core 1 against `url` with `opts` (duration, connections,
 * overallRate); `onStart` when its connections are up. Resolves with its summary line.
 */
export function loadOnCore1(url, opts, onStart) {
  return new Promise((resolve, reject) => {
    const p = spawn('taskset', ['-c', '1', process.execPath, LOAD, JSON.stringify({ url, ...opts })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let result;
    createInterface({ input: p.stdout }).on('line', (line) => {
      if (line === 'start') onStart?.();
      else result = JSON.parse(line);
    });
    // 'close', not 'exit': stdout is fully read by then.
    p.on('close', (code) => {
      if (code !== 0 || !result || result.error) reject(new Error(`load generator failed: ${result?.error ?? `exit ${code}`}`));
      else resolve(result);
    });
  });
}

/**
 * Starts `argv` on core 0 with PORT_FILE set; resolves once the server wrote `{ port, pid }` there
 * (it listens before it writes). `taskset` execs the command: the launcher's pid is the command's.
 */
export async function startOnCore0(argv, { env, cwd, portFile, name = argv.join(' '), timeoutMs = 15_000 }) {
  const launcher = spawn('taskset', ['-c', '0', ...argv], { cwd, stdio: ['ignore', 'ignore', 'inherit'], env: { ...env, PORT_FILE: portFile } });
  const exited = new Promise((r) => launcher.on('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(portFile)) {
    if (Date.now() > deadline || launcher.exitCode !== null) throw new Error(`${name}: the server did not start`);
    await sleep(20);
  }
  const { port, pid } = JSON.parse(readFileSync(portFile, 'utf8'));
  return { url: `http://127.0.0.1:${port}/`, pid, launcher, exited };
}

/** The watchdogs' look period at the servers' threshold, the default 50 ms (DEFAULT_THRESHOLD_MS): a look at the last beat + threshold + 1 ms. */
const LOOK_PERIOD_MS = 51;
const FLOOR_S = envNumber('BENCH_FLOOR_S', 10, 3);

/**
 * The floor of any watchdog that looks once per threshold, on this machine: the CPU (% of a core) of
 * a native thread that only wakes every LOOK_PERIOD_MS (bench/wake-floor.c), without and with one
 * /proc read per wake-up, each for BENCH_FLOOR_S seconds on core 0. `{ reason }` without a C compiler.
 */
export async function wakeFloor(workDir) {
  const exe = join(workDir, 'wake-floor');
  const cc = spawnSync('cc', ['-O2', '-pthread', '-o', exe, join(dirname(LOAD), 'wake-floor.c')], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) return { reason: `no C compiler to build bench/wake-floor.c (${cc.error?.message ?? cc.stderr.trim().split('\n')[0]})` };
  const run = async (args) => {
    const p = spawn('taskset', ['-c', '0', exe, String(LOOK_PERIOD_MS), ...args], { stdio: 'ignore' });
    await sleep(1000);
    const c0 = threadCpuMs(p.pid);
    await sleep(FLOOR_S * 1000);
    const pct = (cpuDelta(c0, threadCpuMs(p.pid)) / (FLOOR_S * 1000)) * 100;
    p.kill('SIGKILL');
    return pct;
  };
  return { sleepPct: await run([]), readPct: await run(['read']) };
}

/**
 * What the floor means for CPU per request at `rate` req/s against no probe's `baseUsPerReq`: the
 * lowest ratio any once-per-threshold watchdog could reach there, beside the probe's own thread.
 */
export function floorLine(floor, rate, baseUsPerReq, watchdogUsPerReq) {
  if (floor.reason) return `  Watchdog floor not measured: ${floor.reason}.`;
  const us = (pct) => (pct / 100) * 1e6 / rate;
  const x = (pct) => fixed(1 + us(pct) / baseUsPerReq, 3);
  return (
    `  The floor of any watchdog that looks once per threshold, here: a native thread waking every ${LOOK_PERIOD_MS} ms costs` +
    ` ${fixed(floor.sleepPct, 3)} % of a core (${fixed(floor.readPct, 3)} % with its /proc read), ${fixed(us(floor.sleepPct), 3)}–${fixed(us(floor.readPct), 3)} µs/req` +
    ` at ${rate} req/s: ${x(floor.sleepPct)}–${x(floor.readPct)}× no probe's CPU/req (${fixed(baseUsPerReq, 2)} µs) before it does any work.` +
    (Number.isFinite(watchdogUsPerReq) ? ` The probe's own watchdog thread: ${fixed(watchdogUsPerReq, 3)} µs/req.` : '')
  );
}
