/**
 * The watchdog's inspector session on the main thread, and through its NodeWorker domain on the
 * user's worker threads. It only ever evaluates the snapshot function and (when a debugger may be
 * attached) listens to Debugger.paused/resumed. It never pauses or resumes anything: a probe that
 * pauses races the user's breakpoints and makes the IDE flash a pause on every stall.
 *
 * Main thread: Runtime.callFunctionOn on the snapshot function's objectId (fetched once), which
 * compiles no new script per capture. Worker threads: NodeWorker.sendMessageToWorker carrying a
 * Runtime.evaluate (verified to work from a connectToMainThread session).
 */
import type * as InspectorModule from 'node:inspector';
import { CAPTURE_DECLARATION, SNAPSHOT_EXPRESSION, type SnapshotResult } from './snapshot';

type Post = (method: string, params: object, cb: (err: Error | null, result?: unknown) => void) => void;

interface RuntimeResult {
  result?: { value?: unknown; objectId?: string };
  exceptionDetails?: unknown;
}

export interface InspectorEvents {
  onAttach(threadId: number, name: string | undefined): void;
  onDetach(threadId: number): void;
  onPaused(threadId: number, reason: string): void;
  onResumed(threadId: number): void;
}

/**
 * V8's reason (`other` for a breakpoint: the breakpoints it hit are listed only to the session
 * that set them, never to the probe's; the debug adapter's `stopped` names it).
 */
function pauseReason(p: { reason?: unknown }): string {
  return String(p.reason ?? 'other');
}

function isSnapshot(v: unknown): v is SnapshotResult {
  return !!v && typeof v === 'object' && typeof (v as SnapshotResult).t === 'number' && Array.isArray((v as SnapshotResult).frames);
}

export class InspectorLink {
  private readonly session: InspectorModule.Session;
  private readonly postRaw: Post;
  private snapshotId: string | undefined;
  private nodeWorker = false;
  private debuggerOn = false;
  private connected = true;
  private nextId = 1;
  private readonly workerSessions = new Map<number, string>(); // threadId -> inspector sessionId
  private readonly threadOfSession = new Map<string, number>();
  private readonly pending = new Map<number, (msg: { result?: unknown; error?: unknown }) => void>();

  constructor(
    inspector: typeof InspectorModule,
    private readonly ownThreadId: number,
    private readonly events: InspectorEvents,
    /** The snapshot function's expression (stallscope/testing has its own beside the probe's). */
    private readonly expression = SNAPSHOT_EXPRESSION,
  ) {
    this.session = new inspector.Session();
    this.session.connectToMainThread();
    this.postRaw = this.session.post.bind(this.session) as unknown as Post;
    this.session.on('inspectorNotification', (n: { method: string; params?: unknown }) => this.onNotification(n));
  }

  post<T = unknown>(method: string, params: object = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      if (!this.connected) return reject(new Error('disconnected'));
      try {
        this.postRaw(method, params, (err, result) => (err ? reject(err) : resolve(result as T)));
      } catch (e) {
        reject(e as Error);
      }
    });
  }

  /** Fetches the snapshot function once. Not awaited by the caller: the poll timer is already running. */
  async init(): Promise<void> {
    const r = await this.post<RuntimeResult>('Runtime.evaluate', { expression: this.expression, objectGroup: 'stallscope', silent: true });
    this.snapshotId = r.result?.objectId;
  }

  async captureMain(beat: number): Promise<SnapshotResult | undefined> {
    const r = this.snapshotId
      ? await this.post<RuntimeResult>('Runtime.callFunctionOn', {
          objectId: this.snapshotId,
          functionDeclaration: CAPTURE_DECLARATION,
          arguments: [{ value: beat }],
          returnByValue: true,
          silent: true,
        })
      : await this.post<RuntimeResult>('Runtime.evaluate', { expression: `${this.expression}(${beat})`, returnByValue: true, silent: true });
    const v = r.result?.value;
    return isSnapshot(v) ? v : undefined;
  }

  hasWorker(threadId: number): boolean {
    return this.workerSessions.has(threadId);
  }

  async captureWorker(threadId: number, beat: number): Promise<SnapshotResult | undefined> {
    const sessionId = this.workerSessions.get(threadId);
    if (!sessionId) return undefined;
    const msg = await this.sendToWorker(sessionId, 'Runtime.evaluate', {
      expression: `${this.expression}(${beat})`,
      returnByValue: true,
      silent: true,
    });
    const v = (msg.result as RuntimeResult | undefined)?.result?.value;
    return isSnapshot(v) ? v : undefined;
  }

  /** Attaches to worker threads (without making them wait for a debugger). */
  enableWorkers(): void {
    if (this.nodeWorker) return;
    this.nodeWorker = true;
    this.post('NodeWorker.enable', { waitForDebuggerOnStart: false }).catch(() => undefined);
  }

  /** Passive: only to hear Debugger.paused/resumed. Called when an inspector port is open. */
  enableDebugger(): void {
    if (this.debuggerOn) return;
    this.debuggerOn = true;
    this.post('Debugger.enable', {}).catch(() => undefined);
    for (const sessionId of this.workerSessions.values()) this.sendToWorker(sessionId, 'Debugger.enable', {}).catch(() => undefined);
  }

  disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    try {
      this.session.disconnect();
    } catch {
      // ignore
    }
    for (const p of this.pending.values()) p({ error: 'disconnected' });
    this.pending.clear();
  }

  private sendToWorker(sessionId: string, method: string, params: object): Promise<{ result?: unknown; error?: unknown }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, resolve);
      this.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) }).catch((e: Error) => {
        this.pending.delete(id);
        reject(e);
      });
    });
  }

  private onNotification(n: { method: string; params?: unknown }): void {
    const p = (n.params ?? {}) as Record<string, unknown>;
    switch (n.method) {
      case 'Debugger.paused':
        this.events.onPaused(0, pauseReason(p));
        break;
      case 'Debugger.resumed':
        this.events.onResumed(0);
        break;
      case 'NodeWorker.attachedToWorker': {
        const info = (p.workerInfo ?? {}) as { title?: string };
        // The title is "[worker <threadId>] <name>"; workerId is an inspector id, not the threadId.
        const m = /^\[worker (\d+)\]\s*(.*)$/.exec(info.title ?? '');
        const sessionId = String(p.sessionId ?? '');
        if (!m || !sessionId) break;
        const threadId = Number(m[1]);
        if (threadId === this.ownThreadId) break;
        this.workerSessions.set(threadId, sessionId);
        this.threadOfSession.set(sessionId, threadId);
        if (this.debuggerOn) this.sendToWorker(sessionId, 'Debugger.enable', {}).catch(() => undefined);
        this.events.onAttach(threadId, m[2] || undefined);
        break;
      }
      case 'NodeWorker.detachedFromWorker': {
        const sessionId = String(p.sessionId ?? '');
        const threadId = this.threadOfSession.get(sessionId);
        this.threadOfSession.delete(sessionId);
        if (threadId !== undefined) {
          this.workerSessions.delete(threadId);
          this.events.onDetach(threadId);
        }
        break;
      }
      case 'NodeWorker.receivedMessageFromWorker': {
        let msg: { id?: number; method?: string; params?: { reason?: string }; result?: unknown; error?: unknown };
        try {
          msg = JSON.parse(String(p.message ?? ''));
        } catch {
          break;
        }
        if (typeof msg.id === 'number') {
          const resolve = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          resolve?.(msg);
          break;
        }
        const threadId = this.threadOfSession.get(String(p.sessionId ?? ''));
        if (threadId === undefined) break;
        if (msg.method === 'Debugger.paused') this.events.onPaused(threadId, pauseReason(msg.params ?? {}));
        else if (msg.method === 'Debugger.resumed') this.events.onResumed(threadId);
        break;
      }
      default:
        break;
    }
  }
}
