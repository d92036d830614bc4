/**
 * The check's verdict told in a FastAPI user's words: `def` or `async def`, the threadpool, the
 * response's serialization, the GIL. The verdict itself stays the one rule of attribution.ts
 * (a stall of its own under its load); this says what kind of blocking it was, and for an endpoint
 * that did not block the loop, what its requests paid instead (waiting for a threadpool thread).
 *
 * What the probe's evidence means in a FastAPI app:
 *   - the endpoint's own line on the loop thread: its code ran on the event loop, i.e. sync work in
 *     an `async def` endpoint (a `def` endpoint runs in the threadpool and is never on the loop);
 *   - FastAPI/Starlette/pydantic serializing on the loop thread: the response is built on the loop,
 *     for `def` endpoints too, so a big payload blocks it whatever the endpoint is;
 *   - cause `gil`: another thread held the GIL (CPU-bound Python in a `def` endpoint's threadpool
 *     thread) and the loop could not run: blocking through the GIL, the culprit being that thread's line;
 *   - no stall, pool samples busy: a `def` endpoint, its requests queued for one of the pool's threads.
 */
import type { LagSample, PoolSample, Stall } from '../../shared/protocol/model';
import { formatDuration, plural } from '../../shared/phrases';
import type { PhaseBounds } from './attribution';

export type PythonBlockingKind = 'async-sync-work' | 'async-sync-wait' | 'serializer' | 'library' | 'gil' | 'gc';

/** The threadpool during a phase: the most threads busy, requests waiting, and the longest wait for a thread. */
export type PoolUse = PoolSample;

export interface PythonFinding {
  kind: PythonBlockingKind;
  /** The stalls of this kind, longest first. */
  stalls: Stall[];
}

const SERIALIZER_FILE = /[\\/](fastapi|starlette|pydantic|pydantic_core)[\\/]/;
// Python frames name functions by their qualified name (`JSONResponse.render`).
const SERIALIZER_FUNCTION = /serializ|jsonable_encoder|_prepare_response_content|(^|\.)render$|dump|(^|\.)__init__$/;

/** Whether a stall comes from a Python process (its cause or its stack says so). */
export function isPythonStall(s: Stall): boolean {
  return s.cause?.kind === 'python' || s.cause?.kind === 'gil' || s.frames.some((f) => f.file.endsWith('.py'));
}

/** What kind of blocking one stall of an endpoint's handler was, in FastAPI terms. */
export function classifyPythonStall(s: Stall): PythonBlockingKind {
  if (s.cause?.kind === 'gil') return 'gil';
  if (s.cause?.kind === 'gc') return 'gc';
  // Frames are innermost first. The framework serializing with no user frame further out: FastAPI's own
  // response building (a user frame further in is a validator it called). User code further out
  // called the serializer itself: that is the endpoint's own work.
  const framework = s.frames.findIndex((f) => SERIALIZER_FILE.test(f.file) && SERIALIZER_FUNCTION.test(f.function));
  const user = s.culprit ? s.frames.findIndex((f) => f.file === s.culprit!.file && f.line === s.culprit!.line) : -1;
  if (framework >= 0 && user < framework) return 'serializer';
  // No line of the app's on the stack: nothing says an `async def` endpoint did it.
  if (!s.culprit) return 'library';
  if (s.cause?.kind === 'native' && !s.cause.holdsGil) return 'async-sync-wait';
  return 'async-sync-work';
}

/** The endpoint's Python stalls by kind, the kind with most blocked time first. */
export function pythonFindings(own: readonly Stall[]): PythonFinding[] {
  const by = new Map<PythonBlockingKind, Stall[]>();
  for (const s of own) {
    if (!isPythonStall(s)) continue;
    const k = classifyPythonStall(s);
    by.set(k, [...(by.get(k) ?? []), s]);
  }
  const total = (xs: Stall[]) => xs.reduce((t, s) => t + s.durationMs, 0);
  return [...by].map(([kind, stalls]) => ({ kind, stalls: [...stalls].sort((a, b) => b.durationMs - a.durationMs) })).sort((a, b) => total(b.stalls) - total(a.stalls));
}

/** The threadpool's occupancy over a phase (every process and pool sample in it), or undefined without samples. */
export function poolUse(lag: readonly LagSample[], phase: PhaseBounds): PoolUse | undefined {
  let use: PoolUse | undefined;
  for (const l of lag) {
    if (!l.pool || l.atMs < phase.startMs || l.atMs - l.intervalMs > phase.endMs) continue;
    const p = l.pool;
    use = use
      ? {
          name: use.name,
          capacity: Math.max(use.capacity, p.capacity),
          busyMax: Math.max(use.busyMax, p.busyMax),
          waitingMax: Math.max(use.waitingMax, p.waitingMax),
          waitedMaxMs: Math.max(use.waitedMaxMs, p.waitedMaxMs),
        }
      : { ...p };
  }
  return use;
}

/** `up to 40 of 40 threads busy, up to 60 requests waited for a thread (the longest 1.20 s)`. */
export function poolText(p: PoolUse): string {
  const busy = `up to ${p.busyMax} of ${p.capacity} threadpool threads busy`;
  if (!p.waitingMax) return `${busy}, no request waited for a thread`;
  return `${busy}, up to ${plural(p.waitingMax, 'request')} waited for a thread (the longest ${formatDuration(p.waitedMaxMs)})`;
}

/** One sentence per finding, in a FastAPI user's words. */
export function findingText(f: PythonFinding): string {
  const top = f.stalls[0];
  const where = top.culprit ? ` (${baseName(top.culprit.file)}:${top.culprit.line}${top.culprit.function ? ` ${top.culprit.function}` : ''})` : '';
  const route = top.handler?.route ? ` of ${top.handler.route}` : '';
  const n = `${plural(f.stalls.length, 'stall')}, max ${formatDuration(top.durationMs)}`;
  switch (f.kind) {
    case 'async-sync-work':
      return `sync work on the event loop${where}: an \`async def\` endpoint runs on the loop, so its CPU work blocks every request (${n}); make it \`def\` (FastAPI runs it in the threadpool) or move the work to run_in_threadpool`;
    case 'async-sync-wait':
      return `a sync call that waits${top.cause?.api ? ` (${top.cause.api})` : ''}${where} in an \`async def\` endpoint: it waits on the event loop (${n}); await an async equivalent, or make the endpoint \`def\``;
    case 'serializer':
      return `the response's serialization${route} on the event loop${where}: FastAPI builds the response on the loop even for a \`def\` endpoint (${n}); return less, or a pre-serialized Response`;
    case 'library': {
      const f = top.frames[0];
      const at = f ? ` (top of the stack: ${baseName(f.file)}:${f.line}${f.function ? ` ${f.function}` : ''})` : '';
      return `library or framework code on the event loop with no line of the app's on its stack${at} (${n})`;
    }
    case 'gil':
      return `blocked through the GIL: CPU-bound Python in ${top.cause?.thread?.name ? `the thread "${top.cause.thread.name}"` : 'a threadpool thread'}${where} held the GIL and the event loop could not run (${n}); a \`def\` endpoint's threadpool does not help CPU-bound work: use a process pool`;
    case 'gc':
      return `garbage collection during its requests (${n}): not counted against it`;
  }
}

/** What the threadpool said of an endpoint that did not block the loop: a `def` endpoint and its queue. */
export function threadpoolText(p: PoolUse): string {
  return `not blocking the event loop: it ran in the threadpool (a \`def\` endpoint); ${poolText(p)}`;
}

function baseName(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}
