/**
 * `stallscope run [options] -- <command ...>`: runs a command with the probe injected, hosts the
 * probe's websocket on loopback with a per-run token, records everything into one Recording, and
 * behaves like the command itself towards the caller: same stdio, same exit code, signals forwarded.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProbeServer } from '../core/probeServer';
import type { Recording } from '../core/recording';
import { DEFAULT_THRESHOLD_MS, MAX_THRESHOLD_MS, MIN_THRESHOLD_MS, type Report } from '../shared/protocol';
import { formatOptions, parseArgs, thresholdFor, type OptionSpec } from './args';
import { ExitCode, type CliIo, type Command } from './command';
import { serializeReport, writeFileAtomic } from './reportFile';
import { outputPath, startUnderProbe } from './startUnderProbe';
import { formatSummary, stallsOverBudget } from './summary';
import { colorEnabled, makeStyle } from './style';

export interface RunOptions {
  thresholdMs: number;
  out?: string;
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
    'NODE_OPTIONS), records each event-loop stall with its source line and handler, and prints the top',
    'culprits when the command exits. stdio, signals and the exit code are passed through.',
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
  const run = await startUnderProbe(opts.command, opts.thresholdMs, io, err, { stdio: 'inherit', requestContext: opts.trackRequests ? 'always' : 'on-demand' });
  if (typeof run === 'number') return run;
  const { child, server, recording: rec } = run;
  const startedMs = Date.now();

  const snapshot = () => {
    // On an interrupt the report is written at once too: if the command then hangs and is killed
    // harder, what was recorded up to the signal is already on disk.
    if (outPath) tryWrite(outPath, finishReport(rec, server, Date.now(), undefined), err);
  };
  let ttyInterrupts = 0;
  const forward = (signal: NodeJS.Signals) => {
    // Ctrl-C in a terminal signals the whole foreground process group, the command included: sending it
    // a second SIGINT would turn a graceful `process.once('SIGINT')` shutdown into a hard kill. So the
    // first SIGINT is not repeated when we sit on a terminal; a SIGINT sent to stallscope alone
    // (kill -INT, a CI runner, no terminal) is forwarded, like SIGTERM and SIGHUP always are.
    const fromTerminal = signal === 'SIGINT' && io.stdinIsTTY === true && ttyInterrupts++ === 0;
    if (!fromTerminal && child.exitCode === null && child.signalCode === null) child.kill(signal);
    snapshot();
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  const exit = await run.exited;
  for (const s of FORWARDED_SIGNALS) process.off(s, forward);
  const endedMs = exit.atMs;

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

/** Closes what is still open and returns the report (the recording stays usable for a later call). */
function finishReport(rec: Recording, server: ProbeServer, endedMs: number, exitCode: number | undefined): Report {
  if (exitCode !== undefined) {
    // A process whose probe never said goodbye (killed, or the drain timed out) ended with the run;
    // its ongoing stalls are closed at that time.
    for (const p of rec.processes) if (p.endedAtMs === undefined) rec.endProcess(p.pid, endedMs);
    rec.exitCode = exitCode;
    rec.endedAt = new Date(endedMs);
  }
  rec.flush();
  const report = rec.toReport();
  // Frames the host refused are lost data too; the report counts them with the probes' own drops.
  report.dropped = rec.dropped + server.refusals['bad-frame'] + server.refusals['oversized-frame'];
  return report;
}

function tryWrite(file: string, report: Report, err: (line: string) => void): string | undefined {
  try {
    writeFileAtomic(file, serializeReport(report));
    return file;
  } catch (e) {
    // Losing the recording to a full disk or a vanished folder is worse than a report in an odd place.
    const fallback = path.join(os.tmpdir(), `stallscope-report-${process.pid}.json`);
    try {
      writeFileAtomic(fallback, serializeReport(report));
      err(`could not write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the report is in ${fallback}`);
      return fallback;
    } catch {
      err(`could not write the report to ${file}: ${(e as Error).message}`);
      return undefined;
    }
  }
}
