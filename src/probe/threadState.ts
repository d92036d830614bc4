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
 *
 * And /proc/self/task/<tid>/syscall, the system call a sleeping thread is in: an idle loop sleeps
 * in epoll, a loop blocked in Atomics.wait, a sync read of a pipe or a sync sleep sleeps elsewhere
 * while its CPU time stands still just the same (measured: 2 µs a pread).
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

/** epoll_wait, epoll_pwait, epoll_pwait2: where libuv's loop (and spawnSync's own loop) sleeps. */
const EPOLL_CALLS: Partial<Record<string, readonly number[]>> = { x64: [232, 281, 441], arm64: [22, 441] };
const epollCalls = EPOLL_CALLS[process.arch];
let syscallBroken = process.platform !== 'linux' || !epollCalls;
const syscallFds = new Map<number, number>();

/**
 * True when the thread sleeps in a system call that is not epoll: a synchronous call holds its
 * loop (futex for Atomics.wait, read, nanosleep...). False when it waits in epoll, runs ("running"),
 * or the kernel does not say (another architecture, no /proc, a kernel without the file).
 */
export function inSyncCall(tid: number): boolean {
  if (syscallBroken) return false;
  try {
    let fd = syscallFds.get(tid);
    if (fd === undefined) {
      fd = openSync(`/proc/self/task/${tid}/syscall`, 'r');
      syscallFds.set(tid, fd);
    }
    const n = readSync(fd, buf, 0, buf.length, 0);
    // "<nr> <args in hex> <sp> <pc>", or "running", or "-1 <sp> <pc>" (blocked outside a call).
    if (n === 0 || buf[0] < 48 || buf[0] > 57) return false;
    let nr = 0;
    for (let i = 0; i < n && buf[i] !== 32; i++) nr = nr * 10 + buf[i] - 48;
    return !epollCalls!.includes(nr);
  } catch {
    syscallBroken = true;
    return false;
  }
}
