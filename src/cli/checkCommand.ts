/**
 * `stallscope check --endpoint 'GET /slow' ... -- <command that starts the server>`: starts the
 * server under the probe, finds its port from the probe, loads each endpoint in turn from its own
 * process while a canary measures the latency a bystander sees, and answers per endpoint:
 * blocking or non-blocking, with the stalls, their culprit lines and the canary's inflation as
 * evidence. The server is always stopped at the end, also on Ctrl-C.
 */
import * as fs from 'node:fs';
import { connect } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { endpointName, parseEndpoint, parseEndpoints, serverUrl, EndpointError, type Endpoint } from '../core/check/endpoint';
import { toCheckJson } from '../core/check/checkJson';
import { toJUnit } from '../core/check/junit';
import { CATCH_UP_LIMIT_S, CheckError, runCheck, type CheckProgress, type CheckResult } from '../core/check/runCheck';
import type { ProbeRun } from '../core/probeRun';
import type { ListeningServer } from '../shared/protocol/model';
import { MAX_THRESHOLD_MS, MIN_THRESHOLD_MS } from '../shared/protocol/options';
import { PROBE_REACH } from '../shared/phrases';
import { formatOptions, parseArgs, thresholdFor, UsageError, type OptionSpec } from './args';
import { formatCheckSummary } from './checkSummary';
import { ExitCode, type CliIo, type Command } from './command';
import { formatDuration, plural } from './format';
import { writeFileAtomic } from './reportFile';
import { finishReport, tryWrite } from './runReport';
import { outputPath, startUnderProbe } from './startUnderProbe';
import { colorEnabled, makeStyle } from './style';

export interface CheckOptions {
  endpoints: Endpoint[];
  canary: Endpoint | null;
  url?: string;
  connections: number;
  durationS: number;
  idleS: number;
  thresholdMs: number;
  budgetMs: number;
  startTimeoutS: number;
  json: boolean;
  junit?: string;
  /** Where to save the stalls seen (the `run --out` report). */
  out?: string;
  catchUpS: number;
  quiet: boolean;
  serverOutput: boolean;
  command: string[];
}

export const CHECK_DEFAULTS = { connections: 10, durationS: 10, idleS: 3, startTimeoutS: 30 } as const;

const OPTIONS: readonly OptionSpec[] = [
  { name: 'endpoint', short: 'e', kind: 'string', arg: "'METHOD /path'", repeatable: true, help: "an endpoint to check, e.g. 'GET /report' (repeat for more; checked in turn)" },
  { name: 'canary', kind: 'string', arg: "'METHOD /path'", help: "a fast endpoint called 20 times a second throughout, e.g. 'GET /health': the latency a bystander sees" },
  { name: 'url', kind: 'string', arg: 'URL', help: 'where the endpoints are (default: the first port the probe sees the server listen on)' },
  { name: 'connections', short: 'c', kind: 'number', arg: 'N', what: 'a number of connections', min: 1, max: 1000, integer: true, help: `concurrent connections of the load (default ${CHECK_DEFAULTS.connections})` },
  { name: 'duration', short: 'd', kind: 'number', arg: 'S', what: 'a number of seconds', min: 1, max: 3600, help: `seconds of load per endpoint (default ${CHECK_DEFAULTS.durationS})` },
  { name: 'idle', kind: 'number', arg: 'S', what: 'a number of seconds', min: 1, max: 600, help: `seconds of canary alone first, for its idle latency (default ${CHECK_DEFAULTS.idleS})` },
  {
    name: 'budget', kind: 'number', arg: 'MS', what: 'a number of milliseconds', min: 0, max: 3_600_000,
    help: 'fail (exit 1, a JUnit failure) an endpoint whose longest stall is over MS (default: the threshold, so any stall fails)',
  },
  {
    name: 'threshold', kind: 'number', arg: 'MS', what: 'a number of milliseconds', min: MIN_THRESHOLD_MS, max: MAX_THRESHOLD_MS,
    help: `the loop blocked at least MS counts as a stall (default 50, or the budget if lower)`,
  },
  {
    name: 'catch-up', kind: 'number', arg: 'S', what: 'a number of seconds', min: 1, max: 3600,
    help: `after each endpoint's load, seconds to wait at most for the server to catch up before the next one (default ${CATCH_UP_LIMIT_S})`,
  },
  { name: 'start-timeout', kind: 'number', arg: 'S', what: 'a number of seconds', min: 1, max: 3600, help: `seconds to wait for the server to listen (default ${CHECK_DEFAULTS.startTimeoutS})` },
  { name: 'json', kind: 'flag', help: 'print the verdicts as JSON on stdout (the table goes to stderr)' },
  { name: 'junit', kind: 'string', arg: 'FILE', help: 'write a JUnit XML file: one test case per endpoint, failed when over the budget' },
  { name: 'out', short: 'o', kind: 'string', arg: 'FILE', help: 'save every stall seen as a JSON report (as `stallscope run --out` writes it)' },
  { name: 'server-output', kind: 'flag', help: "pass the server's stdout and stderr through to stderr (default: shown only if it fails)" },
  { name: 'quiet', short: 'q', kind: 'flag', help: 'no progress lines; the table, errors and the verdicts still print' },
  { name: 'help', short: 'h', kind: 'flag', help: 'show this help' },
];

const USAGE = 'stallscope check';

export function parseCheckArgs(argv: readonly string[]): CheckOptions {
  const { values, rest } = parseArgs(argv, { options: OPTIONS, rest: 'required', usage: USAGE });
  const specs = (values.get('endpoint') as string[] | undefined) ?? [];
  if (!specs.length) throw new UsageError(`give at least one --endpoint 'GET /path' (see ${USAGE} --help)`);
  let endpoints: Endpoint[];
  let canary: Endpoint | null = null;
  try {
    endpoints = parseEndpoints(specs);
    const c = values.get('canary') as string | undefined;
    if (c !== undefined) canary = parseEndpoint(c);
  } catch (e) {
    if (e instanceof EndpointError) throw new UsageError(e.message);
    throw e;
  }
  const url = values.get('url') as string | undefined;
  if (url !== undefined) checkUrl(url);
  const budget = values.get('budget') as number | undefined;
  const thresholdMs = thresholdFor(values.get('threshold') as number | undefined, budget, '--budget');
  return {
    endpoints,
    canary,
    url: url?.replace(/\/+$/, ''),
    connections: (values.get('connections') as number | undefined) ?? CHECK_DEFAULTS.connections,
    durationS: (values.get('duration') as number | undefined) ?? CHECK_DEFAULTS.durationS,
    idleS: (values.get('idle') as number | undefined) ?? CHECK_DEFAULTS.idleS,
    thresholdMs,
    budgetMs: budget ?? thresholdMs,
    startTimeoutS: (values.get('start-timeout') as number | undefined) ?? CHECK_DEFAULTS.startTimeoutS,
    json: values.get('json') === true,
    junit: values.get('junit') as string | undefined,
    out: values.get('out') as string | undefined,
    catchUpS: (values.get('catch-up') as number | undefined) ?? CATCH_UP_LIMIT_S,
    quiet: values.get('quiet') === true,
    serverOutput: values.get('server-output') === true,
    command: rest,
  };
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--url expects a URL such as http://127.0.0.1:3000, got "${url}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url must be http:// or https://, got "${url}"`);
  if (u.search || u.hash) throw new UsageError(`--url takes no query or fragment (put them in --endpoint), got "${url}"`);
}

export function checkHelp(): string {
  return [
    "Usage: stallscope check --endpoint 'GET /path' [--endpoint ...] [options] -- <command that starts the server>",
    '',
    'Answers "is this endpoint blocking the event loop?" by measurement. Starts the server under the',
    'probe, learns its port from the probe, lets a canary call a fast endpoint alone for a few seconds,',
    'then loads each endpoint in turn with autocannon (in its own process, so the server keeps its',
    'core) while the canary goes on. The server is stopped at the end, also on Ctrl-C.',
    '',
    'Verdict: an endpoint is "blocking" when at least one stall (the loop blocked for the threshold or',
    'longer) ran in its own handler while it was under load. Evidence: those stalls (count, max, p99),',
    "their culprit lines, and the canary's p99 under load against its p99 at idle. Its handler: its",
    'requests, matched by path and by the route the framework matched; garbage collection during them',
    'is shown, not counted. After each load the server gets time to catch up (no stall going on, the',
    'canary answering promptly) before the next endpoint, up to --catch-up seconds.',
    '',
    'Options:',
    formatOptions(OPTIONS),
    '',
    'Exit status: 0 every endpoint within the budget; 1 an endpoint over the budget; 2 bad usage, a',
    'server that never listens or exits early, or an endpoint that answers errors (not 2xx/3xx) or',
    'refuses connections; 130 interrupted; 125 stallscope itself failed; 126/127 command not executable/not found.',
    '',
    'Examples:',
    "  stallscope check -e 'GET /report' -e 'POST /orders' --canary 'GET /health' -- node server.js",
    "  stallscope check -e 'GET /search?q=x' --budget 100 --junit stallscope.xml --out stalls.json -- npm start",
    '',
  ].join('\n');
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'load endpoints one by one; blocking or not, with culprits, canary latency and a CI budget',
  help: checkHelp,
  main: (argv, io) => checkWithProbe(parseCheckArgs(argv), io),
};

/** Exit codes besides ExitCode: a check cut short by a signal, as a shell reports it. */
const INTERRUPTED = 128 + os.constants.signals.SIGINT;
const SERVER_OUTPUT_TAIL = 2000;
const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function checkWithProbe(opts: CheckOptions, io: CliIo): Promise<number> {
  const err = (line: string) => io.stderr.write(`stallscope: ${line}\n`);
  const say = (line: string) => opts.quiet || err(line);
  const workerScript = io.checkWorkerPath ?? path.join(path.dirname(io.probePath), 'checkWorker.js');
  for (const [file, what] of [[io.probePath, 'probe'], [workerScript, 'check worker']] as const) {
    if (!fs.existsSync(file)) {
      err(`the ${what} bundle is missing (${file}); build it with: npm run build`);
      return ExitCode.internal;
    }
  }
  const junitPath = outputPath(opts.junit, io, err, { option: '--junit', what: 'the JUnit file', example: 'stallscope.xml' });
  if (junitPath === false) return ExitCode.usage;
  const outPath = outputPath(opts.out, io, err);
  if (outPath === false) return ExitCode.usage;
  const run = await startUnderProbe(opts.command, opts.thresholdMs, io, err, {
    stdio: ['ignore', 'pipe', 'pipe'],
    group: true,
    // A verdict rests on which endpoint's handler stalled: every stall must be named, the first too.
    requestContext: 'always',
  });
  if (typeof run === 'number') return run;
  let output = '';
  for (const stream of [run.child.stdout, run.child.stderr]) {
    stream?.on('data', (d: Buffer) => {
      if (opts.serverOutput) io.stderr.write(d);
      output = (output + d.toString()).slice(-SERVER_OUTPUT_TAIL);
    });
  }
  const serverTail = () => (output.trim() && !opts.serverOutput ? `; its last output:\n${indent(output.trim())}` : '');

  // The server runs in its own process group (so the terminal's Ctrl-C reaches us, not it): if this
  // process dies without reaching the `finally` below, nothing else would stop it.
  const lastResort = () => run.kill('SIGKILL');
  process.once('exit', lastResort);
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) run.kill('SIGKILL'); // a second Ctrl-C: do not wait for a graceful stop
    interrupted = true;
    controller.abort(new CheckError(`interrupted (${signal}); stopping the server`, 'aborted'));
  };
  for (const s of INTERRUPT_SIGNALS) process.on(s, onSignal);
  let listening = false;
  void run.exited.then((x) => {
    const when = listening ? 'during the check' : 'before it listened on a port';
    controller.abort(new CheckError(`the server exited (${x.signal ?? `code ${x.code}`}) ${when}${serverTail()}`, 'aborted'));
  });

  try {
    const server = await waitForServer(run, opts, controller.signal);
    listening = true;
    if (!opts.url && !server) throw new CheckError('the server did not say where it listens; give --url', 'endpoint');
    const baseUrl = opts.url ?? serverUrl(server!);
    say(`server listening on ${baseUrl} (pid ${server?.pid ?? run.child.pid})`);
    const result = await runCheck(
      {
        baseUrl,
        endpoints: opts.endpoints,
        canary: opts.canary,
        connections: opts.connections,
        durationS: opts.durationS,
        idleS: opts.idleS,
        thresholdMs: opts.thresholdMs,
        budgetMs: opts.budgetMs,
        catchUpLimitS: opts.catchUpS,
      },
      {
        workerScript,
        env: io.env,
        stalls: () => run.recording.stalls,
        lag: () => run.recording.lagSamples,
        signal: controller.signal,
        progress: (p) => say(progressLine(p, opts)),
      },
    );
    return report(result, opts, io, junitPath, err);
  } catch (e) {
    if (!(e instanceof CheckError)) throw e;
    err(e.message);
    if (interrupted) return INTERRUPTED;
    // Our own load generator failing is stallscope's fault, not the server's.
    return e.reason === 'worker' ? ExitCode.internal : ExitCode.usage;
  } finally {
    for (const s of INTERRUPT_SIGNALS) process.off(s, onSignal);
    const exit = await run.stop();
    process.off('exit', lastResort);
    if (outPath) {
      await run.drain(1000);
      const code = exit.signal ? 128 + (os.constants.signals[exit.signal] ?? 0) : (exit.code ?? 0);
      const written = tryWrite(outPath, finishReport(run.recording, run.server, Date.now(), code), err);
      if (written) say(`report  ${written}`);
    }
    await run.close();
    run.recording.dispose();
  }
}

function report(result: CheckResult, opts: CheckOptions, io: CliIo, junitPath: string | undefined, err: (line: string) => void): number {
  let written: string | undefined;
  if (junitPath) {
    try {
      writeFileAtomic(junitPath, toJUnit(result));
      written = junitPath;
    } catch (e) {
      err(`could not write the JUnit file ${junitPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const human = opts.json ? io.stderr : io.stdout;
  human.write(
    formatCheckSummary(result, {
      cwd: io.cwd,
      style: makeStyle(colorEnabled(human, io.env)),
      durationS: opts.durationS,
      connections: opts.connections,
      junitPath: written,
    }),
  );
  if (opts.json) io.stdout.write(`${JSON.stringify(toCheckJson(result), null, 2)}\n`);
  if (result.endpoints.some((e) => e.error) || (junitPath && !written)) return ExitCode.usage;
  return result.endpoints.some((e) => e.overBudget) ? ExitCode.stallOverBudget : ExitCode.ok;
}

function progressLine(p: CheckProgress, o: CheckOptions): string {
  switch (p.kind) {
    case 'preflight':
      return `trying each endpoint once`;
    case 'idle':
      return o.canary ? `canary ${endpointName(o.canary)} alone for ${p.durationS} s` : `settling for ${p.durationS} s (no canary)`;
    case 'endpoint':
      return `[${p.index + 1}/${p.total}] ${endpointName(p.endpoint)}: ${plural(o.connections, 'connection')} for ${p.durationS} s`;
    case 'catchingUp':
      return `      ${endpointName(p.endpoint)}: waiting for the server to catch up with its load (${p.pending}; at most ${o.catchUpS} s)`;
    case 'endpointDone': {
      const r = p.result;
      const evidence = r.stalls.length ? `${plural(r.stalls.length, 'stall')}, max ${formatDuration(r.maxStallMs)}` : 'no stall';
      return `      ${endpointName(r.endpoint)}: ${r.verdict} (${evidence}${r.load ? `, ${plural(r.load.requests, 'request')}` : ''})`;
    }
  }
}

/**
 * The probe's first listening HTTP server, or with --url, the URL accepting connections once a probe
 * said hello (the port the probe saw may be behind a proxy the URL points at).
 */
async function waitForServer(run: ProbeRun, o: CheckOptions, signal: AbortSignal): Promise<ListeningServer | undefined> {
  const deadline = Date.now() + o.startTimeoutS * 1000;
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const seen = run.recording.listening[0];
    if (seen) return seen;
    if (o.url && run.recording.processes.length && (await accepts(o.url))) return undefined;
    if (Date.now() > deadline) {
      throw new CheckError(
        run.recording.processes.length
          ? `the server did not listen on an HTTP port within ${o.startTimeoutS} s (--start-timeout)`
          : `no process of "${o.command.join(' ')}" reported within ${o.startTimeoutS} s: ${PROBE_REACH}`,
        'endpoint',
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function accepts(url: string): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
    socket.setTimeout(1000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
