/**
 * Call sites of synchronous native calls that block where V8 cannot look. V8 runs the watchdog's
 * look only at an interrupt check in JavaScript, so a call that stays in C++ from start to end
 * delays it until the call has returned, and its stack then shows whatever ran next (the next
 * line of the caller): the stall would get a wrong line or none. Two such calls are wrapped:
 *
 * - JSON.parse, which parses in C++ without interrupt checks; strings under BIG_TEXT go straight
 *   through (a length check: a parse of them cannot get near the lowest threshold);
 * - fs.readFileSync, whose utf8 path is one native call that returns straight to the caller (the
 *   other paths loop in JavaScript, where a look lands inside readFileSync, on the right line).
 *
 * A wrapped call is marked as in progress, so a look that runs inside the wrapper (right after the
 * call returned, at the wrapper's next function call) knows the stack below is the call site; one
 * that took SLOW_MS or more leaves its call site (captured as it returns) for a look that V8 runs
 * only after the wrapper returned.
 *
 * Each wrapper has the original's name and length and `this`; an error the call throws has the
 * wrapper's own line taken out of its stack, so the program's output stays the same.
 */
import type { Handler } from '../shared/protocol/model';
import type { RawFrame } from './callSites';
import { hrMs } from './clock';

/** A parse of fewer characters takes well under the lowest threshold (parsing runs at hundreds of MB a second). */
export const BIG_TEXT = 256 * 1024;
/** A parse this slow is worth a stack capture (the lowest threshold). */
const SLOW_MS = 10;

export interface NativeCall {
  api: string;
  startHr: number;
  endHr: number;
  /** The call site and its callers, as captured when the call returned. */
  frames: RawFrame[];
  /**
   * What it ran for (a request, a timer), as the call returned: the look may run only once the loop
   * has gone on to the next request in the same turn, and then what runs is not what blocked.
   */
  handler: Handler | null;
}

/** The big call in progress, if any (a look inside the wrapper sees it). */
let inProgress: string | undefined;
let lastSlow: NativeCall | undefined;

/** The API being called right now, when a look runs inside a wrapper. */
export function nativeInProgress(): string | undefined {
  return inProgress;
}

/** The last slow call, if it ended no earlier than `sinceHr`. */
export function slowCallEndedSince(sinceHr: number): NativeCall | undefined {
  return lastSlow && lastSlow.endHr >= sinceHr ? lastSlow : undefined;
}

/** `capture(fn)`: the raw frames below `fn` (the snapshot's own frame capture). */
type Capture = (skip: (...a: never[]) => unknown) => RawFrame[];
/** The handler running now (a request, a timer). */
type Running = () => Handler | null;
type Two = (this: unknown, a: unknown, b: unknown) => unknown;

/**
 * Replaces `holder[key]` (a function of two arguments) with a wrapper that marks `api` in progress
 * when `watched(a, b)`, once per holder and key.
 */
function wrapSync(holder: object, key: string, api: string, watched: (a: unknown) => boolean, capture: Capture, running: Running): void {
  const mark = Symbol.for(`stallscope.wrapped.${api}`);
  const h = holder as Record<string | symbol, unknown>;
  if (h[mark] || typeof h[key] !== 'function') return;
  const original = h[key] as Two;
  // This module's file: the probe bundle, or the source under a test runner.
  const ownLine = `(${__filename}:`;
  // A method (not an arrow) so `this` is the holder as in the original call (JSON.parse's own frame
  // then reads `at JSON.parse (<anonymous>)` exactly as without the probe), named as the original.
  const wrapper = {
    [key](this: unknown, a: unknown, b: unknown): unknown {
      try {
        if (inProgress || !watched(a)) return original.call(this, a, b);
        const startHr = hrMs();
        inProgress = api;
        try {
          return original.call(this, a, b);
        } finally {
          // Still marked in progress while recording: a look that runs in between sees the wrapper.
          const endHr = hrMs();
          if (endHr - startHr >= SLOW_MS) lastSlow = { api, startHr, endHr, frames: capture(fn), handler: running() };
          inProgress = undefined;
        }
      } catch (e) {
        throw withoutOwnFrame(e, ownLine);
      }
    },
  };
  const fn = wrapper[key] as Two;
  const enumerable = Object.getOwnPropertyDescriptor(holder, key)?.enumerable ?? false;
  Object.defineProperty(holder, key, { value: fn, writable: true, configurable: true, enumerable });
  Object.defineProperty(holder, mark, { value: true });
}

/** JSON.parse, for strings of BIG_TEXT characters or more. */
export function wrapJsonParse(capture: Capture, running: Running = () => null): void {
  wrapSync(JSON, 'parse', 'JSON.parse', (text) => typeof text === 'string' && text.length >= BIG_TEXT, capture, running);
}

/** fs.readFileSync, every call (it costs a file open and read; the wrapper two clock reads). */
export function wrapReadFileSync(capture: Capture, running: Running = () => null): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as object;
  wrapSync(fs, 'readFileSync', 'readFileSync', () => true, capture, running);
}

function withoutOwnFrame(e: unknown, ownLine: string): unknown {
  try {
    const err = e as { stack?: unknown };
    if (e instanceof Error && typeof err.stack === 'string' && err.stack.includes(ownLine)) {
      err.stack = err.stack
        .split('\n')
        .filter((l) => !l.includes(ownLine))
        .join('\n');
    }
  } catch {
    // a frozen error keeps its stack as it is
  }
  return e;
}
