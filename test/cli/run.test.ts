/**
 * `stallscope run` for real: the built CLI starts real commands with the real probe, hosts it on a
 * real loopback socket, and is judged by what a shell or CI would see (exit code, stdio, files).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseReport, type Report } from '../../src/shared/protocol/report';
import { FIXTURES, ensureBuilt, runCli, startCli, tagLine, truths } from './cliHarness';

const BLOCK = path.join(FIXTURES, 'block.js');
const BLOCK_LINE = tagLine(BLOCK, 'block');

function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ss-cli-')), name);
}

function readReport(file: string): Report {
  const parsed = parseReport(JSON.parse(fs.readFileSync(file, 'utf8')));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return parsed.report;
}

describe('stallscope run', () => {
  before(() => ensureBuilt());

  it('passes the exit code through: 0 and 3', async () => {
    const ok = await runCli(['run', '--quiet', '--', 'node', BLOCK, '60', 'exit', '0']);
    assert.equal(ok.code, 0, ok.stderr);
    const three = await runCli(['run', '--quiet', '--', 'node', BLOCK, '60', 'exit', '3']);
    assert.equal(three.code, 3, three.stderr);
  });

  it('exits 128+n when the command dies of a signal, like a shell', async () => {
    const r = await runCli(['run', '--', 'node', BLOCK, '60', 'signal', 'SIGTERM']);
    assert.equal(r.code, 128 + os.constants.signals.SIGTERM);
    assert.equal(r.signal, null, 'stallscope itself exits normally');
  });

  it('passes stdin, stdout and stderr through unchanged', async () => {
    const input = Buffer.from('line one\nbinary \u0001\u00ff\n');
    const r = await runCli(['run', '--quiet', '--', 'node', path.join(FIXTURES, 'stdio.js'), '4'], { input });
    assert.equal(r.code, 4);
    assert.deepEqual(r.stdout, Buffer.concat([input, Buffer.from('out: ünïcødé\r\n\u0000no newline at the end')]));
    assert.equal(r.stderr, 'err: line 1\nerr: line 2');
  });

  it('records a real stall with its culprit line, handler and a duration close to the truth', async () => {
    const out = tmpFile('report.json');
    const r = await runCli(['run', '--out', out, '--', 'node', BLOCK, '150', 'exit', '0'], { env: { STALLSCOPE_TEST_TRUTH: '1' } });
    assert.equal(r.code, 0, r.stderr);
    const report = readReport(out);
    assert.deepEqual(report.command, ['node', BLOCK, '150', 'exit', '0']);
    assert.equal(report.exitCode, 0);
    assert.equal(report.thresholdMs, 50);
    assert.ok(Date.parse(report.startedAt) <= Date.now());
    assert.equal(report.stalls.length, 1, JSON.stringify(report.stalls.map((s) => s.durationMs)));
    const [s] = report.stalls;
    assert.equal(s.pid, report.pid);
    assert.deepEqual(s.thread, { id: 0 });
    assert.equal(s.culprit?.file, BLOCK);
    assert.equal(s.culprit?.line, BLOCK_LINE);
    assert.equal(s.culprit?.function, 'block');
    assert.deepEqual(s.handler, { kind: 'timer', label: s.handler?.label });
    const [t] = truths(r.stderr);
    assert.ok(Math.abs(s.durationMs - t.durationMs) < 25, `reported ${s.durationMs} ms, true ${t.durationMs} ms`);
    assert.ok(report.lag.length > 0, 'the lag series is recorded');
    assert.ok(report.processes?.some((p) => p.pid === report.pid && p.endedAtMs !== undefined));
    // The human summary: the culprit, relative to the cwd, and where the report is.
    assert.match(r.stderr, new RegExp(`stallscope: 1 stall ≥ 50 ms in [\\d.]+ (ms|s), \\d+ ms blocked in total \\(1 process\\)`));
    assert.match(r.stderr, new RegExp(`\\s1\\s+block\\.js:${BLOCK_LINE} {2}block\\n`));
    assert.match(r.stderr, new RegExp(`report {2}${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
  });

  it('--track-requests names even the first stall after an await by its request; without it, no guess', async () => {
    const server = path.join(FIXTURES, 'asyncHandler.js');
    const handlers: unknown[] = [];
    for (const flags of [['--track-requests'], []]) {
      const out = tmpFile('report.json');
      const r = await runCli(['run', '--quiet', '--out', out, ...flags, '--', 'node', server]);
      assert.equal(r.code, 0, r.stderr);
      const stalls = readReport(out).stalls.filter((s) => s.culprit?.file === server);
      assert.equal(stalls.length, 1, JSON.stringify(readReport(out).stalls));
      handlers.push(stalls[0].handler);
    }
    assert.deepEqual(handlers, [{ kind: 'http', label: 'GET /slow' }, null]);
  });

  it('says "no stalls" for a program that does not block', async () => {
    const r = await runCli(['run', '--threshold', '200', '--', 'node', '-e', 'setTimeout(() => {}, 300)']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^stallscope: no stalls ≥ 200 ms in [\d.]+ (ms|s) \(1 process\)\n$/);
  });

  it('--fail-on-stall exits 1 and names the stall that broke the budget; 0 when all stalls fit', async () => {
    const over = await runCli(['run', '--fail-on-stall', '60', '--', 'node', BLOCK, '200', 'exit', '0']);
    assert.equal(over.code, 1, over.stderr);
    assert.match(over.stderr, new RegExp(`✗ 1 stall longer than 60 ms \\(--fail-on-stall\\):\\n\\s+\\d+ ms {2}block\\.js:${BLOCK_LINE} block`));
    const under = await runCli(['run', '--fail-on-stall', '5000', '--', 'node', BLOCK, '200', 'exit', '0']);
    assert.equal(under.code, 0, under.stderr);
    assert.match(under.stderr, /✓ no stall longer than 5\.00 s/);
    // The command's own failure wins over the budget: CI sees why it really failed.
    const both = await runCli(['run', '--quiet', '--fail-on-stall', '60', '--', 'node', BLOCK, '200', 'exit', '5']);
    assert.equal(both.code, 5);
    assert.match(both.stderr, /stallscope: 1 stall\(s\) longer than 60 ms \(--fail-on-stall\); the longest: \d+ ms/);
  });

  it('--json prints a valid report on stdout and keeps the summary on stderr', async () => {
    const r = await runCli(['run', '--json', '--', 'node', BLOCK, '120', 'exit', '0']);
    assert.equal(r.code, 0, r.stderr);
    const parsed = parseReport(JSON.parse(r.stdout.toString()));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.equal(parsed.report.stalls.length, 1);
    assert.equal(parsed.report.stalls[0].culprit?.line, BLOCK_LINE);
    assert.match(r.stderr, /stallscope: 1 stall ≥ 50 ms/);
  });

  it('forwards SIGINT to the command and still writes the report', async () => {
    const out = tmpFile('interrupted.json');
    const run = startCli(['run', '--out', out, '--', 'node', BLOCK, '120', 'wait']);
    await run.waitForStdout(/ready/);
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 128 + os.constants.signals.SIGINT, r.stderr);
    const report = readReport(out);
    assert.equal(report.exitCode, 130);
    assert.equal(report.stalls.length, 1);
    assert.equal(report.stalls[0].culprit?.line, BLOCK_LINE);
  });

  it('a command that does not exist: a clear one-liner and 127', async () => {
    const r = await runCli(['run', '--', 'no-such-command-stallscope']);
    assert.equal(r.code, 127);
    assert.equal(r.stderr, 'stallscope: command not found: no-such-command-stallscope\n');
  });

  it('bad usage is refused before anything runs', async () => {
    const r = await runCli(['run', '--threshold', 'soon', '--', 'node', '-e', 'require("fs").writeFileSync("should-not-exist", "")']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'stallscope: --threshold expects a number of milliseconds, got "soon"\n');
    assert.equal(fs.existsSync(path.join(FIXTURES, 'should-not-exist')), false);
  });

  it('refuses a wrong-token probe and malformed or oversized frames, logs each once, and the run goes on', async () => {
    const out = tmpFile('intruded.json');
    const r = await runCli(['run', '--out', out, '--', 'node', path.join(FIXTURES, 'intruder.js')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.toString(), /^close codes 4001,4001,1009\n$/);
    const lines = r.stderr.split('\n');
    assert.equal(lines.filter((l) => l.startsWith('stallscope: refused a probe connection: wrong token')).length, 1, r.stderr);
    assert.equal(lines.filter((l) => l.startsWith('stallscope: dropped a malformed frame')).length, 1, r.stderr);
    assert.equal(lines.filter((l) => l.startsWith('stallscope: refused a probe frame larger than')).length, 1, r.stderr);
    assert.match(r.stderr, /refused 2 connections and 2 frames/);
    const report = readReport(out);
    assert.equal(report.dropped, 2, 'the refused frames are counted in the report');
    const intruderLine = tagLine(path.join(FIXTURES, 'intruder.js'), 'block');
    assert.deepEqual(report.stalls.map((s) => s.culprit?.line), [intruderLine], 'the real probe still reported the real stall');
  });

  it("records a forked child's stalls in the same report with its own pid and ppid", async () => {
    const out = tmpFile('fork.json');
    const fork = path.join(FIXTURES, 'fork.js');
    const r = await runCli(['run', '--out', out, '--', 'node', fork]);
    assert.equal(r.code, 0, r.stderr);
    const report = readReport(out);
    // Both block in the same function; the caller's frame (one below the culprit) tells them apart.
    const calledFrom = (tag: string) => report.stalls.find((s) => s.frames.some((f) => f.file === fork && f.line === tagLine(fork, tag)));
    const parent = calledFrom('parent');
    const child = calledFrom('child');
    assert.ok(parent && child, JSON.stringify(report.stalls.map((s) => [s.pid, s.frames.slice(0, 2)])));
    assert.equal(parent.culprit?.line, tagLine(fork, 'block'));
    assert.equal(child.culprit?.line, tagLine(fork, 'block'));
    assert.equal(parent.pid, report.pid);
    assert.notEqual(child.pid, report.pid);
    const childInfo = report.processes?.find((p) => p.pid === child.pid);
    assert.equal(childInfo?.ppid, report.pid);
    assert.equal(report.processes?.length, 2);
    assert.match(r.stderr, /\(2 processes\)/);
    assert.match(r.stderr, new RegExp(`pid ${child.pid}`));
  });
});
