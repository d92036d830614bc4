/**
 * Call sites of JSON.parse calls that block. V8 parses a string in C++ from start to end without
 * ever checking for interrupts, so the watchdog's look at the blocked thread runs only once the
 * parse has returned, and its stack shows whatever ran next: the probe would have to report the
 * stall without a culprit. So the probe wraps JSON.parse:
 *
 * - strings under BIG_TEXT go straight through (a length check: a parse of them cannot get near
 *   the lowest threshold);
 * - a bigger one is marked as in progress for its length, so a look that runs inside the wrapper
 *   (right after the parse returned) knows the stack below is the call site;
 * - one that took SLOW_MS or more leaves its call site (the stack captured as it returns) for the
 *   look that V8 runs at the next interrupt check, possibly only after the wrapper returned.
 *
 * The wrapper is named `parse` and takes (text, reviver) like the original; an error the parse
 * throws has the wrapper's own line taken out of its stack, so the program's output stays the same.
 */
import type { Handler } from '../shared/protocol';
import type { RawFrame } from './snapshot';
import { hrMs } from './clock';

/** A parse of fewer characters takes well under the lowest threshold (~1 ms per MB on this machine). */
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

const WRAPPED = Symbol.for('stallscope.jsonParseWrapped');

/** `capture(fn)`: the raw frames below `fn` (the snapshot's own frame capture); `running()`: the handler now. */
export function wrapJsonParse(capture: (skip: (...a: never[]) => unknown) => RawFrame[], running: () => Handler | null = () => null): void {
  const json = JSON as JSON & { [WRAPPED]?: boolean };
  if (json[WRAPPED]) return;
  type Reviver = (this: unknown, key: string, value: unknown) => unknown;
  const original = JSON.parse as (this: unknown, text: string, reviver?: Reviver) => unknown;
  // This module's file: the probe bundle, or the source under a test runner.
  const ownLine = `(${__filename}:`;
  // A method (not an arrow) so `this` is JSON as in the original call: the engine's frame for the
  // real parse then reads `at JSON.parse (<anonymous>)` exactly as without the probe.
  const wrapper = {
    parse(this: unknown, text: string, reviver?: Reviver): unknown {
      try {
        if (typeof text !== 'string' || text.length < BIG_TEXT || inProgress) return original.call(this, text, reviver);
        const startHr = hrMs();
        inProgress = 'JSON.parse';
        try {
          return original.call(this, text, reviver);
        } finally {
          // Still marked in progress while recording: a look that runs in between sees the wrapper.
          const endHr = hrMs();
          if (endHr - startHr >= SLOW_MS) lastSlow = { api: 'JSON.parse', startHr, endHr, frames: capture(wrapper.parse), handler: running() };
          inProgress = undefined;
        }
      } catch (e) {
        throw withoutOwnFrame(e, ownLine);
      }
    },
  };
  Object.defineProperty(JSON, 'parse', { value: wrapper.parse, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(json, WRAPPED, { value: true });
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
