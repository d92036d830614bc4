/**
 * User worker threads load the probe too (NODE_OPTIONS reaches them), but they must not each start
 * a watchdog: the process has one. A worker's probe announces its own heartbeat SAB on a
 * process-wide BroadcastChannel; the watchdog answers its own start with a `watchdog` message so
 * that workers which announced before it existed announce again.
 */
import { BroadcastChannel, getEnvironmentData } from 'node:worker_threads';
import type { ListeningServer } from '../shared/protocol/model';
import { HeartbeatWriter } from './heartbeatWriter';

export const THREADS_CHANNEL = 'stallscope.threads.v1';
/** Environment-data key of the main thread's heartbeat SAB: every thread can wake the watchdog with it. */
export const WAKE_ENV_DATA = 'stallscope.wake';

/**
 * The watchdog may be dozing in Atomics.wait rather than in its event loop (see scheduler.ts): a
 * message for it would then wait up to half a second. A notify on the main thread's SAB wakes it.
 */
export function wakeWatchdog(sab: SharedArrayBuffer | undefined = wakeSab()): void {
  try {
    if (sab) new HeartbeatWriter(sab).wake();
  } catch {
    // waking is an optimisation of latency only
  }
}

function wakeSab(): SharedArrayBuffer | undefined {
  try {
    const sab = getEnvironmentData(WAKE_ENV_DATA);
    return sab instanceof SharedArrayBuffer ? sab : undefined;
  } catch {
    return undefined;
  }
}

export type ThreadsMessage =
  | { type: 'register'; threadId: number; sab: SharedArrayBuffer }
  | { type: 'watchdog' }
  | { type: 'listening'; server: Omit<ListeningServer, 'pid'> };

export function isThreadsMessage(v: unknown): v is ThreadsMessage {
  if (!v || typeof v !== 'object') return false;
  const m = v as { type?: unknown; threadId?: unknown; sab?: unknown; server?: unknown };
  switch (m.type) {
    case 'register':
      return typeof m.threadId === 'number' && m.sab instanceof SharedArrayBuffer;
    case 'watchdog':
      return true;
    case 'listening':
      return !!m.server && typeof m.server === 'object';
    default:
      return false;
  }
}

/** Worker-thread side: announce the heartbeat now and whenever the watchdog (re)starts. */
export function announceThread(threadId: number, sab: SharedArrayBuffer): (msg: ThreadsMessage) => void {
  const ch = new BroadcastChannel(THREADS_CHANNEL);
  const post = (msg: ThreadsMessage): void => {
    try {
      ch.postMessage(msg);
      wakeWatchdog();
    } catch {
      // a closed channel (thread exiting) is fine
    }
  };
  ch.onmessage = (e: unknown) => {
    const data = (e as { data?: unknown }).data;
    if (isThreadsMessage(data) && data.type === 'watchdog') post({ type: 'register', threadId, sab });
  };
  // After the listener: setting onmessage refs the channel; a probe must never keep a worker alive.
  (ch as unknown as { unref(): void }).unref();
  post({ type: 'register', threadId, sab });
  return post;
}
