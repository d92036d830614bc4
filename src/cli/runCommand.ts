/**
 * `stallscope run [options] -- <command ...>`: runs a command with the probe injected, hosts the
 * probe's websocket on loopback with a per-run token, records everything into one Recording, and
 * behaves like the command itself towards the caller: same stdio, same exit code, signals forwarded.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Stall } from '../shared/protocol/model';
import { DEFAULT_THRESHOLD_MS, MAX_THRESHOLD_MS, MIN_THRESHOLD_MS } from '../shared/protocol/options';
import { blockedNowText } from '../shared/phrases';
import { formatOptions, parseArgs, thresholdFor, type OptionSpec } from './args';
import { ExitCode, type CliIo, type Command } from './command';
import { serializeReport } from './reportFile';
import { tryWriteHtmlReport } from '../report/htmlReport';
import { finishReport, tryWrite } from './runReport';
import { outputPath, startUnderProbe } from './startUnderProbe';
import { formatSummary, stallsOverBudget } from './summary';
import { descendantTree, groupTree, treeEnded, type ProcessTree } from './processTree';
import { plural } from './format';
import { colorEnabled, makeStyle } from './style';

export interface RunOptions {
  thresholdMs: number;
  out?: string;
  /** A standalone HTML report (src/report/htmlReport.ts). */
  html?: string;
  failOnStallMs?: number;
  json: boolean;
  quiet: boolean;
  /** Track every request across awaits from the start (else from the first stall that needs it). */
  trackRequests: boolean;
  command: string[];
}

const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'threshold', kind: 'number', arg: 'MS', what: 'a number of milliseconds', min: MIN_THRESHOLD_MS, max: MAX_THRESHOLD_MS,
    help: `report stalls of at least MS milliseconds (${MIN_THRESHOLD_MS}..${MAX_THRESHOLD_MS}, default ${DEFAULT_THRESHOLD_MS})`,
  },
  { name: 'out', short: 'o', kind: 'string', arg: 'FILE', help: 'write the JSON report to FILE when the command exits or is interrupted' },
  { name: 'html', kind: 'string', arg: 'FILE', help: 'write a standalone HTML report to FILE when the command exits (timeline, stalls, stacks; opens offline in any browser)' },
  {
    name: 'fail-on-stall', kind: 'number', arg: 'MS', what: 'a number of milliseconds', min: 0, max: 3_600_000,
    help: 'exit 1 if any stall is longer than MS (the CI assertion "this must not block")',
  },
  { name: 'json', kind: 'flag', help: 'print the JSON report on stdout (the summary stays on stderr)' },
  {
    name: 'track-requests', kind: 'flag',
    help: 'track requests across awaits from the start, so even the first stall after an await is named (~5 % CPU on Node 20)',
  },
  { name: 'quiet', short: 'q', kind: 'flag', help: 'no summary; errors and refusals are still printed' },
  { name: 'help', short: 'h', kind: 'flag', help: 'show this help' },
];

const USAGE = 'stallscope run';

export function parseRunArgs(argv: readonly string[]): RunOptions {
  const { values, rest } = parseArgs(argv, { options: OPTIONS, rest: 'required', usage: USAGE });
  const failOnStallMs = values.get('fail-on-stall') as number | undefined;
  return {
    thresholdMs: thresholdFor(values.get('threshold') as number | undefined, failOnStallMs, '--fail-on-stall'),
    out: values.get('out') as string | undefined,
    // Only when given: the options object stays the same shape for runs without it.
    ...(values.get('html') !== undefined ? { html: values.get('html') as string } : {}),
    failOnStallMs,
    json: values.get('json') === true,
    quiet: values.get('quiet') === true,
    trackRequests: values.get('track-requests') === true,
    command: rest,
  };
}

export function runHelp(): string {
  return [
    'Usage: stallscope run [options] -- <command ...>',
    '',
    'Runs the command with the Stallscope probe loaded into every Node.js process it starts (through',
    'NODE_OPTIONS) and every Python asyncio program (through PYTHONPATH), records each event-loop stall',
    'with its source line and handler, and prints the top culprits when the command exits. stdio,',
    'signals and the exit code are passed through.',
    '',
    'Options:',
    formatOptions(OPTIONS),
    '',
    'Exit status: the command\'s own; 128+N if it died of signal N; 1 if --fail-on-stall was exceeded',
    '(and the command itself succeeded); 2 bad usage; 125 stallscope failed; 126 not executable; 127 not found.',
    '',
    'Examples:',
    '  stallscope run -- node server.js',
    '  stallscope run --out stalls.json --threshold 20 -- npm start',
    '  stallscope run --fail-on-stall 100 -- node --test test/api.test.js',
    '',
  ].join('\n');
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run a command under the probe; summary on exit, optional JSON report and CI budget',
  help: runHelp,
  main: (argv, io) => runWithProbe(parseRunArgs(argv), io),
};

/** How long to wait, after the command exited, for probes still connected (grandchildren, last frames). */
const DRAIN_MS = 1500;
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function runWithProbe(opts: RunOptions, io: CliIo): Promise<number> {
  const err = (line: string) => io.stderr.write(`stallscope: ${line}\n`);
  if (!fs.existsSync(io.probePath)) {
    err(`the probe bundle is missing (${io.probePath}); build it with: npm run build`);
    return ExitCode.internal;
  }
  const outPath = outputPath(opts.out, io, err);
  if (outPath === false) return ExitCode.usage;
  const htmlPath = outputPath(opts.html, io, err);
  if (htmlPath === false) return ExitCode.usage;
  // Without a terminal nothing signals the command's tree for us: it gets a process group of its own,
  // so every signal reaches all of it (npm, its `sh -c`, the server) and an orphan is still found.
  // On a terminal it stays in the foreground group, where Ctrl-C (and Ctrl-Z) reach it directly.
  const group = io.stdinIsTTY !== true && process.platform !== 'win32';
  const run = await startUnderProbe(opts.command, opts.thresholdMs, io, err, { stdio: 'inherit', group, requestContext: opts.trackRequests ? 'always' : 'on-demand' });
  if (typeof run === 'number') return run;
  const { child, server, recording: rec } = run;
  const startedMs = Date.now();
  const rootPid = child.pid ?? 0;
  const tree = group
    ? groupTree(rootPid)
    : descendantTree(rootPid, () => rec.processes.filter((p) => p.endedAtMs === undefined).map((p) => p.pid));

  const snapshot = () => {
    // On an interrupt the report is written at once too: if the command then hangs and is killed
    // harder, what was recorded up to the signal is already on disk.
    if (outPath) tryWrite(outPath, finishReport(rec, server, Date.now(), undefined), err);
  };
  let ttyInterrupts = 0;
  let stopping = false;
  let stuckTold = false;
  let stuckTimer: NodeJS.Timeout | undefined;
  const forward = (signal: NodeJS.Signals) => {
    if (stuckTold) {
      // Asked again after being told the command does not stop: the user means it.
      err('killing the command (SIGKILL)');
      tree.signal('SIGKILL');
      return;
    }
    stuckTimer ??= setTimeout(() => {
      stuckTold = true;
      err(stuckText(signal, rec.stalls, Date.now()));
    }, STUCK_AFTER_MS);
    // Ctrl-C in a terminal signals the whole foreground process group, the command included: sending it
    // a second SIGINT would turn a graceful `process.once('SIGINT')` shutdown into a hard kill. So the
    // first SIGINT is not repeated when we sit on a terminal; a SIGINT sent to stallscope alone
    // (kill -INT, a CI runner, no terminal) is forwarded to the whole tree, like SIGTERM and SIGHUP always are.
    const fromTerminal = signal === 'SIGINT' && io.stdinIsTTY === true && ttyInterrupts++ === 0;
    stopping = true;
    if (!fromTerminal) tree.signal(signal);
    snapshot();
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  // Should stallscope itself fail before the tree ended, it still takes the tree with it.
  const lastResort = () => tree.signal('SIGKILL');
  process.once('exit', lastResort);
  const exit = await run.exited;
  clearTimeout(stuckTimer);
  // The leader's exit is not the tree's: npm may be gone while its server still holds the port.
  const lingered = await endTree(tree, () => stopping, err);
  process.off('exit', lastResort);
  for (const s of FORWARDED_SIGNALS) process.off(s, forward);
  const endedMs = lingered ? Date.now() : exit.atMs;

  // The probes' last frames (a stall's end, the final lag batch) arrive before their socket closes.
  await run.drain(DRAIN_MS);
  await run.close();

  let code = exit.signal ? 128 + (os.constants.signals[exit.signal] ?? 0) : exit.code ?? 0;
  const probeDropped = rec.dropped;
  const report = finishReport(rec, server, endedMs, code);
  const over = opts.failOnStallMs === undefined ? [] : stallsOverBudget(report.stalls, opts.failOnStallMs);
  if (over.length && code === 0) code = ExitCode.stallOverBudget;

  let written: string | undefined;
  if (outPath) written = tryWrite(outPath, report, err);
  if (htmlPath) tryWriteHtmlReport(htmlPath, report, path.dirname(io.probePath), err);
  if (opts.json) io.stdout.write(serializeReport(report, io.stdout.isTTY === true));
  if (!opts.quiet) {
    io.stderr.write(
      formatSummary(report, {
        cwd: io.cwd,
        style: makeStyle(colorEnabled(io.stderr, io.env)),
        wallMs: endedMs - startedMs,
        thresholdMs: opts.thresholdMs,
        reportPath: written,
        refusedConnections: server.refusals['bad-token'] + server.refusals['unsupported-version'] + server.refusals['hello-timeout'],
        refusedFrames: server.refusals['bad-frame'] + server.refusals['oversized-frame'],
        probeDropped,
        failOnStallMs: opts.failOnStallMs,
      }),
    );
  } else if (over.length) {
    err(`${over.length} stall(s) longer than ${opts.failOnStallMs} ms (--fail-on-stall); the longest: ${Math.round(over[0].durationMs)} ms`);
  }
  rec.dispose();
  return code;
}

/** How long the command gets to exit after an interrupt before stallscope says what holds it and how to force it. */
const STUCK_AFTER_MS = 3000;

/**
 * The command did not exit after `signal`: the stall going on, if one is (a loop blocked in a call
 * cannot run its signal handler: uvicorn's, a Node server's graceful shutdown), and how to force it.
 */
export function stuckText(signal: NodeJS.Signals, stalls: readonly Stall[], nowMs: number): string {
  const why = blockedNowText(stalls, nowMs);
  return `the command has not exited ${STUCK_AFTER_MS / 1000} s after ${signal}${why ? `; ${why}` : ''}. Interrupt again (Ctrl-C) to kill it.`;
}

/** How long the command's remaining processes get to exit after a signal before they are killed. */
const TREE_GRACE_MS = 5000;

/**
 * Once the command's first process exited, waits for the rest of its tree: stopped (SIGTERM) if
 * nothing stopped it yet, killed (SIGKILL, said on stderr) if it outlives the grace period, so
 * `run` never returns while the tree lives nor leaves a process behind. True if some process lingered.
 */
async function endTree(tree: ProcessTree, stopping: () => boolean, err: (line: string) => void): Promise<boolean> {
  const left = tree.alive();
  if (!left.length) return false;
  if (!stopping()) {
    err(`the command exited but left ${plural(left.length, 'process', 'processes')} running (pid ${left.join(', ')}); stopping ${left.length === 1 ? 'it' : 'them'} (SIGTERM)`);
    tree.signal('SIGTERM');
  }
  if (await treeEnded(tree, TREE_GRACE_MS)) return true;
  const stuck = tree.alive();
  tree.signal('SIGKILL');
  err(`${plural(stuck.length, 'process', 'processes')} of the command still running ${TREE_GRACE_MS / 1000} s after it was stopped (pid ${stuck.join(', ')}): killed (SIGKILL)`);
  await treeEnded(tree, 2000);
  return true;
}
