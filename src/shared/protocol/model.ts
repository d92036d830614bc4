/**
 * What a probe observes, in shapes any runtime can fill (a Node probe and a Python probe send the
 * same ones), with their guards.
 *
 * Conventions, so nobody has to guess:
 * - every `…Ms` that is a point in time is Unix epoch milliseconds (float, sub-ms precision);
 *   durations are `durationMs` and friends;
 * - `line` and `column` are 1-based everywhere (a runtime's 0-based positions are converted inside
 *   its probe, and nowhere else); `column` is 1 when the runtime does not know it;
 * - `file` is an absolute path for user code (file:// URLs are converted) or a runtime id such as `node:fs`.
 */
import { isArr, isBool, isInt, isNum, isObj, isOneOf, isOpt, isStr, isStrArr, isStrMax, type Obj } from '../guards';
import { MAX_ARGV, MAX_STACK_FRAMES } from './constants';

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface Frame extends SourceLocation {
  function: string;
  /** Where the code actually ran, when a source map moved `file/line/column` to the original source. */
  generated?: SourceLocation;
}

export interface ThreadRef {
  /** 0 for the process's main thread; else Node's worker threadId, Python's threading.get_native_id(). */
  id: number;
  name?: string;
}

export type HandlerKind =
  | 'http'
  | 'timer'
  | 'immediate'
  | 'fs'
  | 'net'
  | 'dns'
  | 'child-process'
  | 'worker-message'
  | 'promise'
  | 'main'
  /** An asyncio Task; the label is the task's or its coroutine's name. */
  | 'task'
  /** A callback the loop ran (asyncio call_soon / call_later). */
  | 'callback'
  | 'other';

export interface Handler {
  kind: HandlerKind;
  /**
   * Human label: `GET /users/:id`, `setTimeout`, `fs callback`, … For http: the method and the route
   * pattern when known, else the path. Untrusted text: render as text.
   */
  label: string;
  /** http: the route pattern as the framework spells it (`/users/:id`, `/items/{item_id}`); absent when unknown. */
  route?: string;
  /** http: the requested path without its query. */
  path?: string;
}

/** A time or duration as the wire carries it: milliseconds to the hundredth. */
export function round2(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** The stall going on the longest (the one that began first among those still ongoing), if any. */
export function longestOngoing(stalls: readonly Stall[]): Stall | undefined {
  let found: Stall | undefined;
  for (const s of stalls) if (s.ongoing && (!found || s.startMs < found.startMs)) found = s;
  return found;
}

/** Longest HTTP handler label the probe reports. */
export const MAX_HTTP_LABEL = 200;

/**
 * The handler label of an HTTP request, `GET /orders`: the method and the path without its query
 * or fragment. The probe labels requests with it and `stallscope check` matches endpoints with it,
 * so the two can never disagree about what "the same endpoint" is.
 */
export function httpRequestLabel(method: unknown, url: unknown): string {
  const u = typeof url === 'string' ? url : '';
  const q = u.search(/[?#]/);
  const path = (q >= 0 ? u.slice(0, q) : u) || '/';
  return `${typeof method === 'string' ? method : 'GET'} ${path}`.slice(0, MAX_HTTP_LABEL);
}

/**
 * js / python: that language's code running on the CPU; native: a synchronous call into native code
 * (Node: pbkdf2Sync, readFileSync; Python: a C call); gc: garbage collection; gil: the loop thread was
 * starved of Python's GIL by another thread (`thread`).
 */
export type CauseKind = 'js' | 'python' | 'native' | 'gc' | 'gil';

export interface Cause {
  kind: CauseKind;
  /** The API involved when known, e.g. `pbkdf2Sync`, `readFileSync`, `Atomics.wait`, `time.sleep`. */
  api?: string;
  /**
   * native (Python): the call held the GIL, so the watchdog could only look once it returned; false or
   * absent: it released the GIL (time.sleep, blocking I/O) and the stack is the one it blocked in.
   */
  holdsGil?: boolean;
  /** gil: the thread that held the GIL; the stall's culprit and frames are that thread's. */
  thread?: ThreadRef;
}

/**
 * in-flight: the request had started when the loop blocked, and its next step had to wait;
 * queued: it arrived while the loop was blocked and was only read once the stall ended.
 */
export type VictimState = 'in-flight' | 'queued';

/** A request that was in flight or queued while a stall blocked the loop. */
export interface Victim {
  /** `GET /health` (see httpRequestLabel). Untrusted text: render as text. */
  label: string;
  /**
   * How long this request was held up by the stall, at most: an in-flight request may have had
   * nothing to do for part of the stall, a queued one may have arrived after it began. For an
   * entry that folds `count` requests, the longest.
   */
  delayedMs: number;
  /** Absent in reports written before probes told the two apart. */
  state?: VictimState;
  /** Requests folded into this entry (same label and state); absent means one. */
  count?: number;
}

/**
 * Requests whose handlers ran one after another inside one stall: under load, queued requests that
 * each block in turn make one long stall, and this tells it was N requests of ~eachMs, not one
 * handler of the whole duration.
 */
export interface BackToBack {
  /** `GET /hash` (see httpRequestLabel). Untrusted text: render as text. */
  label: string;
  /** Handlers of this label that began inside the stall (the one running when it began included). */
  count: number;
  /** The typical time each held the loop (the median gap to the next start, or to the stall's end). */
  eachMs?: number;
  /** The longest any one of them held the loop, at most (the same gaps' largest). */
  maxMs?: number;
}

export interface Stall {
  /**
   * Unique within one run / session: `${pid}.${threadId}.${seq}`; `${pid}.${threadId}.hang-${startMs}` for a
   * hang the host read from the process's hang file while its probe could not speak (see hangFile.ts).
   */
  id: string;
  pid: number;
  thread: ThreadRef;
  startMs: number;
  /** The time blocked; while `ongoing`, blocked so far. */
  durationMs: number;
  /** True in the message sent at detection, while the loop is still blocked; absent once it ended. */
  ongoing?: boolean;
  /** When the probe noticed the stall (detection latency = detectedMs - startMs). */
  detectedMs?: number;
  /** The first frame in the user's own code (not the runtime's, not a dependency's, not the probe's). */
  culprit: Frame | null;
  /** The blocked stack, innermost first, at most MAX_STACK_FRAMES. */
  frames: Frame[];
  handler: Handler | null;
  cause?: Cause;
  victims?: Victim[];
  /** Present when at least two request handlers ran back to back inside it. */
  backToBack?: BackToBack[];
}

/** A worker pool's occupancy over one lag interval (Python: anyio's default thread limiter). */
export interface PoolSample {
  name: string;
  capacity: number;
  busyMax: number;
  waitingMax: number;
  waitedMaxMs: number;
}

export interface LagSample {
  pid: number;
  threadId: number;
  /** End of the interval. */
  atMs: number;
  intervalMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Event-loop utilisation over the interval, 0..1. */
  elu: number;
  pool?: PoolSample;
}

export type RuntimeName = 'node' | 'python';

export interface Runtime {
  name: RuntimeName;
  /** As the runtime spells it: `v22.4.0`, `3.12.3`. */
  version: string;
}

export type ProbeMode = 'full' | 'lag-only';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
  cwd: string;
  runtime: Runtime;
  /** 'lag-only' when stack capture is unavailable (permission model, no inspector). */
  mode: ProbeMode;
  startedAtMs: number;
  endedAtMs?: number;
  threads: ThreadRef[];
}

/** A debugger pause (breakpoint, step): the loop stops, but it is not a stall. */
export interface PauseRange {
  id: string;
  pid: number;
  threadId: number;
  startMs: number;
  /** null while still paused. */
  endMs: number | null;
  reason?: string;
}

export interface ListeningServer {
  pid: number;
  protocol: 'http' | 'https';
  address: string;
  port: number;
}

// ───────────────────────────── guards ─────────────────────────────

const MAX_VICTIMS = 1000;

export function isSourceLocation(v: unknown): v is SourceLocation {
  return isObj(v) && isStr(v.file) && isInt(v.line, 1) && isInt(v.column, 1);
}

export function isFrame(v: unknown): v is Frame {
  return isSourceLocation(v) && isStr((v as unknown as Obj).function) && isOpt((v as unknown as Obj).generated, isSourceLocation);
}

export function isThreadRef(v: unknown): v is ThreadRef {
  return isObj(v) && isInt(v.id) && isOpt(v.name, isStrMax(256));
}

export const HANDLER_KINDS: readonly HandlerKind[] = [
  'http', 'timer', 'immediate', 'fs', 'net', 'dns', 'child-process', 'worker-message', 'promise', 'main', 'task', 'callback', 'other',
];
export function isHandler(v: unknown): v is Handler {
  return (
    isObj(v) &&
    isOneOf(HANDLER_KINDS)(v.kind) &&
    isStr(v.label, 1024) &&
    isOpt(v.route, isStrMax(1024)) &&
    isOpt(v.path, isStrMax(1024))
  );
}

export const CAUSE_KINDS: readonly CauseKind[] = ['js', 'python', 'native', 'gc', 'gil'];
function isCause(v: unknown): v is Cause {
  return (
    isObj(v) &&
    isOneOf(CAUSE_KINDS)(v.kind) &&
    isOpt(v.api, isStrMax(256)) &&
    isOpt(v.holdsGil, isBool) &&
    isOpt(v.thread, isThreadRef)
  );
}

function isVictim(v: unknown): v is Victim {
  return (
    isObj(v) &&
    isStr(v.label, 1024) &&
    isNum(v.delayedMs) &&
    v.delayedMs >= 0 &&
    isOpt(v.state, isOneOf<VictimState>(['in-flight', 'queued'])) &&
    isOpt(v.count, (x): x is number => isInt(x, 1))
  );
}

function isBackToBack(v: unknown): v is BackToBack {
  const ms = (x: unknown): x is number => isNum(x) && x >= 0;
  return isObj(v) && isStr(v.label, 1024) && isInt(v.count, 1) && isOpt(v.eachMs, ms) && isOpt(v.maxMs, ms);
}

export function isStall(v: unknown): v is Stall {
  return (
    isObj(v) &&
    isStr(v.id, 128) &&
    isInt(v.pid) &&
    isThreadRef(v.thread) &&
    isNum(v.startMs) &&
    isNum(v.durationMs) &&
    v.durationMs >= 0 &&
    isOpt(v.ongoing, isBool) &&
    isOpt(v.detectedMs, isNum) &&
    (v.culprit === null || isFrame(v.culprit)) &&
    isArr(v.frames, isFrame, MAX_STACK_FRAMES) &&
    (v.handler === null || isHandler(v.handler)) &&
    isOpt(v.cause, isCause) &&
    isOpt(v.victims, (x): x is Victim[] => isArr(x, isVictim, MAX_VICTIMS)) &&
    isOpt(v.backToBack, (x): x is BackToBack[] => isArr(x, isBackToBack, MAX_VICTIMS))
  );
}

function isPoolSample(v: unknown): v is PoolSample {
  return isObj(v) && isStr(v.name, 256) && isInt(v.capacity) && isInt(v.busyMax) && isInt(v.waitingMax) && isNum(v.waitedMaxMs) && v.waitedMaxMs >= 0;
}

export function isLagSample(v: unknown): v is LagSample {
  return (
    isObj(v) &&
    isInt(v.pid) &&
    isInt(v.threadId) &&
    isNum(v.atMs) &&
    isNum(v.intervalMs) &&
    isNum(v.p50Ms) &&
    isNum(v.p99Ms) &&
    isNum(v.maxMs) &&
    isNum(v.elu) &&
    isOpt(v.pool, isPoolSample)
  );
}

export const isProbeMode = isOneOf<ProbeMode>(['full', 'lag-only']);

export function isRuntime(v: unknown): v is Runtime {
  return isObj(v) && isOneOf<RuntimeName>(['node', 'python'])(v.name) && isStr(v.version, 64);
}

export function isProcessInfo(v: unknown): v is ProcessInfo {
  return (
    isObj(v) &&
    isInt(v.pid) &&
    isInt(v.ppid) &&
    isStrArr(MAX_ARGV)(v.argv) &&
    isStr(v.cwd) &&
    isRuntime(v.runtime) &&
    isProbeMode(v.mode) &&
    isNum(v.startedAtMs) &&
    isOpt(v.endedAtMs, isNum) &&
    isArr(v.threads, isThreadRef, 10_000)
  );
}

export function isPauseRange(v: unknown): v is PauseRange {
  return (
    isObj(v) &&
    isStr(v.id, 128) &&
    isInt(v.pid) &&
    isInt(v.threadId) &&
    isNum(v.startMs) &&
    (v.endMs === null || isNum(v.endMs)) &&
    isOpt(v.reason, isStrMax(256))
  );
}

export function isListeningServer(v: unknown): v is ListeningServer {
  return isObj(v) && isInt(v.pid) && (v.protocol === 'http' || v.protocol === 'https') && isStr(v.address, 256) && isInt(v.port) && v.port <= 65535;
}
