/**
 * The extension's recordings: one live Recording per probe session (a debug launch the probe was
 * injected into) plus whatever was opened from disk, which one is on screen ("current"), and the
 * last few finished ones that left the screen ("recent": a new session does not throw them away).
 * Probe connections are routed by the key their token was issued for, so every process and
 * worker of one launch lands in the same recording. Stalls explained by a debugger pause are
 * taken out here, before they reach the store. Free of `vscode`: unit-tested with a real ProbeServer.
 */
import { EventEmitter } from 'node:events';
import type { PauseRange, Stall } from '../shared/protocol/model';
import { ProbeFeed } from '../core/probeFeed';
import type { ProbeConnection, ProbeServer } from '../core/probeServer';
import { Recording, type RecordingDelta } from '../core/recording';
import { subtractPauses } from './debuggerPauses';

export interface RecordingHubEvents {
  /** The recording on screen changed (a new session, an opened file, cleared). */
  current: [recording: Recording | undefined];
  /** A live recording stopped being live (its debug session ended). */
  live: [recording: Recording];
  /** A finished recording with stalls left the screen for `by` and is kept under `recent`. */
  shelved: [recording: Recording, by: Recording | undefined];
}

/** Finished recordings kept off screen; older ones are let go. */
const MAX_RECENT = 5;

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
  private readonly recentRecordings: Recording[] = [];

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

  /** Finished recordings that left the screen, newest first. */
  get recent(): readonly Recording[] {
    return this.recentRecordings;
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

  /** Routes a probe server's connections into the recordings, by the key their token was issued for. Returns the detach function. */
  attach(server: ProbeServer): () => void {
    const feed = new ProbeFeed(server, {
      recordingFor: (conn: ProbeConnection) => this.live.get(conn.key),
      admitStall: (stall, rec) => this.admitStall(stall, rec),
    });
    feed.on('connection', (_conn, rec) => {
      if (rec !== this.currentRecording) this.setCurrent(rec);
    });
    return () => feed.dispose();
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
    rec.end();
    rec.flush();
    this.emit('live', rec);
    if (rec !== this.currentRecording) this.shelve(rec, this.currentRecording);
  }

  /** A debugger pause of one of the session's processes. */
  addPause(stallscopeId: string, pause: PauseRange): void {
    this.live.get(stallscopeId)?.upsertPause(pause, 'debugger');
  }

  /** Shows a recording read from a report file, or one of the recent ones again. */
  open(recording: Recording): void {
    this.setCurrent(recording);
  }

  /** Empties what is on screen; a live session keeps recording into the emptied store. */
  clear(): void {
    const rec = this.currentRecording;
    if (!rec) return;
    rec.clear();
    if (!rec.live) {
      // Cleared means let go, not kept under recent.
      this.currentRecording = undefined;
      rec.dispose();
      this.emit('current', undefined);
      return;
    }
    this.emit('current', rec);
  }

  dispose(): void {
    for (const rec of this.live.values()) rec.dispose();
    this.live.clear();
    for (const rec of this.recentRecordings) rec.dispose();
    this.recentRecordings.length = 0;
    this.currentRecording?.dispose();
    this.currentRecording = undefined;
    this.removeAllListeners();
  }

  /** Stalls a debugger pause explains are not stalls: what is left of one, or nothing (counted as suppressed). */
  private admitStall(stall: Stall, rec: Recording): Stall | undefined {
    const thresholdMs = this.options.thresholdMs();
    const kept = subtractPauses(stall, rec.pauses, thresholdMs);
    // A stall announced while ongoing that the probe then ended short (at a debugger pause it
    // saw, e.g. js-debug's own instrumentation pauses) was never a stall: take it back.
    if (!kept || (!kept.ongoing && kept.durationMs < thresholdMs)) {
      this.suppressed.add(stall.id);
      return undefined;
    }
    return kept;
  }

  private setCurrent(rec: Recording | undefined): void {
    const previous = this.currentRecording;
    this.currentRecording = rec;
    const i = rec ? this.recentRecordings.indexOf(rec) : -1;
    if (i >= 0) this.recentRecordings.splice(i, 1);
    // Live ones keep recording off screen; finished ones are kept under recent.
    if (previous && previous !== rec && !previous.live) this.shelve(previous, rec);
    this.emit('current', rec);
  }

  /** A finished recording off screen: kept under recent if it holds anything, else let go. */
  private shelve(rec: Recording, by: Recording | undefined): void {
    if (!rec.processes.length && !rec.stalls.length) {
      rec.dispose();
      return;
    }
    this.recentRecordings.unshift(rec);
    for (const old of this.recentRecordings.splice(MAX_RECENT)) old.dispose();
    if (rec.stalls.length) this.emit('shelved', rec, by);
  }
}
