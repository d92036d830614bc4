/**
 * The probe's idle cost: CPU time of an idle program (an HTTP server nobody calls) over a window,
 * with and without the probe (connected to a host), summed over all the process's threads from
 * /proc/<pid>/task/<tid>/schedstat (ns precision; Linux only). Alternating runs, medians.
 *
 *   npx tsx test/probe/idleCost.ts [seconds=10] [rounds=3]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ProbeHost, ensureProbeBuilt, median, sleep, spawnProbed } from './harness';

export interface IdleCost {
  seconds: number;
  /** CPU ms per second of wall time (= tenths of a percent of one core), per round. */
  plainMsPerS: number[];
  probedMsPerS: number[];
  /** Median added cost, in percent of one core. */
  addedPercentOfCore: number;
  /** Median CPU of the probe's watchdog thread alone, ms/s. */
  watchdogMsPerS: number;
}

function threadCpu(pid: number): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'latin1').trim();
      out.set(tid, { name, ms: ns / 1e6 });
    } catch {
      // a thread that just ended
    }
  }
  return out;
}

async function once(host: ProbeHost | undefined, seconds: number): Promise<{ total: number; watchdog: number }> {
  const p = spawnProbed(join(FIXTURES, 'idle.js'), [], host ? { host, env: process.env.STALLSCOPE_DEBUG ? { STALLSCOPE_DEBUG: '1' } : {} } : {});
  try {
    await p.waitForOutput(/idle/);
    await sleep(Number(process.env.IDLE_COST_WARMUP_MS ?? 3000)); // start-up done, connection made, heartbeat parked
    const a = threadCpu(p.pid);
    await sleep(seconds * 1000);
    const b = threadCpu(p.pid);
    let total = 0;
    let watchdog = 0;
    const parts: string[] = [];
    for (const [tid, v] of b) {
      const d = v.ms - (a.get(tid)?.ms ?? 0);
      total += d;
      if (v.name.startsWith('stallscope')) watchdog += d;
      if (d / seconds > 0.05) parts.push(`${tid === String(p.pid) ? 'main' : v.name}:${(d / seconds).toFixed(2)}`);
    }
    if (process.env.IDLE_COST_VERBOSE) console.log(host ? 'probed' : 'plain', parts.join(' '));
    return { total: total / seconds, watchdog: watchdog / seconds };
  } finally {
    p.kill();
    await p.exited;
    if (process.env.STALLSCOPE_DEBUG) console.log(p.stderr);
  }
}

export async function measureIdleCost(seconds = 10, rounds = 3): Promise<IdleCost> {
  ensureProbeBuilt();
  const host = await ProbeHost.start();
  const plain: number[] = [];
  const probed: number[] = [];
  const wd: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      plain.push((await once(undefined, seconds)).total);
      const x = await once(host, seconds);
      probed.push(x.total);
      wd.push(x.watchdog);
    }
  } finally {
    await host.close();
  }
  return {
    seconds,
    plainMsPerS: plain,
    probedMsPerS: probed,
    addedPercentOfCore: (median(probed) - median(plain)) / 10,
    watchdogMsPerS: median(wd),
  };
}

if (require.main === module) {
  measureIdleCost(Number(process.argv[2] ?? 10), Number(process.argv[3] ?? 3)).then((c) => {
    const f = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
    console.log(`idle CPU over ${c.seconds} s, ms per s (all threads): without probe [${f(c.plainMsPerS)}], with probe [${f(c.probedMsPerS)}]`);
    console.log(`added: ${c.addedPercentOfCore.toFixed(3)} % of one core (median); watchdog thread alone ${c.watchdogMsPerS.toFixed(2)} ms/s`);
  });
}
