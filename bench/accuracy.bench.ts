/**
 * How exact the probe is: stall duration error and detection latency over the probe fixtures
 * (test/fixtures/server.js, each block timed by the fixture itself as ground truth), measured with
 * the probe tests' own harness so the bench and the tests judge the same thing.
 *
 * Env: BENCH_ACCURACY_ROUNDS (3; 1 with BENCH_QUICK=1), BENCH_THRESHOLD_MS (50).
 */
import { ACCURACY_KINDS, measureStallAccuracy, type AccuracyRow } from '../test/probe/accuracy';

const quick = process.env.BENCH_QUICK === '1';
const rounds = Number(process.env.BENCH_ACCURACY_ROUNDS ?? (quick ? 1 : 3));
const thresholdMs = Number(process.env.BENCH_THRESHOLD_MS ?? 50);

function med(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log(`Accuracy: ${ACCURACY_KINDS.length} blocking kinds × ${rounds} rounds against the fixtures' own timing, threshold ${thresholdMs} ms`);
  const s = await measureStallAccuracy({ rounds, thresholdMs });
  const byKind = new Map<string, AccuracyRow[]>();
  for (const r of s.rows) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  const rows: string[][] = [['kind', 'true ms', 'error median', 'error max', 'detected after (median)', 'missed']];
  for (const [kind, rs] of byKind) {
    const got = rs.filter((r) => r.durationErrorMs !== null);
    rows.push([
      kind,
      f(med(rs.map((r) => r.trueMs))),
      `${f(med(got.map((r) => r.durationErrorMs as number)), 2)} ms`,
      `${f(Math.max(...got.map((r) => r.durationErrorMs as number)), 2)} ms`,
      `${f(med(rs.map((r) => r.detectionLatencyMs ?? NaN)))} ms`,
      String(rs.length - got.length),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => '  ' + r.map((v, c) => (c ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ');
  console.log([line(rows[0]), '  ' + widths.map((w) => '─'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n'));
  console.log(
    `\n  stall duration error: median ${f(s.durationError.medianMs, 2)} ms, max ${f(s.durationError.maxMs, 2)} ms ` +
      `(goal: within 2 ms) over ${s.rows.length - s.missed} stalls, ${s.missed} missed`,
  );
  console.log(
    `  detection latency (stall start → detected): median ${f(s.detectionLatency.medianMs)} ms, max ${f(s.detectionLatency.maxMs)} ms ` +
      `(this includes the threshold itself: a block becomes a stall once the loop has been silent for ${thresholdMs} ms since its last heartbeat)`,
  );
  console.log(`  accuracy section: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// A wedged fixture must not hang the whole bench.
setTimeout(() => {
  console.error('accuracy: gave up after 5 minutes');
  process.exit(1);
}, 300_000).unref();

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
