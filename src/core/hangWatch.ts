/**
 * Watches one probe's hang file (shared/protocol/hangFile) and shows the hang it holds while it
 * lasts, as an ongoing stall. The probe empties the file before it tells the stall itself, and that
 * stall replaces the one shown here; a process that never comes back (killed while hung) keeps it,
 * closed at the process's end like any ongoing stall.
 *
 * A dump is believed once it has stood a moment: faulthandler writes it as a call holding the GIL
 * passes the probe's margin, and a call that returns just after is told by the probe at once.
 */
import * as fs from 'node:fs';
import { HANG_HEADER_BYTES } from '../shared/protocol/hangFile';
import type { HelloMessage } from '../shared/protocol/probeMessages';
import { round2, type Stall } from '../shared/protocol/model';
import { readHangFile } from './hangFile';

export const HANG_POLL_MS = 250;
/** How long a dump must have stood before it is shown. */
const HANG_SETTLE_MS = 200;
/** The most of a dump read: every thread of a big program, stacks of 100 frames each. */
const MAX_READ_BYTES = HANG_HEADER_BYTES + 1024 * 1024;

export interface HangSink {
  /** The probe's own ongoing stall of that loop, if it announced one: the hang is its continuation. */
  ongoing(pid: number, threadId: number, except?: string): Stall | undefined;
  show(stall: Stall): void;
  takeBack(stallId: string): void;
}

interface Shown {
  id: string;
  /** Made here (taken back when the probe speaks again), or the probe's own ongoing stall (its end replaces it). */
  ours: boolean;
  detectedMs: number;
}

export class HangWatch {
  private fd: number | undefined;
  private readonly timer: NodeJS.Timeout;
  /** By thread id. */
  private readonly shown = new Map<number, Shown>();

  /** Undefined when the hello names no hang file this host can read. */
  static open(hello: HelloMessage, sink: HangSink): HangWatch | undefined {
    const file = hello.hangFile;
    if (!file || !new RegExp(`^/proc/${hello.pid}/fd/\\d+$`).test(file)) return undefined;
    let fd: number | undefined;
    try {
      // Non-blocking: the path is the probe's word, and a FIFO behind it must not hold this host.
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      if (!fs.fstatSync(fd).isFile()) throw new Error('not a file');
    } catch {
      if (fd !== undefined) fs.closeSync(fd);
      return undefined;
    }
    return new HangWatch(hello, fd, sink);
  }

  private constructor(
    private readonly hello: HelloMessage,
    fd: number,
    private readonly sink: HangSink,
  ) {
    this.fd = fd;
    this.timer = setInterval(() => this.poll(Date.now()), HANG_POLL_MS);
    this.timer.unref();
  }

  /** The probe told a stall: it runs again, and its own word replaces the hang shown for that loop. */
  told(stall: Stall): void {
    const s = this.shown.get(stall.thread.id);
    if (!s) return;
    this.shown.delete(stall.thread.id);
    if (s.ours && s.id !== stall.id) this.sink.takeBack(s.id);
  }

  close(): void {
    clearInterval(this.timer);
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /** Reads the file once (every HANG_POLL_MS). */
  private poll(nowMs: number): void {
    if (this.fd === undefined) return;
    let data: Buffer | undefined;
    try {
      const st = fs.fstatSync(this.fd);
      if (st.size > HANG_HEADER_BYTES && nowMs - st.mtimeMs >= HANG_SETTLE_MS) {
        const buf = Buffer.alloc(Math.min(st.size, MAX_READ_BYTES));
        data = buf.subarray(0, fs.readSync(this.fd, buf, 0, buf.length, 0));
      }
    } catch {
      this.close(); // (the process is gone)
      return;
    }
    const read = data ? readHangFile(data, this.hello.cwd) : undefined;
    const seen = new Set<number>();
    for (const h of read?.hung ?? []) {
      const tid = h.thread.id;
      if (nowMs - h.startMs < read!.board.thresholdMs) continue;
      seen.add(tid);
      const prior = this.shown.get(tid);
      const theirs = this.sink.ongoing(this.hello.pid, tid, prior?.ours ? prior.id : undefined);
      if (theirs && theirs.startMs <= h.startMs + 1) {
        // The probe saw this stall begin (its loop ran Python, then went into the call): it goes on.
        if (prior?.ours) this.sink.takeBack(prior.id);
        this.shown.set(tid, { id: theirs.id, ours: false, detectedMs: nowMs });
        this.sink.show({
          ...theirs,
          durationMs: Math.max(theirs.durationMs, nowMs - theirs.startMs),
          frames: h.frames,
          culprit: h.culprit,
          handler: theirs.handler ?? h.handler,
          cause: h.cause,
        });
        continue;
      }
      const shown = prior?.ours ? prior : { id: `${this.hello.pid}.${tid}.hang-${Math.round(h.startMs)}`, ours: true, detectedMs: nowMs };
      this.shown.set(tid, shown);
      this.sink.show({
        id: shown.id,
        pid: this.hello.pid,
        thread: h.thread,
        startMs: round2(h.startMs),
        durationMs: round2(nowMs - h.startMs),
        ongoing: true,
        detectedMs: shown.detectedMs,
        culprit: h.culprit,
        frames: h.frames,
        handler: h.handler,
        cause: h.cause,
      });
    }
    for (const [threadId, s] of this.shown) {
      if (seen.has(threadId)) continue;
      // The dump is gone (the probe took it): its stall is on its way, or was not one.
      this.shown.delete(threadId);
      if (s.ours) this.sink.takeBack(s.id);
    }
  }
}
