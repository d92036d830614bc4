/**
 * Stall duration error and detection latency over the fixtures, for the bench (and the probe tests).
 * Runs the HTTP fixture under the probe, hits each blocking endpoint `rounds` times, and compares
 * every reported stall with the fixture's own measurement of the blocking call.
 *
 *   durationErrorMs   = |reported durationMs - true durationMs|
 *   detectionLatencyMs = detectedMs - true startMs (the threshold is the floor: a stall is a stall
 *                        only once it has lasted that long)
 */
import { join } from 'node:path';
import { FIXTURES, ProbeHost, ensureProbeBuilt, httpGet, median, sleep, spawnProbed, stallFor, type Truth } from './harness';
import type { Stall } from '../../src/shared/protocol/model';

export const ACCURACY_KINDS = ['busy', 'json-stringify', 'json-parse', 'pbkdf2', 'gzip', 'exec', 'spawn', 'atomics', 'regex', 'async-busy', 'timer', 'deferred'] as const;

export interface AccuracyRow {
  kind: string;
  trueMs: number;
  reportedMs: number | null;
  durationErrorMs: number | null;
  startErrorMs: number | null;
  detectionLatencyMs: number | null;
}

export interface AccuracySummary {
  rows: AccuracyRow[];
  thresholdMs: number;
  missed: number;
  durationError: { medianMs: number; maxMs: number };
  detectionLatency: { medianMs: number; maxMs: number };
}

export async function measureStallAccuracy(opts: { rounds?: number; kinds?: readonly string[]; thresholdMs?: number } = {}): Promise<AccuracySummary> {
  ensureProbeBuilt();
  const thresholdMs = opts.thresholdMs ?? 50;
  const host = await ProbeHost.start();
  const p = spawnProbed(join(FIXTURES, 'server.js'), [], { host, probe: { thresholdMs } });
  try {
    const port = Number((await p.waitForOutput(/listening (\d+)/))[1]);
    // Warm the HTTP path (first-response code is compiled lazily, outside the fixture's timed window).
    for (let i = 0; i < 3; i++) await httpGet(port, '/fast');
    await sleep(200);
    for (let r = 0; r < (opts.rounds ?? 3); r++) {
      for (const kind of opts.kinds ?? ACCURACY_KINDS) {
        await httpGet(port, `/${kind}`);
        await sleep(kind === 'timer' || kind === 'deferred' ? 350 : 150);
      }
    }
    await httpGet(port, '/exit');
    await p.exited;
    await sleep(50);
    return summarize(p.truth(), host.stalls(p.pid), thresholdMs);
  } finally {
    p.kill();
    await host.close();
  }
}

export function summarize(truth: readonly Truth[], stalls: readonly Stall[], thresholdMs: number): AccuracySummary {
  const rows: AccuracyRow[] = truth
    .filter((t) => t.durationMs >= thresholdMs + 5) // blocks at the threshold's edge may rightly go either way
    .map((t) => {
      const s = stallFor(stalls, t);
      return {
        kind: t.kind,
        trueMs: t.durationMs,
        reportedMs: s ? s.durationMs : null,
        durationErrorMs: s ? Math.abs(s.durationMs - t.durationMs) : null,
        startErrorMs: s ? s.startMs - t.startMs : null,
        detectionLatencyMs: s?.detectedMs !== undefined ? s.detectedMs - t.startMs : null,
      };
    });
  const errs = rows.map((r) => r.durationErrorMs).filter((x): x is number => x !== null);
  const lat = rows.map((r) => r.detectionLatencyMs).filter((x): x is number => x !== null);
  return {
    rows,
    thresholdMs,
    missed: rows.filter((r) => r.reportedMs === null).length,
    durationError: { medianMs: median(errs), maxMs: errs.length ? Math.max(...errs) : NaN },
    detectionLatency: { medianMs: median(lat), maxMs: lat.length ? Math.max(...lat) : NaN },
  };
}

if (require.main === module) {
  measureStallAccuracy({ rounds: Number(process.argv[2] ?? 3) }).then((s) => {
    for (const r of s.rows) {
      console.log(
        `${r.kind.padEnd(15)} true ${r.trueMs.toFixed(2).padStart(8)}  reported ${String(r.reportedMs?.toFixed(2)).padStart(8)}  ` +
          `err ${String(r.durationErrorMs?.toFixed(2)).padStart(6)}  start ${String(r.startErrorMs?.toFixed(2)).padStart(6)}  detect ${String(r.detectionLatencyMs?.toFixed(1)).padStart(6)}`,
      );
    }
    console.log(
      `duration error median ${s.durationError.medianMs.toFixed(2)} ms, max ${s.durationError.maxMs.toFixed(2)} ms; ` +
        `detection latency median ${s.detectionLatency.medianMs.toFixed(1)} ms, max ${s.detectionLatency.maxMs.toFixed(1)} ms; missed ${s.missed}`,
    );
  });
}
