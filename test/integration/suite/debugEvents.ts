/**
 * What the suite sees of the debuggees through the real debug adapter: their output lines and
 * their `stopped` events, grouped by the launch (root session name) they belong to.
 */
import * as vscode from 'vscode';
import { LOG_MARKER } from '../driverProtocol';

interface Seen {
  root: string;
  session: vscode.DebugSession;
  kind: 'output' | 'stopped' | 'breakpoints';
  text: string;
  body: Record<string, unknown>;
}

function rootOf(s: vscode.DebugSession): vscode.DebugSession {
  let r = s;
  while (r.parentSession) r = r.parentSession;
  return r;
}

export class DebugEvents implements vscode.Disposable {
  private readonly seen: Seen[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker: (session) => ({
        onDidSendMessage: (m: { type?: string; event?: string; command?: string; body?: Record<string, unknown> }) => {
          const body = m.body ?? {};
          if (m.type === 'event' && m.event === 'output' && typeof body.output === 'string') this.add(session, 'output', body.output, body);
          else if (m.type === 'event' && m.event === 'stopped') this.add(session, 'stopped', String(body.reason ?? ''), body);
          else if (m.type === 'response' && m.command === 'setBreakpoints') this.add(session, 'breakpoints', JSON.stringify(body.breakpoints ?? []), body);
        },
      }),
    });
  }

  /** The first output line of launch `root` matching `re` (after index `since` from `mark()`), waiting for it. */
  async output(root: string, re: RegExp, since = 0, timeoutMs = 30_000): Promise<{ match: RegExpExecArray; session: vscode.DebugSession }> {
    return this.waitFor(`output ${re} from "${root}"`, timeoutMs, () => {
      for (const s of this.seen.slice(since)) {
        if (s.kind !== 'output' || s.root !== root) continue;
        const match = re.exec(s.text);
        if (match) return { match, session: s.session };
      }
      return undefined;
    });
  }

  /** The next `stopped` of launch `root` after `since` (an index from `mark()`). */
  stopped(root: string, since: number, timeoutMs = 30_000): Promise<{ session: vscode.DebugSession; body: Record<string, unknown> }> {
    return this.waitFor(`stopped in "${root}"`, timeoutMs, () => {
      const s = this.seen.slice(since).find((x) => x.kind === 'stopped' && x.root === root);
      return s && { session: s.session, body: s.body };
    });
  }

  /** Waits until the adapter reports a verified breakpoint at `line` (1-based). */
  verifiedBreakpoint(root: string, line: number, since: number, timeoutMs = 15_000): Promise<true> {
    return this.waitFor(`verified breakpoint at line ${line} in "${root}"`, timeoutMs, () => {
      for (const s of this.seen.slice(since)) {
        if (s.kind !== 'breakpoints' || s.root !== root) continue;
        const bps = s.body.breakpoints;
        if (Array.isArray(bps) && bps.some((b: { verified?: boolean; line?: number }) => b.verified && b.line === line)) return true as const;
      }
      return undefined;
    });
  }

  mark(): number {
    return this.seen.length;
  }

  dispose(): void {
    this.registration.dispose();
  }

  private add(session: vscode.DebugSession, kind: Seen['kind'], text: string, body: Record<string, unknown>): void {
    const pid = kind === 'output' ? /LISTENING \d+ pid (\d+)/.exec(text) : null;
    if (pid) console.log(`${LOG_MARKER}debuggee pid ${pid[1]} ("${rootOf(session).name}")`); // the driver kills it if a failed run leaves it behind
    this.seen.push({ root: rootOf(session).name, session, kind, text, body });
    for (const w of this.waiters) w();
  }

  private waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        cleanup();
        resolve(v);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** Polls `probe` until it returns something, or fails saying what it waited for. */
export async function until<T>(what: string, probe: () => T | undefined | false | PromiseLike<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
