/**
 * What the kernel says about one of our threads (Linux /proc; elsewhere: nothing, and the watchdog
 * falls back to wall time). Used only while a stall is suspected, a few reads of ~20 µs each.
 *
 * - schedstat: time on a CPU and time runnable but waiting for one. Tells a snapshot that was late
 *   because the thread sat in a call V8 cannot interrupt (its own time) from one that was late
 *   because the machine gave it no CPU (runqueue time).
 * - syscall: whether the thread sits in its event loop's epoll wait, i.e. it is idle (a heartbeat
 *   that is late although the loop is idle means a CPU-starved process, not a blocked loop).
 */
import { readFileSync } from 'node:fs';

export interface SchedTimes {
  cpuMs: number;
  runqueueMs: number;
}

const linux = process.platform === 'linux';
let schedBroken = !linux;
let syscallBroken = !linux;

export function readSchedstat(tid: number): SchedTimes | undefined {
  if (schedBroken) return undefined;
  try {
    const [cpu, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ');
    const cpuMs = Number(cpu) / 1e6;
    const runqueueMs = Number(wait) / 1e6;
    if (!Number.isFinite(cpuMs) || !Number.isFinite(runqueueMs)) throw new Error('unexpected schedstat');
    return { cpuMs, runqueueMs };
  } catch {
    schedBroken = true;
    return undefined;
  }
}

/** epoll_wait / epoll_pwait / epoll_pwait2 numbers (libuv uses one of them). */
const EPOLL_WAITS: Record<string, readonly number[]> = { x64: [232, 281, 441], arm64: [22, 441] };

/** The epoll fd the thread is waiting on, -1 if it is not in an epoll wait, undefined if unknown. */
export function epollWaitFd(tid: number): number | undefined {
  const nrs = EPOLL_WAITS[process.arch];
  if (syscallBroken || !nrs) return undefined;
  try {
    const text = readFileSync(`/proc/self/task/${tid}/syscall`, 'latin1').trim();
    if (text === 'running') return -1;
    const [nr, fd] = text.split(' ');
    return nrs.includes(Number(nr)) ? Number(fd) : -1;
  } catch {
    syscallBroken = true;
    return undefined;
  }
}
