/**
 * The hang file: what the host reads of a process while its probe cannot speak. A Python C call that
 * holds the GIL (a regex that never returns) stops every thread of the probe's, its socket included;
 * faulthandler's C timer still dumps every thread's stack into this file, and the hello names it
 * (`hangFile`: `/proc/<pid>/fd/<n>`), so the host can show the hang, at its line, while it lasts.
 * The probe writes it (src/python/stallscope/_hangfile.py); the host reads it (core/hangFile).
 */
import { isArr, isNum, isObj, isStr, isStrArr } from '../guards';
import { isHandler, isThreadRef, type Handler, type ThreadRef } from './model';

export const HANG_MAGIC = 'STLHANG1';
/** Bytes before the dumps: the magic, the loops' slots, then the board's JSON. */
export const HANG_HEADER_BYTES = 16384;
export const HANG_SLOT0 = 64;
/** Per slot: f64 the loop's last tick (the probe's monotonic clock, s); f64 1 while parked idle in its poll. */
export const HANG_SLOT_BYTES = 16;
export const HANG_SLOTS = 16;
export const HANG_JSON_AT = 1024;

export interface HangLoop {
  slot: number;
  /** The thread's ident as faulthandler prints it (`0x7f…`). */
  ident: string;
  thread: ThreadRef;
  /** [file, function] of the frame that started the loop: a C loop (uvloop) shows it while it polls. */
  entry: [string, string] | null;
}

/** The board: what it takes to read a dump as the probe would. */
export interface HangBoard {
  /** Epoch ms = the probe's monotonic seconds × 1000 + offsetMs. */
  offsetMs: number;
  thresholdMs: number;
  /** Folders whose files are not the user's code (the runtime's, installed packages, the probe). */
  notUser: string[];
  /** Path parts that mark installed packages (`/site-packages/`). */
  packageMarkers: string[];
  /** The probe's own folder: its frames are never shown. */
  probe: string;
  /** Idents of the probe's own threads. */
  own: string[];
  /** Innermost functions, outside the user's code, of a thread that waits with the GIL let go (a lock, I/O). */
  waits: string[];
  /** A loop's poll as its innermost dumped frame shows it: [file suffix, its functions or null for any]. */
  polls: Array<[string, string[] | null]>;
  loops: HangLoop[];
  /** {file: {function: handler}}: the route whose endpoint each function of the user's is. */
  routes?: Record<string, Record<string, Handler>>;
}

function isHangLoop(v: unknown): v is HangLoop {
  return (
    isObj(v) &&
    Number.isInteger(v.slot) && (v.slot as number) >= 0 && (v.slot as number) < HANG_SLOTS &&
    isStr(v.ident, 32) &&
    isThreadRef(v.thread) &&
    (v.entry === null || (isArr(v.entry, (x): x is string => isStr(x), 2) && v.entry.length === 2))
  );
}

export function isHangBoard(v: unknown): v is HangBoard {
  return (
    isObj(v) &&
    isNum(v.offsetMs) &&
    isNum(v.thresholdMs) &&
    isStrArr(64)(v.notUser) &&
    isStrArr(8)(v.packageMarkers) &&
    isStr(v.probe) &&
    isStrArr(64)(v.own) &&
    isStrArr(64)(v.waits) &&
    isArr(v.polls, (p): p is [string, string[] | null] => Array.isArray(p) && p.length === 2 && isStr(p[0]) && (p[1] === null || isStrArr(16)(p[1])), 8) &&
    isArr(v.loops, isHangLoop, HANG_SLOTS) &&
    (v.routes === undefined || (isObj(v.routes) && Object.values(v.routes).every((fns) => isObj(fns) && Object.values(fns).every(isHandler))))
  );
}
