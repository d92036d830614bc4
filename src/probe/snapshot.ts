/**
 * The function the watchdog calls through the inspector (Runtime.callFunctionOn) while a thread is
 * blocked. V8 runs it as an interrupt ON TOP of the blocked stack, so a stack trace taken inside it
 * shows the blocking code. It also reads the request store and the current async resource, which
 * name the handler. Everything it returns is plain data (returnByValue); the heavy work (file:// to
 * path, source maps, culprit choice) happens in the watchdog, never here.
 */
import { executionAsyncId, executionAsyncResource } from 'node:async_hooks';
import { threadId } from 'node:worker_threads';
import type { Handler } from '../shared/protocol/model';
import { CAPTURE_FN_NAME, rawFrames, safe, type RawFrame } from './callSites';
import { hrMs } from './clock';
import type { HeartbeatWriter } from './heartbeatWriter';
import { nativeInProgress, slowCallEndedSince, wrapJsonParse, wrapReadFileSync } from './nativeCalls';
import { currentRequest, requestHandler, type RequestLike } from './requestContext';
import { keepInlineMaps, mapWithRuntime } from './runtimeMaps';
import { readSchedstat } from './threadState';

export const SNAPSHOT_KEY = 'stallscope.snapshot';
/** A look waiting on a call V8 cannot interrupt runs at the first interrupt check after it: within this. */
const NATIVE_LOOK_MS = 2;
export const CAPTURE_DECLARATION = `function ${CAPTURE_FN_NAME}(beat){return this(beat)}`;
export const SNAPSHOT_EXPRESSION = snapshotExpression();

export interface SnapshotResult {
  /** hr ms when the snapshot ran on the blocked thread. */
  t: number;
  threadId: number;
  /** The loop turned since the watchdog saw the stall: the stack is no longer the blocking one. */
  stale: boolean;
  frames: RawFrame[];
  handler: Handler | null;
  /** The frames are the call site of this call V8 could not interrupt (see nativeCalls.ts), though the look ran after it. */
  native?: string;
  /**
   * The thread's runqueue time as the snapshot ran (Linux, main thread): read here, not when the
   * answer reaches the watchdog, where a loaded machine adds the runqueue time of the blocking that
   * went on after the look and makes a late look seem prompt.
   */
  runqueueMs?: number;
}

const RESOURCE_HANDLERS: Record<string, Handler> = {
  Immediate: { kind: 'immediate', label: 'setImmediate' },
  FSReqCallback: { kind: 'fs', label: 'fs callback' },
  FSReqPromise: { kind: 'fs', label: 'fs promise' },
  FileHandle: { kind: 'fs', label: 'fs callback' },
  FSEvent: { kind: 'fs', label: 'fs watch' },
  StatWatcher: { kind: 'fs', label: 'fs watch' },
  TickObject: { kind: 'other', label: 'process.nextTick' },
  Socket: { kind: 'net', label: 'socket' },
  Server: { kind: 'net', label: 'server' },
  TCP: { kind: 'net', label: 'socket' },
  Pipe: { kind: 'net', label: 'socket' },
  TCPConnectWrap: { kind: 'net', label: 'socket connect' },
  WriteWrap: { kind: 'net', label: 'socket write' },
  UDP: { kind: 'net', label: 'udp socket' },
  TLSSocket: { kind: 'net', label: 'tls socket' },
  GetAddrInfoReqWrap: { kind: 'dns', label: 'dns lookup' },
  GetNameInfoReqWrap: { kind: 'dns', label: 'dns lookup' },
  QueryReqWrap: { kind: 'dns', label: 'dns query' },
  ChildProcess: { kind: 'child-process', label: 'child process' },
  Process: { kind: 'child-process', label: 'child process' },
  MessagePort: { kind: 'worker-message', label: 'worker message' },
  Worker: { kind: 'worker-message', label: 'worker message' },
  HTTPINCOMINGMESSAGE: { kind: 'http', label: 'http request' },
  HTTPServerAsyncResource: { kind: 'http', label: 'http request' },
  HTTPClientAsyncResource: { kind: 'net', label: 'http client' },
};

/** What was running, from the request it belongs to or the current async resource. */
export function currentHandler(req = runningRequest()): Handler | null {
  if (req) return requestHandler(req);
  const r = executionAsyncResource() as { constructor?: { name?: string }; _repeat?: unknown } | undefined;
  const id = executionAsyncId();
  if (id === 1) return { kind: 'main', label: 'main module' };
  if (r instanceof Promise) return { kind: 'promise', label: 'promise continuation' };
  const name = r?.constructor?.name ?? '';
  if (name === 'Timeout') return { kind: 'timer', label: r?._repeat ? 'setInterval' : 'setTimeout' };
  if (id === 0 || !name || name === 'Object') return null;
  return RESOURCE_HANDLERS[name] ?? { kind: 'other', label: name.slice(0, 100) };
}

/**
 * The request the blocked code runs for. An interval is background work even when a request started
 * it: every later tick would otherwise carry that one request's label. One-shot timers, immediates
 * and awaits stay with the request that scheduled them (when requests are tracked across awaits).
 */
function runningRequest(): RequestLike | undefined {
  const r = executionAsyncResource() as { constructor?: { name?: string }; _repeat?: unknown } | undefined;
  return r?.constructor?.name === 'Timeout' && !!r._repeat ? undefined : currentRequest();
}

/** The expression that evaluates to the snapshot function installed under `key`. */
export function snapshotExpression(key = SNAPSHOT_KEY): string {
  return `globalThis[Symbol.for(${JSON.stringify(key)})]`;
}

export interface SnapshotOptions {
  /** Another key than the probe's: `stallscope/testing` installs its own beside a probe that may be loaded. */
  key?: string;
  /** Called on top of the blocked stack (not stale) with the stall's beat and the request running, if any. */
  onBlocked?: (beat: number, request: unknown) => void;
  /** Wrap JSON.parse and fs.readFileSync to know their call sites when they block (see nativeCalls.ts): in the user's threads. */
  wrapNativeCalls?: boolean;
}

/** Installs the snapshot function on this thread's global (non-enumerable, once per key). */
export function installSnapshot(hb: HeartbeatWriter, o: SnapshotOptions = {}): void {
  const key = Symbol.for(o.key ?? SNAPSHOT_KEY);
  if (Object.prototype.hasOwnProperty.call(globalThis, key)) return;
  const onBlocked = o.onBlocked;
  safe(keepInlineMaps, undefined);
  if (o.wrapNativeCalls) {
    const running = (): Handler | null => safe(() => currentHandler(), null);
    safe(() => wrapJsonParse(rawFrames, running), undefined);
    safe(() => wrapReadFileSync(rawFrames, running), undefined);
  }
  function stallscopeSnapshot(beat?: number): SnapshotResult {
    const t = hrMs();
    if (typeof beat === 'number' && hb.beat !== beat) {
      return { t, threadId, stale: true, frames: [], handler: null };
    }
    const req = safe(runningRequest, undefined);
    if (onBlocked && typeof beat === 'number') safe(() => onBlocked(beat, req), undefined);
    const handler = safe(() => currentHandler(req), null);
    const inCall = nativeInProgress();
    // A slow JSON.parse that returned just now, after the stall began: the look was waiting for it.
    const slow = inCall || typeof beat !== 'number' ? undefined : slowCallEndedSince(beat);
    const runqueueMs = threadId === 0 ? readSchedstat(process.pid)?.runqueueMs : undefined;
    const sched = runqueueMs === undefined ? {} : { runqueueMs };
    if (slow && t - slow.endHr <= NATIVE_LOOK_MS) return { t, threadId, stale: false, frames: mapWithRuntime(slow.frames), handler: slow.handler, native: slow.api, ...sched };
    return { t, threadId, stale: false, frames: mapWithRuntime(rawFrames(stallscopeSnapshot)), handler, ...(inCall ? { native: inCall } : {}), ...sched };
  }
  Object.defineProperty(globalThis, key, { value: stallscopeSnapshot, enumerable: false, configurable: true, writable: false });
}
