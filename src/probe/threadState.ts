/**
 * What the kernel says about a thread of ours (Linux /proc/self/task/<tid>/schedstat: time on a
 * CPU and time runnable but waiting for one). Elsewhere: nothing, and the watchdog falls back to
 * wall time and to an always-running heartbeat. The files stay open: a pread from offset 0 costs a
 * fraction of an open+read+close.
 *
 * It tells the watchdog:
 * - whether a late snapshot was late because the thread sat in a call V8 cannot interrupt (its own
 *   time) or because the machine gave it no CPU (runqueue time);
 * - whether a silent heartbeat is a CPU-starved idle loop rather than a blocked one.
 *
 * And /proc/self/task/<tid>/syscall, the system call a sleeping thread is in: whether a parked
 * (idle) main loop is still idle. An idle loop sleeps in its epoll; a loop blocked in Atomics.wait,
 * a sync read or spawnSync sleeps elsewhere, with its CPU time standing still just the same.
 */
import * as fs from 'node:fs';

// Taken as the probe loads, before the program runs: the snapshot reads schedstat on the user's
// thread, where a program (or its test's fs mock) may have replaced fs's functions since.
const { openSync, readSync } = fs;

export interface SchedTimes {
  cpuMs: number;
  runqueueMs: number;
}

let broken = process.platform !== 'linux';
/** Open descriptors by path: opened once, read with a pread from offset 0 each time. */
const fds = new Map<string, number>();
const buf = Buffer.alloc(128);

/** Reads /proc/self/task/<tid>/<file> into `buf`; returns the byte count. Throws as fs does. */
function readTaskFile(tid: number, file: string): number {
  const path = `/proc/self/task/${tid}/${file}`;
  let fd = fds.get(path);
  if (fd === undefined) {
    fd = openSync(path, 'r');
    fds.set(path, fd);
  }
  return readSync(fd, buf, 0, buf.length, 0);
}

export function readSchedstat(tid: number): SchedTimes | undefined {
  if (broken) return undefined;
  try {
    const n = readTaskFile(tid, 'schedstat');
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

/** epoll_wait, epoll_pwait, epoll_pwait2: where libuv's loops sleep (the main one, spawnSync's own). */
const EPOLL_CALLS: Partial<Record<string, readonly number[]>> = { x64: [232, 281, 441], arm64: [22, 441] };
const epollCalls = EPOLL_CALLS[process.arch];
let syscallBroken = process.platform !== 'linux' || !epollCalls;

/**
 * Where a thread of ours sleeps, from /proc/self/task/<tid>/syscall ("<nr> <args in hex> <sp> <pc>",
 * "running", or "-1 <sp> <pc>" when stopped outside a call): the epoll descriptor it waits on, or
 * -1 when it runs or sleeps anywhere else (Atomics.wait, a sync read, a sync sleep); undefined when
 * the kernel does not say (another OS or architecture). One pread, as for the schedstat.
 */
export function epollWaitFd(tid: number): number | undefined {
  if (syscallBroken) return undefined;
  try {
    const n = readTaskFile(tid, 'syscall');
    if (n === 0 || buf[0] < 48 || buf[0] > 57) return -1;
    let i = 0;
    let nr = 0;
    while (i < n && buf[i] !== 32) nr = nr * 10 + buf[i++] - 48;
    if (!epollCalls!.includes(nr)) return -1;
    // The first argument, "0x<hex>": the epoll instance.
    let arg = 0;
    for (i += 3; i < n && buf[i] !== 32; i++) {
      const c = buf[i];
      arg = arg * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
    }
    return arg;
  } catch {
    syscallBroken = true;
    return undefined;
  }
}
