/**
 * Deterministic timeline data for the webview tests and the render benchmark: a realistic small
 * session (an HTTP server, a worker pool, a forked job runner) and a large synthetic recording
 * (1 h at 10 Hz, 10k stalls). Seeded, so screenshots and counts are stable.
 */
import type { Frame, LagSample, PauseRange, ProcessInfo, Stall } from '../../src/shared/protocol/model';
import type { TimelineState } from '../../src/shared/protocol/webviewMessages';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const APP = '/home/dev/shop-api';

export interface Culprit {
  frames: Frame[];
  handler: Stall['handler'];
  cause: Stall['cause'];
  /** Typical duration (ms). */
  typicalMs: number;
}

const f = (fn: string, file: string, line: number, column: number): Frame => ({ function: fn, file, line, column });
const express = (line: number, fn = 'handle'): Frame => f(fn, `${APP}/node_modules/express/lib/router/layer.js`, line, 5);

export const CULPRITS: Culprit[] = [
  {
    frames: [
      f('stringify', 'node:internal/json', 1, 1),
      f('buildReport', `${APP}/src/routes/report.js`, 42, 23),
      f('getReport', `${APP}/src/routes/report.js`, 17, 10),
      express(95),
      express(149, 'next'),
    ],
    handler: { kind: 'http', label: 'GET /report' },
    cause: { kind: 'js', api: 'JSON.stringify' },
    typicalMs: 420,
  },
  {
    frames: [
      f('pbkdf2Sync', 'node:internal/crypto/pbkdf2', 62, 3),
      f('hashPassword', `${APP}/src/auth/password.js`, 17, 17),
      f('login', `${APP}/src/routes/auth.js`, 33, 24),
      express(95),
    ],
    handler: { kind: 'http', label: 'POST /login' },
    cause: { kind: 'native', api: 'pbkdf2Sync' },
    typicalMs: 180,
  },
  {
    frames: [
      f('slugify', `${APP}/src/util/slug.js`, 8, 17),
      f('productPage', `${APP}/src/routes/products.js`, 51, 12),
      express(95),
    ],
    handler: { kind: 'http', label: 'GET /products/:id' },
    cause: { kind: 'js', api: 'RegExp' },
    typicalMs: 90,
  },
  {
    frames: [
      f('gzipSync', 'node:zlib', 892, 10),
      f('compressThumb', `${APP}/src/workers/thumbnail.js`, 31, 20),
      f('onMessage', `${APP}/src/workers/thumbnail.js`, 12, 5),
    ],
    handler: { kind: 'worker-message', label: 'worker message' },
    cause: { kind: 'native', api: 'gzipSync' },
    typicalMs: 140,
  },
  {
    frames: [
      f('readFileSync', 'node:fs', 441, 20),
      f('sweepSessions', `${APP}/src/jobs/cleanup.js`, 55, 18),
      f('listOnTimeout', 'node:internal/timers', 581, 17),
    ],
    handler: { kind: 'timer', label: 'setInterval sweepSessions' },
    cause: { kind: 'native', api: 'readFileSync' },
    typicalMs: 75,
  },
];

function makeStallFrom(c: Culprit, id: string, pid: number, threadId: number, threadName: string | undefined, startMs: number, durationMs: number): Stall {
  const culprit = c.frames.find((x) => !x.file.startsWith('node:') && !x.file.includes('/node_modules/')) ?? null;
  return {
    id,
    pid,
    thread: threadName ? { id: threadId, name: threadName } : { id: threadId },
    startMs,
    durationMs,
    detectedMs: startMs + 12,
    culprit,
    frames: c.frames,
    handler: c.handler,
    cause: c.cause,
  };
}

export function processInfo(pid: number, ppid: number, argv: string[], startedAtMs: number, threads: ProcessInfo['threads']): ProcessInfo {
  return { pid, ppid, argv, cwd: APP, runtime: { name: 'node', version: '20.19.2' }, mode: 'full', startedAtMs, threads };
}

function lagSeries(pid: number, threadId: number, fromMs: number, toMs: number, stalls: readonly Stall[], rand: () => number, pauses: readonly PauseRange[] = []): LagSample[] {
  const out: LagSample[] = [];
  // A quiet loop: sub-millisecond p50 and a p99 of a few ms that wander slowly (a random walk),
  // with the occasional GC or I/O burst, as a real 10 Hz series looks.
  let walk = 0.5;
  for (let t = fromMs + 100; t <= toMs; t += 100) {
    walk = Math.min(1, Math.max(0, walk + (rand() - 0.5) * 0.08));
    const wave = 0.5 + 0.5 * Math.sin(t / 23_000);
    let p50 = 0.45 + 0.35 * wave + 0.2 * walk + rand() * 0.06;
    let p99 = p50 + 1.1 + 2.2 * walk + rand() * 0.5 + (rand() < 0.004 ? 6 + rand() * 14 : 0);
    let max = p99 + rand() * 1.5;
    const paused = pauses.some((p) => t - 100 < (p.endMs ?? toMs) && t > p.startMs);
    for (const s of stalls) {
      if (s.startMs < t && s.startMs + s.durationMs > t - 100) {
        max = Math.max(max, Math.min(s.durationMs, t - s.startMs));
        p99 = Math.max(p99, max * 0.92);
        p50 = Math.max(p50, max * 0.3);
      }
    }
    if (paused) continue; // the probe's timer does not run while the debugger holds the thread
    out.push({ pid, threadId, atMs: t, intervalMs: 100, p50Ms: p50, p99Ms: p99, maxMs: max, elu: Math.min(1, 0.08 + wave * 0.2) });
  }
  return out;
}

/**
 * A three-minute session of a small web shop: the server (with a worker pool) and a forked job
 * runner. `live` adds an ongoing stall at the end.
 */
export function demoState(opts: { endMs: number; live?: boolean; seed?: number; minutes?: number }): TimelineState {
  const rand = rng(opts.seed ?? 7);
  const duration = (opts.minutes ?? 3) * 60_000;
  const start = opts.endMs - duration;
  const server = processInfo(4242, 4200, ['/usr/bin/node', '--enable-source-maps', `${APP}/dist/server.js`, '--port', '3000'], start, [
    { id: 0 },
    { id: 1, name: 'thumbnail-pool' },
  ]);
  const jobs = processInfo(4310, 4242, ['/usr/bin/node', `${APP}/src/jobs/runner.js`], start + 2_000, [{ id: 0 }]);
  const stalls: Stall[] = [];
  let seq = 0;
  const add = (c: Culprit, pid: number, thread: number, name: string | undefined, at: number, dur: number): Stall => {
    const s = makeStallFrom(c, `${pid}.${thread}.${++seq}`, pid, thread, name, at, dur);
    stalls.push(s);
    return s;
  };
  // Main thread: requests that block, clustered as traffic comes in waves.
  for (let t = start + 4_000; t < opts.endMs - 6_000; t += 2_500 + rand() * 9_000) {
    const c = CULPRITS[rand() < 0.45 ? 0 : rand() < 0.6 ? 1 : 2];
    add(c, 4242, 0, undefined, t, c.typicalMs * (0.4 + rand() * 1.6));
  }
  for (let t = start + 9_000; t < opts.endMs - 4_000; t += 8_000 + rand() * 16_000) add(CULPRITS[3], 4242, 1, 'thumbnail-pool', t, CULPRITS[3].typicalMs * (0.6 + rand()));
  for (let t = start + 15_000; t < opts.endMs - 3_000; t += 30_000) add(CULPRITS[4], 4310, 0, undefined, t, CULPRITS[4].typicalMs * (0.7 + rand() * 0.8));
  const pauses: PauseRange[] = [{ id: 'pause-1', pid: 4242, threadId: 0, startMs: start + duration * 0.62, endMs: start + duration * 0.62 + 6_500, reason: 'breakpoint' }];
  // Stalls never overlap a debugger pause (the probe drops them): keep the fixture honest.
  const kept = stalls.filter((s) => !pauses.some((p) => p.pid === s.pid && s.startMs < (p.endMs ?? Infinity) + 200 && s.startMs + s.durationMs > p.startMs - 200));
  if (opts.live) {
    const c = CULPRITS[0];
    kept.push({ ...makeStallFrom(c, `4242.0.${++seq}`, 4242, 0, undefined, opts.endMs - 700, 650), ongoing: true });
  }
  const lag = [
    ...lagSeries(4242, 0, start, opts.endMs, kept.filter((s) => s.pid === 4242 && s.thread.id === 0), rand, pauses),
    ...lagSeries(4242, 1, start, opts.endMs, kept.filter((s) => s.pid === 4242 && s.thread.id === 1), rand),
    ...lagSeries(4310, 0, start + 2_000, opts.endMs, kept.filter((s) => s.pid === 4310), rand),
  ].sort((a, b) => a.atMs - b.atMs);
  return {
    title: 'node dist/server.js --port 3000',
    live: !!opts.live,
    startedAtMs: start,
    processes: [server, jobs],
    stalls: kept,
    lag,
    pauses,
  };
}

/** The benchmark's recording: `hours` at `hz` on `lanes` lanes (one process, workers), `stalls` stalls spread over it. */
export function syntheticRecording(opts: { endMs: number; hours?: number; hz?: number; lanes?: number; stalls?: number; seed?: number; live?: boolean }): TimelineState {
  const rand = rng(opts.seed ?? 11);
  const duration = (opts.hours ?? 1) * 3_600_000;
  const hz = opts.hz ?? 10;
  const laneCount = opts.lanes ?? 4;
  const stallCount = opts.stalls ?? 10_000;
  const start = opts.endMs - duration;
  const pid = 5000;
  const threads = Array.from({ length: laneCount }, (_, i) => (i === 0 ? { id: 0 } : { id: i, name: `worker-${i}` }));
  const proc = processInfo(pid, 1, ['/usr/bin/node', '/srv/app/server.js'], start, threads);
  const perLane = Math.floor(stallCount / laneCount);
  const stalls: Stall[] = [];
  const lag: LagSample[] = [];
  const interval = 1000 / hz;
  for (let lane = 0; lane < laneCount; lane++) {
    const gap = duration / perLane;
    const laneStalls: Stall[] = [];
    for (let i = 0; i < perLane; i++) {
      const c = CULPRITS[Math.floor(rand() * CULPRITS.length)];
      const at = start + i * gap + rand() * gap * 0.5;
      const dur = Math.min(gap * 0.45, 50 + rand() * rand() * 1200);
      laneStalls.push(makeStallFrom(c, `${pid}.${lane}.${i}`, pid, lane, threads[lane].name, at, dur));
    }
    stalls.push(...laneStalls);
    let si = 0;
    for (let t = start + interval; t <= opts.endMs; t += interval) {
      while (si < laneStalls.length && laneStalls[si].startMs + laneStalls[si].durationMs < t - interval) si++;
      const s = laneStalls[si];
      const inStall = s && s.startMs < t ? Math.min(s.durationMs, t - s.startMs) : 0;
      const p50 = 0.4 + rand() * 0.6;
      const p99 = Math.max(p50 + 1 + rand() * 4, inStall * 0.9);
      lag.push({ pid, threadId: lane, atMs: t, intervalMs: interval, p50Ms: p50, p99Ms: p99, maxMs: Math.max(p99 + rand(), inStall), elu: 0.2 });
    }
  }
  lag.sort((a, b) => a.atMs - b.atMs);
  return { title: 'synthetic: 1 h, 10k stalls, 4 lanes', live: !!opts.live, startedAtMs: start, processes: [proc], stalls, lag, pauses: [] };
}

/** A single stall for delta tests. */
export function oneStall(over: Partial<Stall> & { id: string; startMs: number; durationMs: number }): Stall {
  return { ...makeStallFrom(CULPRITS[1], over.id, 4242, 0, undefined, over.startMs, over.durationMs), ...over };
}
