/**
 * The one store model: everything the probes of one run (CLI) or one debug session (extension)
 * reported, kept in the shape of the report file. The CLI writes it out; the extension feeds the
 * timeline and the editor decorations from it; a report read back from disk becomes one again.
 *
 * Memory is bounded: at 10 Hz per thread an hour of lag is 36k samples; past `maxLag` the oldest
 * half is thinned to every other sample, so a long session keeps its shape instead of its head.
 */
import { EventEmitter } from 'node:events';
import { mergePauseReports, sameBreak, type PauseReports, type PauseSource } from '../shared/pauses';
import { REPORT_VERSION } from '../shared/protocol/constants';
import type { HelloMessage, ProbeData } from '../shared/protocol/probeMessages';
import { round2, type LagSample, type ListeningServer, type PauseRange, type ProcessInfo, type Stall } from '../shared/protocol/model';
import type { Report } from '../shared/protocol/report';
import type { TimelineState } from '../shared/protocol/webviewMessages';
import { assertNever } from '../shared/guards';

export interface RecordingDelta {
  stalls?: Stall[];
  lag?: LagSample[];
  pauses?: PauseRange[];
  processes?: ProcessInfo[];
}

export interface RecordingEvents {
  /** Batched: at most one per `flushMs`, so a burst of lag samples is one webview message. */
  delta: [delta: RecordingDelta];
  notice: [pid: number, level: 'info' | 'warn', message: string];
  listening: [server: ListeningServer];
  /**
   * Stalls taken back: announced while ongoing, then explained by a debugger pause. Sent at once
   * (not batched); consumers that mirror the store re-read `state()`.
   */
  removed: [stallIds: string[]];
}

export interface RecordingOptions {
  title?: string;
  command?: string[];
  thresholdMs?: number;
  maxStalls?: number;
  maxLag?: number;
  flushMs?: number;
}

export class Recording extends EventEmitter<RecordingEvents> {
  readonly startedAt: Date;
  rootPid = 0;
  exitCode: number | null | undefined;
  endedAt: Date | undefined;
  dropped = 0;
  live = true;

  private readonly stallsById = new Map<string, Stall>();
  private readonly processesByPid = new Map<number, ProcessInfo>();
  private readonly pausesById = new Map<string, PauseRange>();
  /** What the probe and the debug adapter each said about a stored pause, and which stored pause a reported id became. */
  private readonly pauseReports = new Map<string, PauseReports>();
  private readonly pauseIdOf = new Map<string, string>();
  private readonly servers: ListeningServer[] = [];
  private lag: LagSample[] = [];
  private pending: Required<RecordingDelta> = { stalls: [], lag: [], pauses: [], processes: [] };
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(readonly options: RecordingOptions = {}, startedAt = new Date()) {
    super();
    this.startedAt = startedAt;
  }

  get title(): string {
    return this.options.title ?? (this.options.command ?? []).join(' ');
  }

  /** Stalls in start order. */
  get stalls(): Stall[] {
    return [...this.stallsById.values()].sort((a, b) => a.startMs - b.startMs);
  }

  get processes(): ProcessInfo[] {
    return [...this.processesByPid.values()];
  }

  get pauses(): PauseRange[] {
    return [...this.pausesById.values()];
  }

  get lagSamples(): readonly LagSample[] {
    return this.lag;
  }

  get listening(): readonly ListeningServer[] {
    return this.servers;
  }

  getStall(id: string): Stall | undefined {
    return this.stallsById.get(id);
  }

  /** A probe said hello: its process joins the recording. */
  addProcess(hello: HelloMessage): ProcessInfo {
    const existing = this.processesByPid.get(hello.pid);
    const info: ProcessInfo = existing ?? {
      pid: hello.pid,
      ppid: hello.ppid,
      argv: hello.argv,
      cwd: hello.cwd,
      runtime: hello.runtime,
      mode: hello.mode,
      startedAtMs: hello.startedAtMs,
      threads: [{ id: 0 }],
    };
    delete info.endedAtMs;
    if (!this.rootPid) this.rootPid = hello.pid;
    this.processesByPid.set(hello.pid, info);
    this.queue('processes', info);
    return info;
  }

  /** The probe of `pid` disconnected (its process exited or crashed). */
  endProcess(pid: number, atMs = Date.now()): void {
    const info = this.processesByPid.get(pid);
    if (!info || info.endedAtMs !== undefined) return;
    info.endedAtMs = atMs;
    // A stall still marked ongoing when its process died will never get its end message: close it here.
    for (const s of this.stallsById.values()) {
      if (s.pid === pid && s.ongoing) {
        s.durationMs = Math.max(s.durationMs, round2(atMs - s.startMs));
        delete s.ongoing;
        this.queue('stalls', s);
      }
    }
    this.queue('processes', info);
  }

  /**
   * The run or session ended: nothing more will come. A process whose probe never said goodbye (killed
   * while hung, or its goodbye still on the way) ended with it, and its ongoing stalls with it.
   */
  end(atMs = Date.now()): void {
    for (const p of this.processesByPid.values()) if (p.endedAtMs === undefined) this.endProcess(p.pid, atMs);
    this.live = false;
    this.endedAt = new Date(atMs);
  }

  /** Applies one validated probe message. */
  apply(msg: ProbeData): void {
    switch (msg.type) {
      case 'stall':
        this.upsertStall(msg.stall);
        break;
      case 'lag':
        this.addLag(msg.samples);
        break;
      case 'pause':
        this.upsertPause(msg.pause, 'probe');
        break;
      case 'thread': {
        const info = this.processesByPid.get(msg.pid);
        if (!info) break;
        if (msg.state === 'online' && !info.threads.some((t) => t.id === msg.thread.id)) {
          info.threads.push(msg.thread);
          this.queue('processes', info);
        }
        break;
      }
      case 'listening':
        if (!this.servers.some((s) => s.pid === msg.server.pid && s.port === msg.server.port)) {
          this.servers.push(msg.server);
          this.emit('listening', msg.server);
        }
        break;
      case 'notice':
        this.emit('notice', msg.pid, msg.level, msg.message);
        break;
      case 'dropped':
        this.dropped += msg.count;
        break;
      default:
        assertNever(msg, 'probe message');
    }
  }

  upsertStall(stall: Stall): void {
    const max = this.options.maxStalls ?? 100_000;
    if (!this.stallsById.has(stall.id) && this.stallsById.size >= max) {
      this.dropped++;
      return;
    }
    this.stallsById.set(stall.id, stall);
    this.queue('stalls', stall);
  }

  /** Takes back a stall (see the `removed` event). Returns whether it was there. */
  removeStall(id: string): boolean {
    if (!this.stallsById.delete(id)) return false;
    this.pending.stalls = this.pending.stalls.filter((s) => s.id !== id);
    this.emit('removed', [id]);
    return true;
  }

  /** A pause as the probe or the debug adapter reported it; the two reports of one break are one pause. */
  upsertPause(pause: PauseRange, source: PauseSource): void {
    let id = this.pauseIdOf.get(pause.id);
    if (id === undefined) {
      id = pause.id;
      for (const [stored, reports] of this.pauseReports) {
        if (!reports[source] && sameBreak(reports, pause)) {
          id = stored;
          break;
        }
      }
      this.pauseIdOf.set(pause.id, id);
    }
    const reports = this.pauseReports.get(id) ?? {};
    reports[source] = pause;
    this.pauseReports.set(id, reports);
    const merged = mergePauseReports(id, reports);
    this.pausesById.set(id, merged);
    this.queue('pauses', merged);
  }

  addLag(samples: LagSample[]): void {
    this.lag.push(...samples);
    const max = this.options.maxLag ?? 200_000;
    if (this.lag.length > max) {
      const half = this.lag.length >> 1;
      this.lag = this.lag.slice(0, half).filter((_, i) => i % 2 === 0).concat(this.lag.slice(half));
    }
    for (const s of samples) this.queue('lag', s);
  }

  clear(): void {
    this.stallsById.clear();
    this.pausesById.clear();
    this.pauseReports.clear();
    this.pauseIdOf.clear();
    this.lag = [];
    this.pending = { stalls: [], lag: [], pauses: [], processes: [] };
  }

  state(): TimelineState {
    return {
      title: this.title,
      live: this.live,
      startedAtMs: this.startedAt.getTime(),
      processes: this.processes,
      stalls: this.stalls,
      lag: [...this.lag],
      pauses: this.pauses,
      ...(this.options.thresholdMs !== undefined ? { thresholdMs: this.options.thresholdMs } : {}),
    };
  }

  toReport(): Report {
    return {
      version: REPORT_VERSION,
      pid: this.rootPid,
      command: this.options.command ?? [],
      startedAt: this.startedAt.toISOString(),
      ...(this.endedAt ? { endedAt: this.endedAt.toISOString() } : {}),
      ...(this.exitCode !== undefined ? { exitCode: this.exitCode } : {}),
      ...(this.options.thresholdMs !== undefined ? { thresholdMs: this.options.thresholdMs } : {}),
      stalls: this.stalls.map(({ ongoing: _ongoing, ...s }) => s),
      lag: [...this.lag],
      processes: this.processes,
      pauses: this.pauses,
      servers: [...this.servers],
      dropped: this.dropped,
    };
  }

  static fromReport(report: Report, title?: string): Recording {
    const rec = new Recording(
      { title: title ?? report.command.join(' '), command: report.command, thresholdMs: report.thresholdMs },
      new Date(report.startedAt),
    );
    rec.live = false;
    rec.rootPid = report.pid;
    rec.exitCode = report.exitCode;
    rec.endedAt = report.endedAt ? new Date(report.endedAt) : undefined;
    rec.dropped = report.dropped ?? 0;
    for (const p of report.processes ?? []) rec.processesByPid.set(p.pid, p);
    for (const s of report.stalls) rec.stallsById.set(s.id, s);
    for (const p of report.pauses ?? []) rec.pausesById.set(p.id, p);
    rec.servers.push(...(report.servers ?? []));
    rec.lag = [...report.lag];
    return rec;
  }

  /** Sends what is pending now (call before writing a report or on session end). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const p = this.pending;
    if (!p.stalls.length && !p.lag.length && !p.pauses.length && !p.processes.length) return;
    this.pending = { stalls: [], lag: [], pauses: [], processes: [] };
    const delta: RecordingDelta = {};
    // An id upserted twice in one batch is sent once, in its latest state.
    if (p.stalls.length) delta.stalls = [...new Map(p.stalls.map((s) => [s.id, s])).values()];
    if (p.lag.length) delta.lag = p.lag;
    if (p.pauses.length) delta.pauses = [...new Map(p.pauses.map((s) => [s.id, s])).values()];
    if (p.processes.length) delta.processes = [...new Map(p.processes.map((s) => [s.pid, s])).values()];
    this.emit('delta', delta);
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.removeAllListeners();
  }

  private queue<K extends keyof RecordingDelta>(kind: K, item: NonNullable<RecordingDelta[K]>[number]): void {
    (this.pending[kind] as unknown[]).push(item);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.options.flushMs ?? 50);
      this.flushTimer.unref();
    }
  }
}
