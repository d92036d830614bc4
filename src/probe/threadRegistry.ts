/**
 * The threads the watchdog watches: the main thread from the start, the user's worker threads as
 * they announce their heartbeats (threads.ts), named by the inspector when it attaches to them.
 * Each is announced to the host once (the main thread implicitly), and once more when it exits.
 */
import type { ThreadRef } from '../shared/protocol/model';
import { HeartbeatReader } from './heartbeatReader';
import type { LagSeries } from './lagSeries';
import { heartbeatFor } from './options';
import { ThreadPauses } from './pauses';
import type { Sink } from './sink';
import type { WatchedThread } from './watchedThread';

/** How long a worker waits for the inspector to name it before it is announced without a name. */
const NAME_WAIT_MS = 300;

export class ThreadRegistry {
  private readonly threads = new Map<number, WatchedThread>();
  /** Names the inspector gave before the thread's heartbeat registered. */
  private readonly pendingNames = new Map<number, string | undefined>();
  readonly main: WatchedThread;

  constructor(
    mainSab: SharedArrayBuffer,
    private readonly lagSeries: LagSeries,
    private readonly sink: Sink | undefined,
    private thresholdMs: number,
  ) {
    this.main = this.add(0, mainSab);
  }

  get size(): number {
    return this.threads.size;
  }

  /** Map iteration tolerates a thread removed while iterating. */
  values(): IterableIterator<WatchedThread> {
    return this.threads.values();
  }

  get(threadId: number): WatchedThread | undefined {
    return this.threads.get(threadId);
  }

  /** A worker's heartbeat registered; undefined when it is already watched. */
  register(threadId: number, sab: SharedArrayBuffer): WatchedThread | undefined {
    const known = this.threads.get(threadId);
    if (known && !known.gone) return undefined;
    const t = this.add(threadId, sab);
    t.hb.configure(this.thresholdMs, heartbeatFor(this.thresholdMs));
    if (this.pendingNames.has(threadId)) t.name = this.pendingNames.get(threadId);
    return t;
  }

  /** Announce once the inspector named it (`named`), or soon without a name. */
  announceLater(t: WatchedThread): void {
    setTimeout(() => this.announce(t), NAME_WAIT_MS).unref();
  }

  /** The inspector attached to a worker and named it. */
  named(threadId: number, name: string | undefined): void {
    const t = this.threads.get(threadId);
    if (!t) return void this.pendingNames.set(threadId, name);
    t.name ??= name;
    this.announce(t);
  }

  announce(t: WatchedThread): void {
    if (t.announced || t.gone) return;
    t.announced = true;
    this.sink?.send({ type: 'thread', pid: process.pid, thread: threadRef(t), state: 'online' });
  }

  /** The thread exited (or the inspector lost it): said once, and forgotten. */
  remove(t: WatchedThread): void {
    t.gone = true;
    if (t.announced) this.sink?.send({ type: 'thread', pid: process.pid, thread: { id: t.threadId }, state: 'exit' });
    this.threads.delete(t.threadId);
  }

  configure(thresholdMs: number): void {
    this.thresholdMs = thresholdMs;
    for (const t of this.threads.values()) t.hb.configure(thresholdMs, heartbeatFor(thresholdMs));
  }

  private add(threadId: number, sab: SharedArrayBuffer): WatchedThread {
    const hb = new HeartbeatReader(sab);
    const t: WatchedThread = {
      threadId,
      name: undefined,
      hb,
      pauses: new ThreadPauses(),
      stall: undefined,
      early: undefined,
      seq: 0,
      lag: this.lagSeries.cursor(threadId, hb),
      announced: threadId === 0,
      gone: false,
      parked: { idleSeenHr: 0, unparkSent: false, unparkSentHr: 0, beat: 0 },
    };
    hb.configure(this.thresholdMs);
    this.threads.set(threadId, t);
    return t;
  }
}

/** The thread as stall and thread messages name it. */
export function threadRef(t: WatchedThread): ThreadRef {
  return { id: t.threadId, ...(t.name ? { name: t.name.slice(0, 256) } : {}) };
}
