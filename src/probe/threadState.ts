/**
 * What the kernel says about a thread of ours (Linux /proc/self/task/<tid>/schedstat: time on a
 * CPU and time runnable but waiting for one). Elsewhere: nothing, and the watchdog falls back to
 * wall time and to an always-running heartbeat. The file stays open: a pread costs ~2-7 µs where
 * an open+read+close costs 20-150 µs, and the watchdog reads it ~20 times a second while the
 * program idles.
 *
 * It tells the watchdog:
 * - whether a parked (idle) loop is still idle: its CPU time did not move;
 * - whether a late snapshot was late because the thread sat in a call V8 cannot interrupt (its own
 *   time) or because the machine gave it no CPU (runqueue time);
 * - whether a silent heartbeat is a CPU-starved idle loop rather than a blocked one.
 */
import { openSync, readSync } from 'node:fs';

export interface SchedTimes {
  cpuMs: number;
  runqueueMs: number;
}

let broken = process.platform !== 'linux';
const fds = new Map<number, number>();
const buf = Buffer.alloc(128);

export function readSchedstat(tid: number): SchedTimes | undefined {
  if (broken) return undefined;
  try {
    let fd = fds.get(tid);
    if (fd === undefined) {
      fd = openSync(`/proc/self/task/${tid}/schedstat`, 'r');
      fds.set(tid, fd);
    }
    const n = readSync(fd, buf, 0, buf.length, 0);
    // "<ns on cpu> <ns waiting> <timeslices>": parsed from the bytes, no string split.
    let i = 0;
    let cpu = 0;
    let wait = 0;
    while (i < n && buf[i] !== 32) cpu = cpu * 10 + buf[i++] - 48;
    i++;
    while (i < n && buf[i] !== 32) wait = wait * 10 + buf[i++] - 48;
    if (!Number.isFinite(cpu) || !Number.isFinite(wait) || i >= n) throw new Error('unexpected schedstat');
    return { cpuMs: cpu / 1e6, runqueueMs: wait / 1e6 };
  } catch {
    broken = true;
    return undefined;
  }
}
