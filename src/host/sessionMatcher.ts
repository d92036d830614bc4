/**
 * Which process (and thread) each VS Code debug session of a probe launch shows, so a debugger
 * pause lands on the right lane. Kept free of `vscode` so the rules are unit-tested.
 *
 * What js-debug gives us (1.117): a launch is a root session without a target, and every process
 * and worker thread becomes a child session (parentSession set, `__pendingTargetId` in its
 * configuration). Process sessions are named `<script> [<pid>]` (VS Code may append ` « <launch>`);
 * worker sessions carry Node's worker title `[worker <threadId>] <name>`.
 */

export interface DebugSessionInfo {
  id: string;
  parentId?: string;
  name: string;
  /** Set on the root session of a launch the probe was injected into. */
  stallscopeId?: string;
}

export interface Target {
  pid: number;
  threadId: number;
}

/** Reads the pid or worker thread id out of a js-debug session name. */
export function parseSessionName(name: string): { pid?: number; workerThreadId?: number } {
  const worker = /^\[worker (\d+)\]/.exec(name);
  if (worker) return { workerThreadId: Number(worker[1]) };
  const own = name.split(' « ')[0]; // the suffix names the launch, which may contain anything
  const pids = [...own.matchAll(/\[(\d+)\]/g)];
  return pids.length ? { pid: Number(pids[pids.length - 1][1]) } : {};
}

export class SessionMatcher {
  private readonly sessions = new Map<string, DebugSessionInfo & { learned?: Target }>();

  addDebugSession(info: DebugSessionInfo): void {
    this.sessions.set(info.id, { ...info });
  }

  removeDebugSession(id: string): void {
    this.sessions.delete(id);
  }

  /** A target learned another way (the debuggee answered `process.pid`), for sessions whose name says nothing. */
  setTarget(id: string, target: Target): void {
    const s = this.sessions.get(id);
    if (s) s.learned = target;
  }

  /** The stallscope session a debug session belongs to (its own, or its nearest ancestor's). */
  stallscopeIdOf(id: string): string | undefined {
    for (let s = this.sessions.get(id); s; s = s.parentId ? this.sessions.get(s.parentId) : undefined) {
      if (s.stallscopeId) return s.stallscopeId;
    }
    return undefined;
  }

  /** The root debug session of a stallscope session. */
  rootOf(stallscopeId: string): string | undefined {
    for (const s of this.sessions.values()) if (s.stallscopeId === stallscopeId) return s.id;
    return undefined;
  }

  /** The process (and thread) a debug session is attached to, when it can be told. */
  targetOf(id: string): Target | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.learned) return s.learned;
    const parsed = parseSessionName(s.name);
    if (parsed.pid !== undefined) return { pid: parsed.pid, threadId: 0 };
    if (parsed.workerThreadId !== undefined) {
      // A worker session's process is its nearest ancestor's process.
      const parent = s.parentId ? this.targetOf(s.parentId) : undefined;
      return parent ? { pid: parent.pid, threadId: parsed.workerThreadId } : undefined;
    }
    return undefined;
  }
}
