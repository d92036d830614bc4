/**
 * The probe server → recording wiring, written once: `stallscope run`/`check` (ProbeRun), the
 * extension (RecordingHub) and the probe tests all feed their recordings through it, so they agree
 * on what a connection, a message and the end of a process mean.
 *
 * The one rule for a process's end: its last probe connection closed. A v2 probe holds one
 * connection per process; a v1 probe held one per thread, and a worker's going away did not end it.
 */
import { EventEmitter } from 'node:events';
import type { ProbeData } from '../shared/protocol/probeMessages';
import type { Stall } from '../shared/protocol/model';
import { HangWatch } from './hangWatch';
import type { ProbeConnection, ProbeServer } from './probeServer';
import type { Recording } from './recording';

export interface ProbeFeedRoute {
  /** The recording a connection reports into; undefined drops what it sends (e.g. its session ended). */
  recordingFor(conn: ProbeConnection): Recording | undefined;
  /**
   * What of a stall to store: the stall, a part of it, or undefined to take it back (a stall
   * announced while ongoing that turned out not to be one). Default: all of it.
   */
  admitStall?(stall: Stall, recording: Recording): Stall | undefined;
}

export interface ProbeFeedEvents {
  /** A probe said hello and its process joined `recording`. */
  connection: [conn: ProbeConnection, recording: Recording];
  disconnect: [conn: ProbeConnection];
  /** No probe connection is open any more. */
  idle: [];
}

export class ProbeFeed extends EventEmitter<ProbeFeedEvents> {
  /** Open connections by process, per recording (a pid means one process only within one run). */
  private readonly open = new Map<string, Set<ProbeConnection>>();
  /** Connections whose process the host can still see while its probe cannot speak (Python, a C call holding the GIL). */
  private readonly hangs = new Map<ProbeConnection, HangWatch>();
  private readonly detach: () => void;

  constructor(
    server: ProbeServer,
    private readonly route: ProbeFeedRoute,
  ) {
    super();
    const onConnection = (conn: ProbeConnection) => this.connected(conn);
    const onMessage = (conn: ProbeConnection, msg: ProbeData) => this.received(conn, msg);
    const onDisconnect = (conn: ProbeConnection) => this.disconnected(conn);
    server.on('connection', onConnection);
    server.on('message', onMessage);
    server.on('disconnect', onDisconnect);
    this.detach = () => {
      server.off('connection', onConnection);
      server.off('message', onMessage);
      server.off('disconnect', onDisconnect);
    };
  }

  /** Processes with a probe connection still open. */
  get openProcesses(): number {
    return this.open.size;
  }

  /** Resolves once no probe connection is open, or after `ms`: a stall's end and the final lag arrive before their socket closes. */
  drain(ms: number): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('idle', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.on('idle', done);
    });
  }

  dispose(): void {
    for (const h of this.hangs.values()) h.close();
    this.hangs.clear();
    this.detach();
    this.removeAllListeners();
  }

  private connected(conn: ProbeConnection): void {
    const rec = this.route.recordingFor(conn);
    if (!rec) return;
    rec.addProcess(conn.hello);
    const key = processKey(conn);
    let set = this.open.get(key);
    if (!set) this.open.set(key, (set = new Set()));
    set.add(conn);
    // Asked each time, as for the probe's own messages: a recording whose session ended takes no more.
    const current = () => this.route.recordingFor(conn);
    const hang = HangWatch.open(conn.hello, {
      ongoing: (pid, threadId, except) =>
        current()?.stalls.find((s) => s.ongoing && s.pid === pid && s.thread.id === threadId && s.id !== except),
      show: (stall) => {
        const r = current();
        if (r) this.store(r, stall);
      },
      takeBack: (id) => current()?.removeStall(id),
    });
    if (hang) this.hangs.set(conn, hang);
    this.emit('connection', conn, rec);
  }

  private received(conn: ProbeConnection, msg: ProbeData): void {
    const rec = this.route.recordingFor(conn);
    if (!rec) return;
    if (msg.type !== 'stall') return rec.apply(msg);
    this.hangs.get(conn)?.told(msg.stall);
    this.store(rec, msg.stall);
  }

  private store(rec: Recording, stall: Stall): void {
    const kept = this.route.admitStall ? this.route.admitStall(stall, rec) : stall;
    if (kept) rec.upsertStall(kept);
    else rec.removeStall(stall.id);
  }

  private disconnected(conn: ProbeConnection): void {
    this.hangs.get(conn)?.close();
    this.hangs.delete(conn);
    const key = processKey(conn);
    const set = this.open.get(key);
    if (set?.delete(conn) && set.size === 0) {
      this.open.delete(key);
      this.route.recordingFor(conn)?.endProcess(conn.hello.pid);
    }
    this.emit('disconnect', conn);
    if (this.open.size === 0) this.emit('idle');
  }
}

function processKey(conn: ProbeConnection): string {
  return `${conn.key}\0${conn.hello.pid}`;
}
