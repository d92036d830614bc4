/**
 * From V8 call sites to the protocol's frames, the culprit and the cause. Pure functions (runs in
 * the watchdog; unit-testable): file:// URLs become paths, builtins without a script (JSON.parse,
 * Atomics.wait) are left out of `frames` but still name the cause, and source maps are applied
 * through the resolver passed in.
 */
import { fileURLToPath } from 'node:url';
import type { Cause, Frame, SourceLocation } from '../shared/protocol/model';
import { MAX_STACK_FRAMES } from '../shared/protocol/constants';
import type { RawFrame } from './callSites';

export interface LocationResolver {
  /** The original location for a generated one, or undefined to keep it. */
  original(loc: SourceLocation): (SourceLocation & { name?: string }) | undefined;
  /** The name called at a (generated) call site, as written there. */
  calleeAt?(loc: SourceLocation): string | undefined;
}

export function toPath(file: string): string {
  if (file.startsWith('file://')) {
    try {
      return fileURLToPath(file);
    } catch {
      return file;
    }
  }
  return file;
}

export function isInternal(file: string): boolean {
  return file.startsWith('node:') || file.startsWith('internal/');
}

/**
 * WebAssembly is not a line anyone reads (`wasm://wasm/00ad0bc6:1`, column 2176309): the user's line
 * is the JavaScript that called into it, below it; and where nothing of the user's did (Node's type
 * stripping runs in wasm while it loads a .ts module), there is none.
 */
function isUserFile(file: string, probeFile: string): boolean {
  return !!file && !isInternal(file) && !/[\\/]node_modules[\\/]/.test(file) && file !== probeFile && !file.startsWith('evalmachine.') && !file.startsWith('wasm://');
}

export interface BuiltFrames {
  frames: Frame[];
  culprit: Frame | null;
  /** Index in `raw` of the culprit, -1 if none. */
  culpritRaw: number;
}

export function buildFrames(raw: readonly RawFrame[], probeFile: string, resolver?: LocationResolver): BuiltFrames {
  const frames: Frame[] = [];
  let culprit: Frame | null = null;
  let culpritRaw = -1;
  for (let i = 0; i < raw.length && frames.length < MAX_STACK_FRAMES; i++) {
    const r = raw[i];
    if (!r.file || r.line < 1) continue; // builtins and native frames have no script to point at
    const file = toPath(r.file);
    if (file === probeFile) continue;
    const generated: SourceLocation = { file, line: r.line, column: Math.max(1, r.column) };
    const name = (r.async ? 'async ' : '') + (r.fn || (r.method ? r.method : '<anonymous>'));
    let frame: Frame = { ...generated, function: name };
    if (r.original) {
      // The runtime's own map (code transpiled in memory): it is the code that ran.
      frame = { file: toPath(r.original.file), line: r.original.line, column: r.original.column, function: name, generated };
    } else if (resolver && !isInternal(file)) {
      const o = resolver.original(generated);
      if (o) frame = { file: o.file, line: o.line, column: o.column, function: name, generated };
    }
    frames.push(frame);
    if (!culprit && isUserFile(frame.file, probeFile) && isUserFile(file, probeFile) && !recursingAtEntry(raw, i)) {
      culprit = frame;
      culpritRaw = i;
    }
  }
  return { frames, culprit, culpritRaw };
}

/**
 * The look landed on a function's entry (its `function` line) and the function called itself from
 * another line: the line that runs is that call, in the frame below (recursion spends its time in
 * its calls).
 */
function recursingAtEntry(raw: readonly RawFrame[], i: number): boolean {
  const r = raw[i];
  const below = raw[i + 1];
  return !!r.entry && !!below && below.file === r.file && below.fn === r.fn && below.line > 0 && below.line !== r.line;
}

/** Node's synchronous APIs that spend their time outside JavaScript. */
const NATIVE_SYNC = /Sync$/;
/** Engine builtins that block in native code (they wake for interrupts, so the capture is on time). */
const NATIVE_BUILTINS = new Set(['Atomics.wait']);
/**
 * Node's internal wrappers that a public sync API is when called without its module
 * (`const { deflateSync } = require('zlib')`): the frame then names the wrapper, not the API; the
 * call site names it (`calleeAt`), else the module does.
 */
const HIDDEN_SYNC_APIS = new Map([['syncBufferWrapper', 'zlib']]);

function apiName(r: RawFrame): string {
  const fn = r.method || r.fn;
  if (!r.file && r.type && fn) return `${r.type}.${fn}`; // builtin: JSON.parse, Atomics.wait
  return fn;
}

/**
 * The API the user's code called: the outermost node-internal frame right above the culprit (the
 * public function, `pbkdf2Sync`, named as the user called it, e.g. `gzipSync` rather than zlib's
 * internal `syncBufferWrapper`), else the builtin on top (`JSON.stringify`, `Atomics.wait`).
 */
export function calledApi(raw: readonly RawFrame[], culpritRaw: number, probeFile: string): string | undefined {
  const callee = culpritRaw >= 0 ? raw.slice(0, culpritRaw) : raw;
  let builtin: string | undefined;
  for (let i = callee.length - 1; i >= 0; i--) {
    const r = callee[i];
    if (!r.file) {
      builtin ??= apiName(r) || undefined;
      continue;
    }
    const file = toPath(r.file);
    if (isInternal(file) || file === probeFile) return apiName(r) || builtin;
  }
  return builtin;
}

export interface Interpretation {
  frames: Frame[];
  culprit: Frame | null;
  cause: Cause;
}

/**
 * Frames, culprit and cause from one capture. `late` = the snapshot ran only when the thread came
 * back from a synchronous native call (V8 services interrupts in JavaScript only). Such a stack is
 * still the blocking one when the native call is Node's and its JS wrapper is still on the stack
 * (`pbkdf2Sync`, `execSync`, `readFileSync`): the user's frame below it is the call site. Otherwise
 * (a bare spawnSync, an addon) it shows whatever ran next, which would blame the wrong line: then
 * there is no culprit rather than a wrong one. JSON.parse is wrapped by the probe for this (`native`).
 */
export function interpretCapture(raw: readonly RawFrame[], probeFile: string, resolver: LocationResolver | undefined, late: boolean, native?: string): Interpretation {
  const built = buildFrames(raw, probeFile, resolver);
  // The probe's own wrapper knew the call site (JSON.parse): exact however late the look ran.
  if (native) return { frames: built.frames, culprit: built.culprit, cause: { kind: 'native', api: native } };
  const api = calledApi(raw, built.culpritRaw, probeFile);
  const hidden = api ? HIDDEN_SYNC_APIS.get(api) : undefined;
  if (hidden) {
    const site = built.culpritRaw >= 0 ? raw[built.culpritRaw] : undefined;
    const named = site && resolver?.calleeAt?.({ file: toPath(site.file), line: site.line, column: Math.max(1, site.column) });
    return { frames: built.frames, culprit: built.culprit, cause: { kind: 'native', api: named && NATIVE_SYNC.test(named) ? named : hidden } };
  }
  const waiting = raw.some((r) => !r.file && NATIVE_BUILTINS.has(apiName(r)));
  if (waiting) return { frames: built.frames, culprit: built.culprit, cause: { kind: 'native', api: 'Atomics.wait' } };
  const nativeOnStack = !!api && NATIVE_SYNC.test(api);
  if (nativeOnStack) return { frames: built.frames, culprit: built.culprit, cause: { kind: 'native', api } };
  // Late, but the snapshot ran inside the blocking builtin (e.g. `gc()`): its caller is the call site.
  const insideBuiltin = raw.length > 0 && !raw[0].file;
  if (late && !insideBuiltin) return { frames: [], culprit: null, cause: { kind: 'native' } };
  // Inside an engine builtin that serviced the interrupt only late (JSON.stringify near its end):
  // still the engine working through the user's data, i.e. JS on the CPU.
  if (late) return { frames: built.frames, culprit: built.culprit, cause: api ? { kind: 'js', api } : { kind: 'js' } };
  return { frames: built.frames, culprit: built.culprit, cause: api ? { kind: 'js', api } : { kind: 'js' } };
}
