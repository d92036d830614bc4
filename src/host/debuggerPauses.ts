/**
 * Debugger pauses as the Debug Adapter Protocol tells them, and a stall with those pauses taken out
 * (the rule itself lives in shared/pauses.ts). A breakpoint stops the event loop exactly like
 * blocking code does; the host sees the adapter's `stopped` and knows better.
 * Kept free of `vscode`: fed with raw DAP messages, unit-tested with recorded sequences.
 */
import { isObj } from '../shared/guards';
import { outsidePauses } from '../shared/pauses';
import type { PauseRange, Stall } from '../shared/protocol/model';
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
export class DebugAdapterPauses {
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

/** What is left of a stall once the debugger pauses of its own thread are taken out (see outsidePauses). */
export function subtractPauses(stall: Stall, pauses: readonly PauseRange[], thresholdMs: number, nowMs = Date.now()): Stall | undefined {
  const own = pauses.filter((p) => p.pid === stall.pid && p.threadId === stall.thread.id);
  const left = outsidePauses(stall.startMs, stall.startMs + stall.durationMs, own, thresholdMs, nowMs);
  if (!left) return undefined;
  if (left.startMs === stall.startMs && left.endMs === stall.startMs + stall.durationMs) return stall;
  const { ongoing, ...rest } = stall;
  // A part that ends where a pause began is over.
  return { ...rest, ...(ongoing && !left.endsAtPause ? { ongoing } : {}), startMs: left.startMs, durationMs: left.endMs - left.startMs };
}
