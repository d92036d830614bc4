/**
 * `stallscope/testing`'s measureStalls for real: the built dist/testing.js in this process (its
 * own heartbeat and watchdog thread), real blocks and real async work, the README's example run as
 * a test suite, and a process where the probe is also loaded through NODE_OPTIONS.
 *
 * Tolerances: a busy loop of N ms is reported at N ms or a little more (the probe measures the busy
 * time around it); on this shared machine the upper bound is loose (+250 ms), the lower one tight.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Stall } from '../../src/shared/protocol/model';
import { withProbe } from '../../src/core/probeEnv';
import { ProbeHost, waitFor } from '../probe/harness';
import { ROOT, ensureBuilt, tagLine } from '../cli/cliHarness';

const TESTING = path.join(ROOT, 'dist', 'testing.js');
const BLOCKERS = path.join(__dirname, 'fixtures', 'blockers.js');
const SPIN_LINE = tagLine(BLOCKERS, 'spin');

type MeasureStalls = (fn: () => unknown, o?: { thresholdMs?: number }) => Promise<Stall[]>;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out }));
  });
}

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // the test runner's tsx loader is not the examples' business
  delete env.NODE_TEST_CONTEXT; // else node --test in the child takes itself for a nested run and skips the files
  return env;
}

describe('measureStalls', () => {
  let measureStalls: MeasureStalls;
  let blockers: { spin(ms: number): number; hashLater(): Promise<Buffer> };

  before(() => {
    ensureBuilt();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    measureStalls = (require(TESTING) as { measureStalls: MeasureStalls }).measureStalls;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    blockers = require(BLOCKERS) as typeof blockers;
  });

  it('catches a synchronous block, with its duration and culprit line', async () => {
    const stalls = await measureStalls(() => blockers.spin(120), { thresholdMs: 50 });
    assert.equal(stalls.length, 1, JSON.stringify(stalls));
    const [s] = stalls;
    assert.ok(s.durationMs >= 119 && s.durationMs < 370, `${s.durationMs} ms for a 120 ms block`);
    assert.deepEqual([s.culprit?.file, s.culprit?.line, s.culprit?.function], [BLOCKERS, SPIN_LINE, 'spin']);
    assert.equal(s.cause?.kind, 'js');
    assert.equal(s.pid, process.pid);
    assert.equal(s.ongoing, undefined);
  });

  it('ignores asynchronous work, however long it takes', async () => {
    const stalls = await measureStalls(() => blockers.hashLater(), { thresholdMs: 20 });
    assert.deepEqual(stalls, []);
  });

  it('follows the threshold of each call', async () => {
    assert.deepEqual(await measureStalls(() => blockers.spin(30), { thresholdMs: 100 }), []);
    const low = await measureStalls(() => blockers.spin(60), { thresholdMs: 20 });
    assert.equal(low.length, 1);
    assert.ok(low[0].durationMs >= 59);
  });

  it('counts only what happens during the call, and rethrows what fn throws', async () => {
    blockers.spin(80); // before: not measured
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(await measureStalls(async () => new Promise((r) => setTimeout(r, 50))), []);
    await assert.rejects(
      measureStalls(() => {
        blockers.spin(60);
        throw new Error('boom');
      }),
      /boom/,
    );
    await assert.rejects(measureStalls(() => 1, { thresholdMs: 5 }), /thresholdMs must be a number of milliseconds from 10 to 60000, got 5/);
    await assert.rejects(measureStalls('x' as unknown as () => unknown), /fn must be a function/);
  });

  it('runs the README example as a node:test suite', async () => {
    // The README shows the example file itself (after its header), so what readers copy is what runs here.
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const shown = /### In your tests: `measureStalls`[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    const example = fs.readFileSync(path.join(ROOT, 'examples', 'measure-stalls', 'handlers.test.js'), 'utf8');
    assert.ok(shown && example.endsWith(shown), 'the README shows examples/measure-stalls/handlers.test.js');
    const r = await run(process.execPath, ['--test', '--test-reporter=tap', 'examples/measure-stalls/'], cleanEnv());
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /# pass 2\n# fail 0/);
  });

  it('works beside the probe loaded through NODE_OPTIONS: both see the block', async () => {
    const host = await ProbeHost.start();
    try {
      const env = withProbe(cleanEnv(), path.join(ROOT, 'dist', 'probe.js'), { url: host.url, token: host.token, thresholdMs: 50 });
      const r = await run(process.execPath, [path.join(__dirname, 'fixtures', 'besideProbe.js'), TESTING], env as NodeJS.ProcessEnv);
      assert.equal(r.code, 0, r.out);
      const m = /RESULT (.*)/.exec(r.out);
      assert.ok(m, r.out);
      const measured = JSON.parse(m[1]) as Stall[];
      assert.equal(measured.length, 1, m[1]);
      assert.equal(measured[0].culprit?.line, SPIN_LINE);
      const probed = await waitFor(() => host.stalls().find((s) => s.culprit?.line === SPIN_LINE), 5000, 'the probe\'s own stall');
      assert.ok(Math.abs(probed.durationMs - measured[0].durationMs) < 30, `probe ${probed.durationMs} ms vs measureStalls ${measured[0].durationMs} ms`);
    } finally {
      await host.close();
    }
  });
});
