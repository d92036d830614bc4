/**
 * Host ⇄ webview (the timeline panel): one interface per message, one union per direction. The
 * webview validates what it receives too: the host is trusted, the data in it came from the user's program.
 */
import { isArr, isBool, isInt, isNullableNum, isNum, isObj, isOneOf, isOpt, isStr, isStrMax } from '../guards';
import { MAX_STACK_FRAMES } from './constants';
import {
  isLagSample,
  isPauseRange,
  isProcessInfo,
  isStall,
  type LagSample,
  type PauseRange,
  type ProcessInfo,
  type Stall,
} from './model';

export interface TimelineState {
  title: string;
  /** True while a session is feeding the timeline. */
  live: boolean;
  startedAtMs: number;
  processes: ProcessInfo[];
  stalls: Stall[];
  lag: LagSample[];
  pauses: PauseRange[];
  /** The probe's stall threshold, when known: the timeline says what a stall is. */
  thresholdMs?: number;
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

// ───────────────────────────── host → webview ─────────────────────────────

/** The full state: the answer to `ready`, and whenever the source changes (new session, opened recording). */
export interface ResetMessage {
  type: 'reset';
  state: TimelineState;
}

/** Deltas. Stalls, processes and pauses upsert by id/pid. */
export interface AppendMessage {
  type: 'append';
  stalls?: Stall[];
  lag?: LagSample[];
  pauses?: PauseRange[];
  processes?: ProcessInfo[];
}

export interface LiveMessage {
  type: 'live';
  live: boolean;
}

/** Select and scroll to a stall (from the editor or the Run and Debug view). */
export interface FocusStallMessage {
  type: 'focusStall';
  stallId: string;
}

/** The endpoint check of the recording on screen (progress, then verdicts); null clears it. */
export interface CheckMessage {
  type: 'check';
  check: CheckView | null;
}

export type HostToWebview = ResetMessage | AppendMessage | LiveMessage | FocusStallMessage | CheckMessage;

// ───────────────────────────── webview → host ─────────────────────────────

export interface ReadyMessage {
  type: 'ready';
}

/** Open the source of a stall's frame. `frameIndex` omitted: the culprit. The host resolves paths. */
export interface RevealFrameMessage {
  type: 'revealFrame';
  stallId: string;
  frameIndex?: number;
}

export interface SaveRecordingMessage {
  type: 'saveRecording';
}

export interface OpenRecordingMessage {
  type: 'openRecording';
}

export interface ClearMessage {
  type: 'clear';
}

/** Export the recording as a standalone HTML report (the host asks where). */
export interface ExportHtmlMessage {
  type: 'exportHtml';
}

export type WebviewToHost = ReadyMessage | RevealFrameMessage | SaveRecordingMessage | OpenRecordingMessage | ClearMessage | ExportHtmlMessage;

// ───────────────────────────── guards ─────────────────────────────

export function isWebviewToHost(v: unknown): v is WebviewToHost {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'saveRecording':
    case 'openRecording':
    case 'clear':
    case 'exportHtml':
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
    isBool(v.live) &&
    isNum(v.startedAtMs) &&
    isArr(v.processes, isProcessInfo, MAX_STATE_ITEMS) &&
    isArr(v.stalls, isStall, MAX_STATE_STALLS) &&
    isArr(v.lag, isLagSample, MAX_STATE_LAG) &&
    isArr(v.pauses, isPauseRange, MAX_STATE_ITEMS) &&
    isOpt(v.thresholdMs, isNum)
  );
}

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
    isBool(v.inflated) &&
    (c === null || (isObj(c) && isStr(c.file) && isInt(c.line, 1) && isStr(c.function) && isNum(c.totalMs) && isStr(c.stallId, 128))) &&
    isOpt(v.victims, isStrMax(2048)) &&
    isBool(v.overBudget) &&
    isOpt(v.error, isStrMax(2048))
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
    isOneOf<CheckStatus>(['running', 'done', 'failed', 'cancelled'])(v.status) &&
    isOpt(v.message, (x): x is string => isStr(x)) &&
    isArr(v.endpoints, isCheckEndpointView, 1000)
  );
}

/** Validates what the webview receives. */
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
      return isBool(v.live);
    case 'focusStall':
      return isStr(v.stallId, 128);
    case 'check':
      return v.check === null || isCheckView(v.check);
    default:
      return false;
  }
}
