/**
 * The extension's recordings: one live Recording per probe session (a debug launch the probe was
 * injected into) plus whatever was opened from disk, and which one is on screen ("current").
 * Probe connections are routed by the key their token was issued for, so every process and
 * worker of one launch lands in the same recording. Stalls explained by a debugger pause are
 * taken out here, before they reach the store. Free of `vscode`: unit-tested with a real ProbeServer.
 */
import { EventEmitter } from 'node:events';
import type { HelloMessage, PauseRange, ProbeToHost } from '../shared/protocol';
import type { ProbeConnection, ProbeServer } from '../core/probeServer';
import { Recording, type RecordingDelta } from '../core/recording';
import { subtractPauses } from './debuggerPauses';

export interface RecordingHubEvents {
  /** The recording on screen changed (a new session, an opened file, cleared). */
  current: [recording: Recording | undefined];
  /** A live recording stopped being live (its debug session ended). */
  live: [recording: Recording];
  /** A probe connected (after its process joined the recording). */
  probe: [conn: ProbeConnection, recording: Recording];
  probeGone: [conn: ProbeConnection];
}

/** What a view of the recording on screen wants to hear about (see RecordingHub.follow). */
export interface RecordingFollower {
  /** The recording on screen changed (also called once at once with the current one). */
  current(recording: Recording | undefined): void;
  delta?(delta: RecordingDelta): void;
  /** Stalls were taken back: re-read the recording. */
  removed?(stallIds: string[]): void;
  /** The recording on screen stopped being live. */
  ended?(recording: Recording): void;
}

export interface RecordingHubOptions {
  thresholdMs: () => number;
}

export class RecordingHub extends EventEmitter<RecordingHubEvents> {
  private readonly live = new Map<string, Recording>();
  private currentRecording: Recording | undefined;
  private readonly suppressed = new Set<string>();

  constructor(private readonly options: RecordingHubOptions) {
    super();
  }

  /** Stalls the probes reported that a debugger pause explained (not recorded). */
  get suppressedStalls(): number {
    return this.suppressed.size;
  }

  get current(): Recording | undefined {
    return this.currentRecording;
  }

  /** The live recording of a probe session, if it is still known. */
  session(stallscopeId: string): Recording | undefined {
    return this.live.get(stallscopeId);
  }

  /**
   * Follows whatever recording is on screen, moving the listeners along when it changes: the one
   * subscription the timeline, the editor decorations and the status bar share. Returns the unfollow function.
   */
  follow(on: RecordingFollower): () => void {
    let rec: Recording | undefined;
    const delta = (d: RecordingDelta) => on.delta?.(d);
    const removed = (ids: string[]) => on.removed?.(ids);
    const ended = (r: Recording) => r === rec && on.ended?.(r);
    const attach = (next: Recording | undefined) => {
      rec?.off('delta', delta);
      rec?.off('removed', removed);
      rec = next;
      rec?.on('delta', delta);
      rec?.on('removed', removed);
      on.current(rec);
    };
    this.on('current', attach);
    this.on('live', ended);
    attach(this.currentRecording);
    return () => {
      this.off('current', attach);
      this.off('live', ended);
      rec?.off('delta', delta);
      rec?.off('removed', removed);
    };
  }

  /** Routes a probe server's connections into the recordings. Returns the detach function. */
  attach(server: ProbeServer): () => void {
    const onConnection = (conn: ProbeConnection) => {
      const rec = this.live.get(conn.key);
      if (!rec) return;
      rec.addProcess(conn.hello);
      if (rec !== this.currentRecording) this.setCurrent(rec);
      this.emit('probe', conn, rec);
    };
    const onMessage = (conn: ProbeConnection, msg: Exclude<ProbeToHost, HelloMessage>) => {
      const rec = this.live.get(conn.key);
      if (!rec) return;
      if (msg.type === 'stall') {
        const thresholdMs = this.options.thresholdMs();
        const kept = subtractPauses(msg.stall, rec.pauses, thresholdMs);
        // A stall announced while ongoing that the probe then ended short (at a debugger pause it
        // saw, e.g. js-debug's own instrumentation pauses) was never a stall: take it back.
        if (!kept || (!kept.ongoing && kept.durationMs < thresholdMs)) {
          this.suppressed.add(msg.stall.id);
          rec.removeStall(msg.stall.id);
          return;
        }
        rec.upsertStall(kept);
        return;
      }
      rec.apply(msg);
    };
    const onDisconnect = (conn: ProbeConnection) => {
      // A worker's own connection going away does not end its process.
      if (conn.hello.threadId === 0) this.live.get(conn.key)?.endProcess(conn.hello.pid);
      this.emit('probeGone', conn);
    };
    server.on('connection', onConnection);
    server.on('message', onMessage);
    server.on('disconnect', onDisconnect);
    return () => {
      server.off('connection', onConnection);
      server.off('message', onMessage);
      server.off('disconnect', onDisconnect);
    };
  }

  /** A probe session begins (its launch configuration was resolved); it becomes current once a probe or its debug session shows up. */
  prepareSession(stallscopeId: string, title: string, command: string[]): Recording {
    const rec = new Recording({ title, command, thresholdMs: this.options.thresholdMs() });
    this.live.set(stallscopeId, rec);
    return rec;
  }

  /** Its debug session started: show it. */
  showSession(stallscopeId: string): void {
    const rec = this.live.get(stallscopeId);
    if (rec && rec !== this.currentRecording) this.setCurrent(rec);
  }

  /** Its debug session ended: the recording stays on screen, no longer live. */
  endSession(stallscopeId: string): void {
    const rec = this.live.get(stallscopeId);
    if (!rec) return;
    this.live.delete(stallscopeId);
    rec.flush();
    rec.live = false;
    rec.endedAt = new Date();
    this.emit('live', rec);
    if (rec !== this.currentRecording) rec.dispose();
  }

  /** A debugger pause of one of the session's processes. */
  addPause(stallscopeId: string, pause: PauseRange): void {
    this.live.get(stallscopeId)?.upsertPause(pause);
  }

  /** Shows a recording read from a report file. */
  open(recording: Recording): void {
    this.setCurrent(recording);
  }

  /** Empties what is on screen; a live session keeps recording into the emptied store. */
  clear(): void {
    const rec = this.currentRecording;
    if (!rec) return;
    rec.clear();
    if (!rec.live) {
      this.setCurrent(undefined);
      return;
    }
    this.emit('current', rec);
  }

  dispose(): void {
    for (const rec of this.live.values()) rec.dispose();
    this.live.clear();
    this.currentRecording?.dispose();
    this.currentRecording = undefined;
    this.removeAllListeners();
  }

  private setCurrent(rec: Recording | undefined): void {
    const previous = this.currentRecording;
    this.currentRecording = rec;
    // A finished recording that left the screen is gone for good; live ones keep recording.
    if (previous && previous !== rec && !previous.live) previous.dispose();
    this.emit('current', rec);
  }
}
