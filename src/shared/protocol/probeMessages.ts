/**
 * Probe ⇄ host: one interface per message, one union per direction (text frames of JSON over a
 * loopback websocket, one message per frame). A probe of any runtime speaks exactly this.
 */
import { isArr, isInt, isNum, isObj, isOpt, isStr, isStrArr, isStrMax } from '../guards';
import { MAX_ARG_CHARS, MAX_ARGV, MAX_LAG_BATCH, PROTOCOL_VERSION } from './constants';
import { MAX_THRESHOLD_MS, MIN_THRESHOLD_MS } from './options';
import {
  isLagSample,
  isListeningServer,
  isPauseRange,
  isProbeMode,
  isRuntime,
  isStall,
  isThreadRef,
  round2,
  type LagSample,
  type ListeningServer,
  type PauseRange,
  type ProbeMode,
  type Runtime,
  type Stall,
  type ThreadRef,
} from './model';

// ───────────────────────────── probe → host ─────────────────────────────

/** The first frame of every connection; nothing else is accepted before it. */
export interface HelloMessage {
  type: 'hello';
  protocolVersion: number;
  token: string;
  sessionId?: string;
  pid: number;
  ppid: number;
  argv: string[];
  cwd: string;
  runtime: Runtime;
  mode: ProbeMode;
  startedAtMs: number;
  /** Where the host reads this process while its probe cannot speak (see hangFile.ts): `/proc/<pid>/fd/<n>`. */
  hangFile?: string;
}

/** What a v1 (Node-only) probe sends; the host still accepts it and reads it as a HelloMessage. */
export interface HelloMessageV1 extends Omit<HelloMessage, 'runtime'> {
  threadId: number;
  nodeVersion: string;
}

export interface ThreadMessage {
  type: 'thread';
  pid: number;
  thread: ThreadRef;
  state: 'online' | 'exit';
}

export interface LagMessage {
  type: 'lag';
  samples: LagSample[];
}

/** Sent at detection (ongoing) and again when it ends; the host upserts by id. */
export interface StallMessage {
  type: 'stall';
  stall: Stall;
}

export interface PauseMessage {
  type: 'pause';
  pause: PauseRange;
}

export interface ListeningMessage {
  type: 'listening';
  server: ListeningServer;
}

export interface NoticeMessage {
  type: 'notice';
  pid: number;
  level: 'info' | 'warn';
  message: string;
}

/** Messages the probe dropped while it had no host (its buffer is bounded). */
export interface DroppedMessage {
  type: 'dropped';
  pid: number;
  count: number;
}

export type ProbeToHost =
  | HelloMessage
  | ThreadMessage
  | LagMessage
  | StallMessage
  | PauseMessage
  | ListeningMessage
  | NoticeMessage
  | DroppedMessage;

/** Everything a probe sends after its hello. */
export type ProbeData = Exclude<ProbeToHost, HelloMessage>;

// ───────────────────────────── host → probe ─────────────────────────────

/** The answer to a hello: the probe sends data only after it. */
export interface WelcomeMessage {
  type: 'welcome';
  protocolVersion: number;
}

export interface ConfigureMessage {
  type: 'configure';
  thresholdMs: number;
}

export type HostToProbe = WelcomeMessage | ConfigureMessage;

// ───────────────────────────── the hello, built once ─────────────────────────────

export interface HelloFields {
  token: string;
  sessionId?: string;
  pid: number;
  ppid: number;
  argv: readonly string[];
  cwd: string;
  runtime: Runtime;
  mode: ProbeMode;
  startedAtMs: number;
}

/** The hello a probe sends, its command line cut to what the host accepts. */
export function helloMessage(f: HelloFields): HelloMessage {
  return {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    token: f.token,
    ...(f.sessionId ? { sessionId: f.sessionId } : {}),
    pid: f.pid,
    ppid: f.ppid,
    argv: f.argv.slice(0, MAX_ARGV).map((a) => a.slice(0, MAX_ARG_CHARS)),
    cwd: f.cwd,
    runtime: { name: f.runtime.name, version: f.runtime.version.slice(0, 64) },
    mode: f.mode,
    startedAtMs: round2(f.startedAtMs),
  };
}

// ───────────────────────────── guards ─────────────────────────────

function isHelloCommon(v: unknown): v is Record<string, unknown> {
  return (
    isObj(v) &&
    v.type === 'hello' &&
    isInt(v.protocolVersion, 1) &&
    isStr(v.token, 512) &&
    isOpt(v.sessionId, isStrMax(256)) &&
    isInt(v.pid) &&
    isInt(v.ppid) &&
    isStrArr(MAX_ARGV)(v.argv) &&
    isStr(v.cwd) &&
    isProbeMode(v.mode) &&
    isNum(v.startedAtMs) &&
    isOpt(v.hangFile, isStrMax(256))
  );
}

/** A hello of either version: v2 names its runtime, v1 (protocolVersion 1) its thread and Node version. */
export function isHello(v: unknown): v is HelloMessage | HelloMessageV1 {
  if (!isHelloCommon(v)) return false;
  if (v.protocolVersion === 1) return isInt(v.threadId) && isStr(v.nodeVersion, 64);
  return isRuntime(v.runtime);
}

/** A validated hello of either version as this host works with it. */
export function normalizeHello(h: HelloMessage | HelloMessageV1): HelloMessage {
  if (!('nodeVersion' in h)) return h;
  const { threadId: _threadId, nodeVersion, ...rest } = h;
  return { ...rest, runtime: { name: 'node', version: nodeVersion } };
}

/** Validates one decoded probe frame. Unknown types are refused: an older host must not guess. */
export function isProbeToHost(v: unknown): v is ProbeToHost | HelloMessageV1 {
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
