/**
 * Debugger pauses from the Debug Adapter Protocol, and the rule that keeps them from counting as
 * stalls. A breakpoint stops the event loop exactly like blocking code does, so the probe alone
 * would report every breakpoint as a stall; the host sees the adapter's `stopped` and knows better.
 * Kept free of `vscode`: fed with raw DAP messages, unit-tested with recorded sequences.
 */
import type { PauseRange, Stall } from '../shared/protocol';
import type { Target } from './sessionMatcher';

/** Requests whose successful response means the debuggee runs again (DAP sends no `continued` for these). */
const RESUMING_REQUESTS = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto', 'restartFrame']);

interface OpenPause {
  id: string;
  startMs: number;
  reason?: string;
}

/**
 * Turns one debug session's DAP traffic into pause ranges. js-debug runs one thread per session,
 * so a session is paused or not. The target (pid/thread) is asked for on every change because it
 * may only become known after the pause began.
 */
export class PauseTracker {
  private open: OpenPause | undefined;
  private seq = 0;

  constructor(
    private readonly sessionId: string,
    private readonly now: () => number = Date.now,
  ) {}

  get paused(): boolean {
    return this.open !== undefined;
  }

  /** Messages the adapter sent (events, responses). Returns the pause that changed, if any. */
  fromAdapter(message: unknown, target: Target | undefined): PauseRange | undefined {
    if (!isObj(message)) return undefined;
    if (message.type === 'event') {
      const body = isObj(message.body) ? message.body : {};
      switch (message.event) {
        case 'stopped': {
          if (this.open) return undefined; // a second `stopped` (another thread, an exception on top) is the same pause
          this.open = { id: `${this.sessionId}#${++this.seq}`, startMs: this.now(), reason: typeof body.reason === 'string' ? body.reason.slice(0, 64) : undefined };
          return this.range(target, null);
        }
        case 'continued':
        case 'terminated':
        case 'exited':
          return this.close(target);
        default:
          return undefined;
      }
    }
    if (message.type === 'response' && message.success === true && typeof message.command === 'string' && RESUMING_REQUESTS.has(message.command)) {
      return this.close(target);
    }
    return undefined;
  }

  /** The session ended without telling (adapter crashed, window closed). */
  end(target: Target | undefined): PauseRange | undefined {
    return this.close(target);
  }

  private close(target: Target | undefined): PauseRange | undefined {
    if (!this.open) return undefined;
    const range = this.range(target, this.now());
    this.open = undefined;
    return range;
  }

  private range(target: Target | undefined, endMs: number | null): PauseRange | undefined {
    if (!this.open || !target) return undefined;
    const pause: PauseRange = { id: this.open.id, pid: target.pid, threadId: target.threadId, startMs: this.open.startMs, endMs };
    if (this.open.reason) pause.reason = this.open.reason;
    return pause;
  }
}

/**
 * What is left of a stall once the debugger pauses of its thread are taken out: the stall itself
 * when it overlaps none, nothing when the pause explains it, or the part after (or before) the
 * pause when that part alone is still longer than the threshold — code that blocks right after
 * a `continue` is a real stall and must not hide behind the breakpoint.
 */
export function subtractPauses(stall: Stall, pauses: readonly PauseRange[], thresholdMs: number, nowMs = Date.now()): Stall | undefined {
  const start = stall.startMs;
  const end = stall.startMs + stall.durationMs;
  for (const p of pauses) {
    if (p.pid !== stall.pid || p.threadId !== stall.thread.id) continue;
    const pEnd = p.endMs ?? nowMs;
    if (!(start < pEnd && end > p.startMs)) continue;
    if (end - pEnd >= thresholdMs) {
      return subtractPauses({ ...stall, startMs: pEnd, durationMs: end - pEnd }, pauses, thresholdMs, nowMs);
    }
    if (p.startMs - start >= thresholdMs) {
      const { ongoing: _ended, ...before } = stall; // the part before the pause is over
      return { ...before, durationMs: p.startMs - start };
    }
    return undefined;
  }
  return stall;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
