/**
 * The blocked thread's stack as V8's call sites, turned into plain data on that thread (the
 * snapshot and the JSON.parse wrapper capture it; frames.ts interprets it in the watchdog). A
 * user's (or source-map-support's) `prepareStackTrace` never sees the capture.
 */
import { MAX_STACK_FRAMES } from '../shared/protocol/constants';

/** The wrapper the watchdog passes to callFunctionOn; its frame is dropped by name. */
export const CAPTURE_FN_NAME = 'stallscopeCapture';

/** One call site as V8 gave it (1-based line/column); `file` may be a file:// URL or empty for builtins. */
export interface RawFrame {
  fn: string;
  file: string;
  line: number;
  column: number;
  /** Receiver type and the property the function was called as (`zlib.gzipSync` -> method `gzipSync`). */
  type: string;
  method: string;
  async: boolean;
  /**
   * The top frame stopped on the line its function starts on: where V8 checks for interrupts on
   * entry, so in a function that calls itself (recursion) a look lands there rather than on the
   * line it runs (see frames.ts).
   */
  entry?: boolean;
  /** Where the runtime's own source map puts it (runtimeMaps.ts); `file` may be a file:// URL. */
  original?: { file: string; line: number; column: number };
}

interface CallSiteLike {
  getFunctionName(): string | null;
  getMethodName(): string | null;
  getTypeName(): string | null;
  getFileName(): string | null | undefined;
  getScriptNameOrSourceURL?(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  isAsync?(): boolean;
  isToplevel?(): boolean;
  getEnclosingLineNumber?(): number | null;
  getEnclosingColumnNumber?(): number | null;
}

export function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

export function rawFrames(skip: (...a: never[]) => unknown): RawFrame[] {
  const E = Error as ErrorConstructor & { prepareStackTrace?: unknown; stackTraceLimit: number };
  const savedPrepare = E.prepareStackTrace;
  const savedLimit = E.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    // A user's (or source-map-support's) prepareStackTrace must not see our capture: replace it for this one call.
    E.prepareStackTrace = (_e: unknown, cs: CallSiteLike[]) => cs;
    E.stackTraceLimit = MAX_STACK_FRAMES + 4;
    Error.captureStackTrace(holder, skip);
    const cs = holder.stack as CallSiteLike[] | undefined;
    if (!Array.isArray(cs)) return [];
    const out: RawFrame[] = [];
    for (const c of cs) {
      const fn = safe(() => c.getFunctionName(), null) ?? '';
      if (fn === CAPTURE_FN_NAME) continue;
      const line = safe(() => c.getLineNumber(), null) ?? 0;
      const column = safe(() => c.getColumnNumber(), null) ?? 0;
      const entry = out.length === 0 && line > 0 && safe(() => c.getEnclosingLineNumber?.() === line, false);
      out.push({
        fn,
        file: safe(() => c.getFileName() ?? c.getScriptNameOrSourceURL?.() ?? '', '') ?? '',
        line,
        column,
        type: safe(() => (c.isToplevel?.() ? '' : c.getTypeName()), null) ?? '',
        method: safe(() => c.getMethodName(), null) ?? '',
        async: safe(() => c.isAsync?.() ?? false, false),
        ...(entry ? { entry } : {}),
      });
      if (out.length >= MAX_STACK_FRAMES) break;
    }
    return out;
  } finally {
    E.prepareStackTrace = savedPrepare;
    E.stackTraceLimit = savedLimit;
  }
}

