import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { UsageError } from '../../src/cli/args';
import type { CliIo } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { parseRunArgs } from '../../src/cli/runCommand';

function usage(argv: string[]): string {
  try {
    parseRunArgs(argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(argv)} to be refused`);
}

test('defaults, and everything after -- is the command, untouched', () => {
  const o = parseRunArgs(['--', 'node', '--threshold', '5', '--', 'x', '-q']);
  assert.deepEqual(o, { thresholdMs: 50, out: undefined, failOnStallMs: undefined, json: false, quiet: false, trackRequests: false, command: ['node', '--threshold', '5', '--', 'x', '-q'] });
});

test('every option, in both --name value and --name=value forms', () => {
  const o = parseRunArgs(['--threshold', '20', '--out=r.json', '--fail-on-stall=100', '--json', '-q', '--track-requests', '--', 'npm', 'start']);
  assert.deepEqual(o, { thresholdMs: 20, out: 'r.json', failOnStallMs: 100, json: true, quiet: true, trackRequests: true, command: ['npm', 'start'] });
  assert.equal(parseRunArgs(['-o', 'x.json', '--', 'a']).out, 'x.json');
  assert.equal(parseRunArgs(['--threshold', '12.5', '--', 'a']).thresholdMs, 12.5);
});

test('--fail-on-stall lowers the default threshold so the stalls it is about are measured', () => {
  assert.equal(parseRunArgs(['--fail-on-stall', '20', '--', 'a']).thresholdMs, 20);
  assert.equal(parseRunArgs(['--fail-on-stall', '0', '--', 'a']).thresholdMs, 10);
  assert.equal(parseRunArgs(['--fail-on-stall', '500', '--', 'a']).thresholdMs, 50);
  assert.equal(parseRunArgs(['--threshold', '30', '--fail-on-stall', '40', '--', 'a']).thresholdMs, 30);
});

test('each mistake has its own clear message', () => {
  const cases: [string[], string][] = [
    [['--thresold', '20', '--', 'a'], 'unknown option --thresold (see stallscope run --help)'],
    [['-x', '--', 'a'], 'unknown option -x (see stallscope run --help)'],
    [['-xyz', '--', 'a'], 'unknown option -xyz (see stallscope run --help)'],
    [['--threshold', 'fast', '--', 'a'], '--threshold expects a number of milliseconds, got "fast"'],
    [['--threshold', '', '--', 'a'], '--threshold expects a number of milliseconds, got ""'],
    [['--threshold', '0x20', '--', 'a'], '--threshold expects a number of milliseconds, got "0x20"'],
    [['--threshold', '-20', '--', 'a'], '--threshold expects a number of milliseconds, got "-20"'],
    [['--threshold', '5', '--', 'a'], '--threshold must be between 10 and 60000, got 5'],
    [['--threshold', '60001', '--', 'a'], '--threshold must be between 10 and 60000, got 60001'],
    [['--threshold'], '--threshold expects a number of milliseconds (MS)'],
    [['--threshold', '--', 'a'], '--threshold expects a number of milliseconds (MS)'],
    [['--fail-on-stall', 'soon', '--', 'a'], '--fail-on-stall expects a number of milliseconds, got "soon"'],
    [['--threshold', '50', '--fail-on-stall', '20', '--', 'a'], '--fail-on-stall 20 is below --threshold 50: stalls shorter than the threshold are not measured'],
    [['--out', '--', 'a'], '--out expects a value (FILE)'],
    [['--out=', '--', 'a'], '--out expects a value (FILE), got an empty string'],
    [['--out', 'a.json', '--out', 'b.json', '--', 'a'], '--out given twice'],
    [['--json=yes', '--', 'a'], '--json takes no value'],
    [['node', 'app.js'], 'missing -- before the command: stallscope run [options] -- node ...'],
    [['--json'], 'missing -- <command>: stallscope run [options] -- node app.js'],
    [[], 'missing -- <command>: stallscope run [options] -- node app.js'],
    [['--'], 'missing command after --: stallscope run [options] -- node app.js'],
    [['--', ''], 'missing command after --: stallscope run [options] -- node app.js'],
  ];
  for (const [argv, message] of cases) assert.equal(usage(argv), message, JSON.stringify(argv));
});

function io(): CliIo & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { stdout, stderr, env: {}, cwd: '/', probePath: '/nonexistent/probe.js', out: () => out, err: () => err };
}

test('the top level: help, version, unknown commands, help of a command', async () => {
  let t = io();
  assert.equal(await main([], t), 2);
  assert.match(t.err(), /Usage:\n {2}stallscope run \[options\] -- <command \.\.\.>/);

  t = io();
  assert.equal(await main(['--version'], t), 0);
  assert.match(t.out(), /^\d+\.\d+\.\d+\n$/);

  t = io();
  assert.equal(await main(['frobnicate'], t), 2);
  assert.equal(t.err(), 'stallscope: unknown command "frobnicate" (commands: run, check; see stallscope --help)\n');

  t = io();
  assert.equal(await main(['--frobnicate'], t), 2);
  assert.equal(t.err(), 'stallscope: unknown option --frobnicate (see stallscope --help)\n');

  t = io();
  assert.equal(await main(['run', '--help'], t), 0);
  assert.match(t.out(), /--fail-on-stall MS/);
  t = io();
  assert.equal(await main(['help', 'run'], t), 0);
  assert.match(t.out(), /^Usage: stallscope run/);
  t = io();
  assert.equal(await main(['check', '--help'], t), 0);
  assert.match(t.out(), /^Usage: stallscope check --endpoint 'GET \/path'/);
  assert.match(t.out(), /Verdict: an endpoint is "blocking" when at least one stall \(the loop blocked for the threshold or\nlonger\) ran in its own handler while it was under load\./);
  t = io();
  assert.equal(await main(['--help'], t), 0);
  assert.match(t.out(), /\n {2}check +load endpoints one by one/);

  // After `--`, --help belongs to the user's command: here it reaches the run (and its missing probe).
  t = io();
  assert.equal(await main(['run', '--', 'node', '--help'], t), 125);
  assert.match(t.err(), /the probe bundle is missing \(\/nonexistent\/probe\.js\); build it with: npm run build/);

  t = io();
  assert.equal(await main(['run', '--threshold', 'x', '--', 'node'], t), 2);
  assert.equal(t.err(), 'stallscope: --threshold expects a number of milliseconds, got "x"\n');
});
