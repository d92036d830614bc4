/**
 * Follows the debug sessions of probe launches, js-debug's child sessions included: it learns
 * which process (and thread) each one shows, turns the adapter's `stopped`/`continued` traffic into
 * pause ranges on the session's recording, and ends the recording with its root session.
 */
import * as vscode from 'vscode';
import { DebugAdapterPauses } from './debuggerPauses';
import { SESSION_MARKER } from './debugConfig';
import { SessionMatcher, type Target } from './sessionMatcher';
import type { ProbeInjector } from './probeInjector';
import type { RecordingHub } from './recordingHub';

export interface TrackedSession {
  id: string;
  name: string;
  parentId?: string;
  stallscopeId: string;
  /** The process/thread the session is matched to. */
  target?: Target;
  /** What the debuggee itself answered when asked for its pid and thread (js-debug target sessions). */
  answered?: Target;
}

export class SessionTracker implements vscode.Disposable {
  private readonly matcher = new SessionMatcher();
  private readonly tracked = new Map<string, vscode.DebugSession>();
  private readonly answers = new Map<string, Target>();
  private readonly pauses = new Map<string, DebugAdapterPauses>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly hub: RecordingHub,
    private readonly injector: ProbeInjector,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.debug.onDidStartDebugSession((s) => this.onStart(s)),
      vscode.debug.onDidTerminateDebugSession((s) => this.onTerminate(s)),
      vscode.debug.registerDebugAdapterTrackerFactory('*', { createDebugAdapterTracker: (s) => this.createTracker(s) }),
    );
  }

  /** The debug sessions of probe launches, as matched (for the test API and the log). */
  sessions(): TrackedSession[] {
    return [...this.tracked.values()].map((s) => ({
      id: s.id,
      name: s.name,
      parentId: s.parentSession?.id,
      stallscopeId: this.matcher.stallscopeIdOf(s.id) ?? '',
      target: this.matcher.targetOf(s.id),
      answered: this.answers.get(s.id),
    }));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  /** Registers a session of a probe launch (idempotent: the tracker factory may see it before onDidStartDebugSession). */
  private register(s: vscode.DebugSession): string | undefined {
    const marker = s.configuration[SESSION_MARKER];
    const stallscopeId = typeof marker === 'string' ? marker : s.parentSession && this.register(s.parentSession);
    if (!stallscopeId) return undefined;
    if (!this.tracked.has(s.id)) {
      this.tracked.set(s.id, s);
      this.matcher.addDebugSession({ id: s.id, parentId: s.parentSession?.id, name: s.name, stallscopeId: typeof marker === 'string' ? marker : undefined });
    }
    return stallscopeId;
  }

  private onStart(s: vscode.DebugSession): void {
    const stallscopeId = this.register(s);
    if (!stallscopeId) return;
    if (s.configuration[SESSION_MARKER] === stallscopeId) this.hub.showSession(stallscopeId);
    // The session's name gives its pid at once (a pause may come any moment); the debuggee's own answer confirms it.
    if ('__pendingTargetId' in s.configuration) void this.askTarget(s);
  }

  private onTerminate(s: vscode.DebugSession): void {
    const stallscopeId = this.matcher.stallscopeIdOf(s.id);
    const pause = this.pauses.get(s.id)?.end(this.matcher.targetOf(s.id));
    if (stallscopeId && pause) this.hub.addPause(stallscopeId, pause);
    this.pauses.delete(s.id);
    if (stallscopeId && s.configuration[SESSION_MARKER] === stallscopeId) {
      this.hub.endSession(stallscopeId);
      this.injector.revoke(stallscopeId);
    }
    this.tracked.delete(s.id);
    this.answers.delete(s.id);
    this.matcher.removeDebugSession(s.id);
  }

  private createTracker(s: vscode.DebugSession): vscode.DebugAdapterTracker | undefined {
    const stallscopeId = this.register(s);
    if (!stallscopeId) return undefined;
    const pauses = new DebugAdapterPauses(s.id);
    this.pauses.set(s.id, pauses);
    const record = (message: unknown) => {
      const pause = pauses.fromAdapter(message, this.matcher.targetOf(s.id));
      if (pause) this.hub.addPause(stallscopeId, pause);
    };
    return { onDidSendMessage: record };
  }

  /** Asks a js-debug target session's debuggee for its pid and thread ('watch' context: no frame, no console output). */
  private async askTarget(s: vscode.DebugSession): Promise<void> {
    const ask = async (expression: string): Promise<number | undefined> => {
      const r: unknown = await s.customRequest('evaluate', { expression, context: 'watch' });
      const n = Number(typeof r === 'object' && r !== null ? (r as { result?: unknown }).result : undefined);
      return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
    };
    try {
      const pid = await ask('process.pid');
      const threadId = await ask('typeof process.getBuiltinModule === "function" ? process.getBuiltinModule("node:worker_threads").threadId : 0');
      if (pid === undefined || threadId === undefined || !this.tracked.has(s.id)) return;
      this.answers.set(s.id, { pid, threadId });
      this.matcher.setTarget(s.id, { pid, threadId });
    } catch (e) {
      this.log.debug(`debug session "${s.name}" did not say its pid: ${(e as Error).message}`);
    }
  }
}
