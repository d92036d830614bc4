/**
 * The one wire contract of Stallscope.
 *
 *   probe (inside the user's program) ──ws──▶ host (extension or CLI) ──postMessage──▶ webview
 *
 * plus the report file that the CLI writes and the extension reads back. Every boundary
 * validates `unknown` with the guards at the bottom of this file; a cast is not validation.
 *
 * Conventions, so nobody has to guess:
 * - every `…Ms` that is a point in time is Unix epoch milliseconds (float, sub-ms precision);
 *   durations are `durationMs` and friends;
 * - `line` and `column` are 1-based everywhere (V8's 0-based positions are converted at the
 *   V8 boundary, inside the probe, and nowhere else);
 * - `file` is an absolute path for user code (file:// URLs are converted) or a `node:` id.
 *
 * This module has no imports: the probe, the extension host and the browser all bundle it.
 */

export const PROTOCOL_VERSION = 1;
export const REPORT_VERSION = 1;

/** The one env var that carries the probe's options (JSON of ProbeOptions). */
export const PROBE_OPTIONS_ENV = 'STALLSCOPE_OPTIONS';

/** Hard cap on one websocket frame, enforced by the host (`maxPayload`) and respected by the probe. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Stack depth kept per stall. */
export const MAX_STACK_FRAMES = 50;
/** Lag samples in one `lag` message. */
export const MAX_LAG_BATCH = 1000;
/** How long a connection may stay silent before its hello. */
export const HELLO_TIMEOUT_MS = 5000;

export const DEFAULT_THRESHOLD_MS = 50;
export const MIN_THRESHOLD_MS = 10;
export const MAX_THRESHOLD_MS = 60_000;

/** Websocket close codes the host uses to refuse a probe; a probe that sees one goes quiet. */
export const CloseCode = {
  badToken: 4001,
  badFrame: 4002,
  unsupportedVersion: 4003,
  helloTimeout: 4004,
} as const;

// ───────────────────────────── probe options (env) ─────────────────────────────

export interface ProbeOptions {
  /** ws://127.0.0.1:PORT/ of the host. Absent: the probe measures but has nowhere to send (it stays quiet). */
  url?: string;
  token?: string;
  thresholdMs?: number;
  /** An id the host chose for the run or debug session, echoed in hello so the host can match connections. */
  sessionId?: string;
  /** Capture stacks (default true). false = detection and lag only. */
  stacks?: boolean;
  /** Interval of the lag series (default 100 ms = 10 Hz). */
  lagIntervalMs?: number;
  /** When HTTP requests are carried across awaits (default `on-demand`). */
  requestContext?: RequestContextMode;
  /**
   * When GC pauses are recorded (to tell a stall caused by GC): `always`, or `on-demand` (default)
   * from the first stall a look could not explain. Recording costs ~1 % CPU and grows V8's young
   * generation (+17 MB RSS on a busy server).
   */
  gc?: GcMode;
}

export type GcMode = 'always' | 'on-demand';

/**
 * `always`: every request is tracked across awaits and timers from the start, so every stall it
 * causes is named by it. `on-demand`: only the handler's synchronous code is named for free; tracking
 * across awaits starts after the first stall that needed it (AsyncLocalStorage costs ~5 % CPU per
 * request on Node 20 while it is on).
 */
export type RequestContextMode = 'always' | 'on-demand';

// ───────────────────────────── shared data shapes ─────────────────────────────

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
  /** 0 for the main thread, else worker_threads.threadId. */
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
  | 'other';

export interface Handler {
  kind: HandlerKind;
  /** Human label: `GET /report`, `setTimeout`, `fs callback`, … Untrusted text: render as text. */
  label: string;
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

export type CauseKind = 'js' | 'native' | 'gc';

export interface Cause {
  /** js: JavaScript running on the CPU; native: a synchronous call into native code; gc: garbage collection. */
  kind: CauseKind;
  /** The API involved when known, e.g. `pbkdf2Sync`, `readFileSync`, `Atomics.wait`. */
  api?: string;
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

export interface Stall {
  /** Unique within one run / session: `${pid}.${threadId}.${seq}`. */
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
  /** The first frame in the user's own code (not node:, not node_modules, not the probe). */
  culprit: Frame | null;
  /** The blocked JS stack, innermost first, at most MAX_STACK_FRAMES. */
  frames: Frame[];
  handler: Handler | null;
  cause?: Cause;
  victims?: Victim[];
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
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
  cwd: string;
  nodeVersion: string;
  /** 'lag-only' when stack capture is unavailable (permission model, no inspector). */
  mode: ProbeMode;
  startedAtMs: number;
  endedAtMs?: number;
  threads: ThreadRef[];
}

export type ProbeMode = 'full' | 'lag-only';

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

// ───────────────────────────── probe → host ─────────────────────────────

export interface HelloMessage {
  type: 'hello';
  protocolVersion: number;
  token: string;
  sessionId?: string;
  pid: number;
  ppid: number;
  threadId: number;
  argv: string[];
  cwd: string;
  nodeVersion: string;
  mode: ProbeMode;
  startedAtMs: number;
}

export type ProbeToHost =
  | HelloMessage
  | { type: 'thread'; pid: number; thread: ThreadRef; state: 'online' | 'exit' }
  | { type: 'lag'; samples: LagSample[] }
  /** Sent at detection (ongoing) and again when it ends; the host upserts by id. */
  | { type: 'stall'; stall: Stall }
  | { type: 'pause'; pause: PauseRange }
  | { type: 'listening'; server: ListeningServer }
  | { type: 'notice'; pid: number; level: 'info' | 'warn'; message: string }
  /** Messages the probe dropped while it had no host (its buffer is bounded). */
  | { type: 'dropped'; pid: number; count: number };

// ───────────────────────────── host → probe ─────────────────────────────

export type HostToProbe =
  | { type: 'welcome'; protocolVersion: number }
  | { type: 'configure'; thresholdMs: number };

// ───────────────────────────── report file ─────────────────────────────

export interface Report {
  version: typeof REPORT_VERSION;
  /** The root process the CLI started (or the first probe of a debug session). */
  pid: number;
  command: string[];
  /** ISO-8601. */
  startedAt: string;
  endedAt?: string;
  exitCode?: number | null;
  thresholdMs?: number;
  stalls: Stall[];
  lag: LagSample[];
  processes?: ProcessInfo[];
  pauses?: PauseRange[];
  servers?: ListeningServer[];
  /** Messages the probes had to drop, plus frames the host refused. */
  dropped?: number;
}

// ───────────────────────────── host ⇄ webview ─────────────────────────────

export interface TimelineState {
  title: string;
  /** True while a session is feeding the timeline. */
  live: boolean;
  startedAtMs: number;
  processes: ProcessInfo[];
  stalls: Stall[];
  lag: LagSample[];
  pauses: PauseRange[];
}

/** One endpoint's verdict from `Stallscope: Check Endpoints` (see src/core/check), as the timeline shows it. */
export interface CheckEndpointView {
  /** `GET /slow`: also the handler label of its stalls. Untrusted text. */
  endpoint: string;
  verdict: 'blocking' | 'non-blocking';
  stalls: number;
  maxStallMs: number;
  p99StallMs: number;
  /** The canary's p99 while this endpoint was under load; null without a canary. */
  canaryP99Ms: number | null;
  /** The canary's p99 rose enough to show the loop held it up. */
  inflated: boolean;
  /** The top culprit line, and the longest stall it caused: revealing it works like a stall in the list. */
  culprit: { file: string; line: number; function: string; totalMs: number; stallId: string } | null;
  /** What the longest stall did to other requests: "delayed 37 requests, 3 of them GET /health". */
  victims?: string;
  overBudget: boolean;
  /** Why its requests failed under load. */
  error?: string;
}

export type CheckStatus = 'running' | 'done' | 'failed' | 'cancelled';

export interface CheckView {
  baseUrl: string;
  thresholdMs: number;
  budgetMs: number;
  canary: string | null;
  canaryIdleP99Ms: number | null;
  startedAtMs: number;
  status: CheckStatus;
  /** While running, what is loaded now; when failed or cancelled, why. */
  message?: string;
  /** Endpoints done so far (all of them once done). */
  endpoints: CheckEndpointView[];
}

export type HostToWebview =
  /** The full state: the answer to `ready`, and whenever the source changes (new session, opened recording). */
  | { type: 'reset'; state: TimelineState }
  /** Deltas. Stalls, processes and pauses upsert by id/pid. */
  | {
      type: 'append';
      stalls?: Stall[];
      lag?: LagSample[];
      pauses?: PauseRange[];
      processes?: ProcessInfo[];
    }
  | { type: 'live'; live: boolean }
  /** Select and scroll to a stall (e.g. from an editor hover). */
  | { type: 'focusStall'; stallId: string }
  /** The endpoint check of the recording on screen (progress, then verdicts); null clears it. */
  | { type: 'check'; check: CheckView | null };

export type WebviewToHost =
  | { type: 'ready' }
  /** Open the source of a stall's frame. `frameIndex` omitted: the culprit. The host resolves paths. */
  | { type: 'revealFrame'; stallId: string; frameIndex?: number }
  | { type: 'saveRecording' }
  | { type: 'openRecording' }
  | { type: 'clear' };

// ───────────────────────────── guards ─────────────────────────────
// Hand-written rather than a schema library: the probe bundles this file, and it must stay tiny.

const MAX_STRING = 8 * 1024;
const MAX_ARGV = 256;
const MAX_VICTIMS = 1000;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isStr(v: unknown, max = MAX_STRING): v is string {
  return typeof v === 'string' && v.length <= max;
}
function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
function isInt(v: unknown, min = 0): v is number {
  return Number.isSafeInteger(v) && (v as number) >= min;
}
function isOpt<T>(v: unknown, guard: (x: unknown) => x is T): v is T | undefined {
  return v === undefined || guard(v);
}
function isArr<T>(v: unknown, guard: (x: unknown) => x is T, max: number): v is T[] {
  return Array.isArray(v) && v.length <= max && v.every(guard);
}
const isStrArr = (max: number) => (v: unknown): v is string[] => isArr(v, (x): x is string => isStr(x), max);

export function isSourceLocation(v: unknown): v is SourceLocation {
  return isObj(v) && isStr(v.file) && isInt(v.line, 1) && isInt(v.column, 1);
}

export function isFrame(v: unknown): v is Frame {
  return isSourceLocation(v) && isStr((v as unknown as Obj).function) && isOpt((v as unknown as Obj).generated, isSourceLocation);
}

function isThreadRef(v: unknown): v is ThreadRef {
  return isObj(v) && isInt(v.id) && isOpt(v.name, (x): x is string => isStr(x, 256));
}

const HANDLER_KINDS: readonly HandlerKind[] = [
  'http', 'timer', 'immediate', 'fs', 'net', 'dns', 'child-process', 'worker-message', 'promise', 'main', 'other',
];
function isHandler(v: unknown): v is Handler {
  return isObj(v) && HANDLER_KINDS.includes(v.kind as HandlerKind) && isStr(v.label, 1024);
}

const CAUSE_KINDS: readonly CauseKind[] = ['js', 'native', 'gc'];
function isCause(v: unknown): v is Cause {
  return isObj(v) && CAUSE_KINDS.includes(v.kind as CauseKind) && isOpt(v.api, (x): x is string => isStr(x, 256));
}

function isVictim(v: unknown): v is Victim {
  return (
    isObj(v) &&
    isStr(v.label, 1024) &&
    isNum(v.delayedMs) &&
    v.delayedMs >= 0 &&
    isOpt(v.state, (x): x is VictimState => x === 'in-flight' || x === 'queued') &&
    isOpt(v.count, (x): x is number => isInt(x, 1))
  );
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
    isOpt(v.ongoing, (x): x is boolean => typeof x === 'boolean') &&
    isOpt(v.detectedMs, isNum) &&
    (v.culprit === null || isFrame(v.culprit)) &&
    isArr(v.frames, isFrame, MAX_STACK_FRAMES) &&
    (v.handler === null || isHandler(v.handler)) &&
    isOpt(v.cause, isCause) &&
    isOpt(v.victims, (x): x is Victim[] => isArr(x, isVictim, MAX_VICTIMS))
  );
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
    isNum(v.elu)
  );
}

function isMode(v: unknown): v is ProbeMode {
  return v === 'full' || v === 'lag-only';
}

export function isProcessInfo(v: unknown): v is ProcessInfo {
  return (
    isObj(v) &&
    isInt(v.pid) &&
    isInt(v.ppid) &&
    isStrArr(MAX_ARGV)(v.argv) &&
    isStr(v.cwd) &&
    isStr(v.nodeVersion, 64) &&
    isMode(v.mode) &&
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
    isOpt(v.reason, (x): x is string => isStr(x, 256))
  );
}

function isListeningServer(v: unknown): v is ListeningServer {
  return (
    isObj(v) &&
    isInt(v.pid) &&
    (v.protocol === 'http' || v.protocol === 'https') &&
    isStr(v.address, 256) &&
    isInt(v.port) &&
    v.port <= 65535
  );
}

export function isHello(v: unknown): v is HelloMessage {
  return (
    isObj(v) &&
    v.type === 'hello' &&
    isInt(v.protocolVersion, 1) &&
    isStr(v.token, 512) &&
    isOpt(v.sessionId, (x): x is string => isStr(x, 256)) &&
    isInt(v.pid) &&
    isInt(v.ppid) &&
    isInt(v.threadId) &&
    isStrArr(MAX_ARGV)(v.argv) &&
    isStr(v.cwd) &&
    isStr(v.nodeVersion, 64) &&
    isMode(v.mode) &&
    isNum(v.startedAtMs)
  );
}

/** Validates one decoded probe frame. Unknown types are refused: an older host must not guess. */
export function isProbeToHost(v: unknown): v is ProbeToHost {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'hello':
      return isHello(v);
    case 'thread':
      return isInt(v.pid) && isThreadRef(v.thread) && (v.state === 'online' || v.state === 'exit');
    case 'lag':
      return isArr(v.samples, isLagSample, MAX_LAG_BATCH);
    case 'stall':
      return isStall(v.stall);
    case 'pause':
      return isPauseRange(v.pause);
    case 'listening':
      return isListeningServer(v.server);
    case 'notice':
      return isInt(v.pid) && (v.level === 'info' || v.level === 'warn') && isStr(v.message, 2048);
    case 'dropped':
      return isInt(v.pid) && isInt(v.count);
    default:
      return false;
  }
}

export function isHostToProbe(v: unknown): v is HostToProbe {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'welcome':
      return isInt(v.protocolVersion, 1);
    case 'configure':
      return isNum(v.thresholdMs) && v.thresholdMs >= MIN_THRESHOLD_MS && v.thresholdMs <= MAX_THRESHOLD_MS;
    default:
      return false;
  }
}

export function isWebviewToHost(v: unknown): v is WebviewToHost {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'saveRecording':
    case 'openRecording':
    case 'clear':
      return true;
    case 'revealFrame':
      return isStr(v.stallId, 128) && isOpt(v.frameIndex, (x): x is number => isInt(x) && x < MAX_STACK_FRAMES);
    default:
      return false;
  }
}

const MAX_STATE_STALLS = 1_000_000;
const MAX_STATE_LAG = 10_000_000;
const MAX_STATE_ITEMS = 100_000;

export function isTimelineState(v: unknown): v is TimelineState {
  return (
    isObj(v) &&
    isStr(v.title) &&
    typeof v.live === 'boolean' &&
    isNum(v.startedAtMs) &&
    isArr(v.processes, isProcessInfo, MAX_STATE_ITEMS) &&
    isArr(v.stalls, isStall, MAX_STATE_STALLS) &&
    isArr(v.lag, isLagSample, MAX_STATE_LAG) &&
    isArr(v.pauses, isPauseRange, MAX_STATE_ITEMS)
  );
}

const isNullableNum = (x: unknown): x is number | null => x === null || isNum(x);

function isCheckEndpointView(v: unknown): v is CheckEndpointView {
  if (!isObj(v)) return false;
  const c = v.culprit;
  return (
    isStr(v.endpoint, 1024) &&
    (v.verdict === 'blocking' || v.verdict === 'non-blocking') &&
    isInt(v.stalls) &&
    isNum(v.maxStallMs) &&
    isNum(v.p99StallMs) &&
    isNullableNum(v.canaryP99Ms) &&
    typeof v.inflated === 'boolean' &&
    (c === null || (isObj(c) && isStr(c.file) && isInt(c.line, 1) && isStr(c.function) && isNum(c.totalMs) && isStr(c.stallId, 128))) &&
    isOpt(v.victims, (x): x is string => isStr(x, 2048)) &&
    typeof v.overBudget === 'boolean' &&
    isOpt(v.error, (x): x is string => isStr(x, 2048))
  );
}

export function isCheckView(v: unknown): v is CheckView {
  return (
    isObj(v) &&
    isStr(v.baseUrl, 2048) &&
    isNum(v.thresholdMs) &&
    isNum(v.budgetMs) &&
    (v.canary === null || isStr(v.canary, 1024)) &&
    isNullableNum(v.canaryIdleP99Ms) &&
    isNum(v.startedAtMs) &&
    (v.status === 'running' || v.status === 'done' || v.status === 'failed' || v.status === 'cancelled') &&
    isOpt(v.message, (x): x is string => isStr(x)) &&
    isArr(v.endpoints, isCheckEndpointView, 1000)
  );
}

/** Validates what the webview receives: the host is trusted, but the data in it came from the user's program. */
export function isHostToWebview(v: unknown): v is HostToWebview {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'reset':
      return isTimelineState(v.state);
    case 'append':
      return (
        isOpt(v.stalls, (x): x is Stall[] => isArr(x, isStall, MAX_STATE_STALLS)) &&
        isOpt(v.lag, (x): x is LagSample[] => isArr(x, isLagSample, MAX_STATE_LAG)) &&
        isOpt(v.pauses, (x): x is PauseRange[] => isArr(x, isPauseRange, MAX_STATE_ITEMS)) &&
        isOpt(v.processes, (x): x is ProcessInfo[] => isArr(x, isProcessInfo, MAX_STATE_ITEMS))
      );
    case 'live':
      return typeof v.live === 'boolean';
    case 'focusStall':
      return isStr(v.stallId, 128);
    case 'check':
      return v.check === null || isCheckView(v.check);
    default:
      return false;
  }
}

/** Parses a report read back from disk, saying what is wrong instead of a bare false. */
export function parseReport(v: unknown): { ok: true; report: Report } | { ok: false; error: string } {
  if (!isObj(v)) return { ok: false, error: 'not a JSON object' };
  if (v.version !== REPORT_VERSION) {
    return { ok: false, error: `unsupported report version ${JSON.stringify(v.version)} (this build reads version ${REPORT_VERSION})` };
  }
  if (!isInt(v.pid)) return { ok: false, error: '"pid" must be a non-negative integer' };
  if (!isArr(v.command, (x): x is string => isStr(x), MAX_ARGV)) return { ok: false, error: '"command" must be an array of strings' };
  if (!isStr(v.startedAt, 64) || Number.isNaN(Date.parse(v.startedAt))) return { ok: false, error: '"startedAt" must be an ISO-8601 date' };
  if (!Array.isArray(v.stalls)) return { ok: false, error: '"stalls" must be an array' };
  const badStall = v.stalls.findIndex((s) => !isStall(s));
  if (badStall >= 0) return { ok: false, error: `stalls[${badStall}] is not a valid stall` };
  if (!Array.isArray(v.lag)) return { ok: false, error: '"lag" must be an array' };
  const badLag = v.lag.findIndex((s) => !isLagSample(s));
  if (badLag >= 0) return { ok: false, error: `lag[${badLag}] is not a valid lag sample` };
  if (v.processes !== undefined && !isArr(v.processes, isProcessInfo, 100_000)) return { ok: false, error: '"processes" is malformed' };
  if (v.pauses !== undefined && !isArr(v.pauses, isPauseRange, 1_000_000)) return { ok: false, error: '"pauses" is malformed' };
  if (v.servers !== undefined && !isArr(v.servers, isListeningServer, 10_000)) return { ok: false, error: '"servers" is malformed' };
  return { ok: true, report: v as unknown as Report };
}

/** For `switch` statements over a union: a compile error when a case is missing. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
