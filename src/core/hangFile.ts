/**
 * Reads a hang file (shared/protocol/hangFile): which loops faulthandler's dump shows held up, at
 * which line, read by the probe's own rules (its board says which files are not the user's), so a
 * hang looks as the probe will tell it once the call returns, if it ever does.
 */
import * as path from 'node:path';
import { MAX_STACK_FRAMES } from '../shared/protocol/constants';
import {
  HANG_HEADER_BYTES,
  HANG_JSON_AT,
  HANG_MAGIC,
  HANG_SLOT0,
  HANG_SLOT_BYTES,
  isHangBoard,
  type HangBoard,
  type HangLoop,
} from '../shared/protocol/hangFile';
import type { Cause, Frame, Handler, ThreadRef } from '../shared/protocol/model';

/** A loop the dump shows held up: in a C call holding the GIL, or waiting for a thread that holds it. */
export interface HungLoop {
  thread: ThreadRef;
  /** The loop's last tick: held up since then, give or take one heartbeat. */
  startMs: number;
  frames: Frame[];
  culprit: Frame | null;
  /** The route whose endpoint a frame of the user's on the stack is (outermost first), if the board knows it. */
  handler: Handler | null;
  cause: Cause;
}

export interface HangRead {
  board: HangBoard;
  hung: HungLoop[];
}

type DumpFrame = [file: string, line: number, fn: string];

const THREAD = /^(?:Current thread|Thread) (0x[0-9a-fA-F]+)/;
const FRAME = /^ {2}File "(.*)", line (\d+) in (.*)$/;

/** The board and the loops held up, or undefined when the file holds no dump (or not one of ours). */
export function readHangFile(data: Buffer, cwd: string): HangRead | undefined {
  if (data.length <= HANG_HEADER_BYTES || data.toString('latin1', 0, HANG_MAGIC.length) !== HANG_MAGIC) return undefined;
  const json = data.subarray(HANG_JSON_AT, HANG_HEADER_BYTES);
  const end = json.indexOf(0);
  let board: unknown;
  try {
    board = JSON.parse(json.toString('utf8', 0, end < 0 ? json.length : end));
  } catch {
    return undefined; // (read while the probe rewrote it: the next read will do)
  }
  if (!isHangBoard(board)) return undefined;
  const stacks = parseDump(data.toString('utf8', HANG_HEADER_BYTES));
  const rules = new Rules(board, cwd);
  const loopIdents = new Set(board.loops.map((l) => identKey(l.ident)));
  const hung: HungLoop[] = [];
  for (const loop of board.loops) {
    const stack = stacks.get(identKey(loop.ident));
    if (!stack?.length) continue;
    const at = HANG_SLOT0 + HANG_SLOT_BYTES * loop.slot;
    const startMs = data.readDoubleLE(at) * 1000 + board.offsetMs;
    const parked = data.readDoubleLE(at + 8) === 1;
    const polling = rules.inOwnPoll(stack[0], loop);
    if (polling && parked) continue; // idle
    // Waiting (in its poll with a tick due, or on a lock): another thread keeps the GIL from it.
    const holders = polling || rules.waits(stack[0])
      ? [...stacks].filter(([ident, s]) => !loopIdents.has(ident) && !rules.own.has(ident) && s.length > 0 && !rules.waits(s[0]) && s.some((f) => rules.isUser(f[0])))
      : [];
    if (holders.length === 1) hung.push({ thread: loop.thread, startMs, ...rules.describe(holders[0][1]), cause: { kind: 'gil' } });
    else if (!polling) hung.push({ thread: loop.thread, startMs, ...rules.describe(stack), cause: { kind: 'native', holdsGil: true } });
  }
  return { board, hung };
}

/** {thread ident: stack, innermost first} of the latest dump in `text`. */
export function parseDump(text: string): Map<string, DumpFrame[]> {
  let stacks = new Map<string, DumpFrame[]>();
  let current: DumpFrame[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('Timeout')) {
      stacks = new Map(); // only the latest dump counts
      current = undefined;
      continue;
    }
    const t = THREAD.exec(line);
    if (t) {
      current = [];
      stacks.set(identKey(t[1]), current);
      continue;
    }
    const f = FRAME.exec(line);
    if (f && current) current.push([f[1], Number(f[2]), f[3]]);
  }
  return stacks;
}

/** One spelling of a thread ident: faulthandler pads it with zeros, the board does not. */
function identKey(hex: string): string {
  try {
    return BigInt(hex).toString(16);
  } catch {
    return hex;
  }
}

/** The probe's own rules, as its board states them. */
class Rules {
  readonly own: Set<string>;
  private readonly waitFunctions: Set<string>;

  constructor(
    private readonly board: HangBoard,
    private readonly cwd: string,
  ) {
    this.own = new Set(board.own.map(identKey));
    this.waitFunctions = new Set(board.waits);
  }

  /** A loop's thread in its own poll: the selector's select, the loop's own run, or (a C loop) the frame that started it. */
  inOwnPoll([file, , fn]: DumpFrame, loop: HangLoop): boolean {
    if (this.board.polls.some(([suffix, fns]) => file.endsWith(suffix) && (fns === null || fns.includes(fn)))) return true;
    return loop.entry !== null && file === loop.entry[0] && fn === loop.entry[1];
  }

  isUser(file: string): boolean {
    return !(
      file.startsWith('<') ||
      this.board.notUser.some((p) => file.startsWith(p)) ||
      this.board.packageMarkers.some((m) => file.includes(m))
    );
  }

  waits([file, , fn]: DumpFrame): boolean {
    return this.waitFunctions.has(fn) && !this.isUser(file);
  }

  /** The stack as the protocol's frames, without the probe's; its first frame in the user's code; its route. */
  describe(stack: DumpFrame[]): { frames: Frame[]; culprit: Frame | null; handler: Handler | null } {
    const frames: Frame[] = [];
    let culprit: Frame | null = null;
    let handler: Handler | null = null;
    for (const [file, line, fn] of stack) {
      if (file.startsWith(this.board.probe)) continue;
      const frame: Frame = { file: file.startsWith('<') ? file : path.resolve(this.cwd, file), line: Math.max(1, line), column: 1, function: fn };
      if (frames.length < MAX_STACK_FRAMES) frames.push(frame);
      if (!this.isUser(file)) continue;
      culprit ??= frame;
      handler = this.board.routes?.[frame.file]?.[fn] ?? handler; // the outermost endpoint on the stack
    }
    return { frames, culprit, handler };
  }
}
