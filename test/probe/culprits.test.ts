/**
 * The line and the cause on stacks where they used to be wrong, each from a real process under the
 * real probe: code transpiled in memory (tsx, ts-node) and a bundle whose inline map the runtime
 * keeps, sync native calls that return straight to their caller (`readFileSync(f, 'utf8')`) or are
 * called by a bare name (`const { deflateSync } = require('zlib')`, `import { gzipSync }`), deep
 * recursion, and blocks just over the threshold that start from an idle loop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { Stall } from '../../src/shared/protocol/model';
import { FIXTURES, ROOT, ProbeHost, ensureProbeBuilt, expectedLocation, spawnProbed, stallFor, waitFor, type Probed, type SpawnOptions } from './harness';

async function runToEnd(host: ProbeHost, script: string, args: string[], o: SpawnOptions = {}): Promise<Probed> {
  const p = spawnProbed(script, args, { host, ...o });
  const exit = await p.exited;
  assert.equal(exit.code, 0, `${script} exited ${exit.code}: ${p.stderr}`);
  await waitFor(() => host.disconnected.includes(p.pid), 3000, `pid ${p.pid} to disconnect (connected: ${host.connections.map((c) => c.hello.pid).join(' ')}; stderr: ${p.stderr.slice(-500)})`);
  host.recording.flush();
  return p;
}

// The programs wait a while before they block: on a loaded machine the probe's thread and its
// connection to the host take a moment to start.

/** Every stall the truth of `kind` recorded, with the stall that covers it (under any pid: tsx runs the program in a child). */
function stallsOf(host: ProbeHost, p: Probed, kind: string): Array<{ truthMs: number; s: Stall }> {
  const truths = p.truth().filter((x) => x.kind === kind);
  assert.ok(truths.length, `no ground truth for ${kind}: ${p.stderr}`);
  return truths.map((t) => {
    const s = stallFor(host.stalls(t.pid), t);
    assert.ok(s, `no stall for ${kind} (${t.durationMs.toFixed(1)} ms)`);
    return { truthMs: t.durationMs, s };
  });
}

const at = (s: Stall): { file: string; line: number; column: number } | null => s.culprit && { file: s.culprit.file, line: s.culprit.line, column: s.culprit.column };

describe('culprit lines and causes on real stacks', () => {
  let host: ProbeHost;
  before(async () => {
    ensureProbeBuilt();
    host = await ProbeHost.start();
  });
  after(() => host.close());

  const blocker = join(FIXTURES, 'ts', 'blocker.ts');
  const tsRuns: Array<{ name: string; script: string; nodeArgs?: string[] }> = [
    { name: '`npx tsx` (maps in memory, source maps enabled by tsx)', script: join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs') },
    { name: 'ts-node (its inline maps, Node keeping none)', script: join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js') },
    { name: 'ts-node under --enable-source-maps', script: join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), nodeArgs: ['--enable-source-maps'] },
  ];
  for (const run of tsRuns) {
    it(`TypeScript run by ${run.name}: the .ts line and column`, async () => {
      const p = await runToEnd(host, run.script, [blocker], { nodeArgs: run.nodeArgs, env: { TS_NODE_TRANSPILE_ONLY: '1', IDLE_MS: '800' } });
      const [{ s }] = stallsOf(host, p, 'ts');
      assert.deepEqual(at(s), expectedLocation(blocker, 'ts'));
      assert.equal(s.culprit?.generated?.file, blocker, 'the generated location (the transpiled code of the same file) is kept');
    });
  }

  it('an esbuild bundle with an inline map, run with --enable-source-maps: the runtime map gives the .ts line', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'stallscope-ts-')), 'blocker.js');
    buildSync({ entryPoints: [blocker], outfile: out, bundle: true, platform: 'node', format: 'cjs', sourcemap: 'inline', logLevel: 'warning' });
    assert.match(readFileSync(out, 'utf8'), /sourceMappingURL=data:application\/json;base64,/);
    const p = await runToEnd(host, out, [], { nodeArgs: ['--enable-source-maps'], env: { IDLE_MS: '800' } });
    const [{ s }] = stallsOf(host, p, 'ts');
    assert.deepEqual(at(s), expectedLocation(blocker, 'ts'));
    assert.equal(s.culprit?.generated?.file, out);
  });

  const culprits = join(FIXTURES, 'culprits.js');
  const esm = join(FIXTURES, 'culprits-esm.mjs');
  const natives: Array<{ name: string; file: string; kind: string; api: string }> = [
    { name: "fs.readFileSync(file, 'utf8')", file: culprits, kind: 'readfile', api: 'readFileSync' },
    { name: "import { readFileSync } from 'node:fs' (utf8)", file: esm, kind: 'readfile', api: 'readFileSync' },
    { name: "const { deflateSync } = require('zlib')", file: culprits, kind: 'deflate', api: 'deflateSync' },
    { name: "import { gzipSync } from 'zlib'", file: esm, kind: 'gzip', api: 'gzipSync' },
  ];
  for (const n of natives) {
    it(`${n.name}: its own line, a sync native call`, async () => {
      const p = await runToEnd(host, n.file, [], { env: { CASE: n.kind } });
      const [{ s }] = stallsOf(host, p, n.kind);
      assert.deepEqual(at(s), expectedLocation(n.file, n.kind));
      assert.deepEqual(s.cause, { kind: 'native', api: n.api });
    });
  }

  it('deep recursion: the line running inside the function, not its `function` line', async () => {
    const p = await runToEnd(host, culprits, [], { env: { CASE: 'recursion' } });
    const [{ s }] = stallsOf(host, p, 'recursion');
    const want = expectedLocation(culprits, 'recursion');
    assert.deepEqual(s.culprit && { file: s.culprit.file, line: s.culprit.line }, { file: want.file, line: want.line });
    assert.equal(s.culprit?.function, 'fib');
  });

  it('blocks just over the threshold, each from an idle loop, all get their line: 60 ms, 90 ms, 60 ms at 50 ms', async () => {
    const file = join(FIXTURES, 'near-threshold.js');
    const p = await runToEnd(host, file, [], { env: { BLOCKS: '60,90,60' } });
    const found = stallsOf(host, p, 'near');
    assert.equal(found.length, 3);
    for (const { truthMs, s } of found) {
      assert.deepEqual(at(s), expectedLocation(file, 'near'), `the ${truthMs.toFixed(0)} ms block`);
      const err = s.durationMs - truthMs;
      assert.ok(err >= -0.5 && err <= 100, `reported ${s.durationMs} ms for a ${truthMs.toFixed(1)} ms block`);
    }
  });
});
