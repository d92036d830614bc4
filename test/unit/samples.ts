/** Valid protocol objects for unit tests; each test mutates a fresh copy. */
import type { Frame, LagSample, Stall } from '../../src/shared/protocol/model';
import type { HelloMessage, HelloMessageV1 } from '../../src/shared/protocol/probeMessages';

export function frame(over: Partial<Frame> = {}): Frame {
  return { file: '/app/src/report.ts', line: 42, column: 7, function: 'buildReport', ...over };
}

export function stall(over: Partial<Stall> = {}): Stall {
  const culprit = over.culprit === undefined ? frame() : over.culprit;
  return {
    id: '100.0.1',
    pid: 100,
    thread: { id: 0 },
    startMs: 1_700_000_000_000,
    durationMs: 120,
    culprit,
    frames: culprit ? [culprit, frame({ file: 'node:internal/timers', line: 1, column: 1, function: 'listOnTimeout' })] : [],
    handler: { kind: 'http', label: 'GET /report' },
    cause: { kind: 'js' },
    ...over,
  };
}

export function lag(over: Partial<LagSample> = {}): LagSample {
  return { pid: 100, threadId: 0, atMs: 1_700_000_000_100, intervalMs: 100, p50Ms: 0.2, p99Ms: 1.1, maxMs: 3, elu: 0.12, ...over };
}

export function hello(over: Partial<HelloMessage> = {}): HelloMessage {
  return {
    type: 'hello',
    protocolVersion: 2,
    token: 'tok',
    pid: 100,
    ppid: 1,
    argv: ['/usr/bin/node', '/app/server.js'],
    cwd: '/app',
    runtime: { name: 'node', version: '20.20.2' },
    mode: 'full',
    startedAtMs: 1_700_000_000_000,
    ...over,
  };
}

/** The hello of a protocol-v1 probe (Node only, one connection per thread). */
export function helloV1(over: Partial<HelloMessageV1> = {}): HelloMessageV1 {
  return {
    type: 'hello',
    protocolVersion: 1,
    token: 'tok',
    pid: 100,
    ppid: 1,
    threadId: 0,
    argv: ['/usr/bin/node', '/app/server.js'],
    cwd: '/app',
    nodeVersion: 'v20.20.2',
    mode: 'full',
    startedAtMs: 1_700_000_000_000,
    ...over,
  };
}

/** A deep copy with one field replaced (or deleted when value is undefined), by dotted path. */
export function withField<T>(obj: T, dotted: string, value: unknown): T {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const keys = dotted.split('.');
  let o = copy;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete o[last];
  else o[last] = value;
  return copy as T;
}
