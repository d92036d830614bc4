/**
 * A command run under the probe, hosted here: a ProbeServer on loopback with a token for this run,
 * one Recording that every probe of the command's process tree reports into, and the child process
 * itself. `stallscope run` and `stallscope check` both start their command through it, so the two
 * inject, record and clean up the same way.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { withProbe, type Env } from './probeEnv';
import { ProbeFeed } from './probeFeed';
import { ProbeServer } from './probeServer';
import { Recording } from './recording';
import type { ListeningServer } from '../shared/protocol/model';
import type { RequestContextMode } from '../shared/protocol/options';

export interface ProbeRunOptions {
  command: readonly string[];
  cwd: string;
  env: Env;
  /** dist/probe.js. */
  probePath: string;
  thresholdMs: number;
  stdio: StdioOptions;
  /**
   * Start the command in its own process group, so stop() ends the whole tree (`npm start` ->
   * node server.js). `run` does so only without a terminal: on one, the command must stay in the
   * terminal's foreground group, where Ctrl-C reaches it.
   */
  group?: boolean;
  /** When requests are tracked across awaits (see RequestContextMode). */
  requestContext?: RequestContextMode;
  /** Where the probe server reports refusals. */
  log?: (line: string) => void;
}

export interface ProbeRunExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  atMs: number;
}

/** The command could not be started at all. */
export class SpawnError extends Error {
  override readonly name = 'SpawnError';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export class ProbeRun {
  readonly recording: Recording;
  readonly exited: Promise<ProbeRunExit>;
  private readonly feed: ProbeFeed;

  private constructor(
    readonly server: ProbeServer,
    readonly child: ChildProcess,
    recording: Recording,
    private readonly group: boolean,
  ) {
    this.recording = recording;
    this.feed = new ProbeFeed(server, { recordingFor: () => recording });
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode, atMs: Date.now() });
      else child.once('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() }));
    });
  }

  /** Starts the probe server and the command. Throws SpawnError when the command cannot run. */
  static async start(o: ProbeRunOptions): Promise<ProbeRun> {
    const server = await ProbeServer.start({ log: o.log });
    const token = server.issueToken('run');
    const recording = new Recording({ command: [...o.command], thresholdMs: o.thresholdMs });
    const env = withProbe(o.env, o.probePath, {
      url: server.url,
      token,
      thresholdMs: o.thresholdMs,
      sessionId: randomBytes(8).toString('hex'),
      ...(o.requestContext ? { requestContext: o.requestContext } : {}),
    });
    const [file, ...args] = o.command;
    const child = spawn(file, args, { stdio: o.stdio, env: env as NodeJS.ProcessEnv, cwd: o.cwd, detached: o.group === true && process.platform !== 'win32' });
    // Not events.once: it rejects on 'error', and a missing command is an answer here, not a crash.
    const failed = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (e) => resolve(e));
    });
    if (failed) {
      recording.dispose();
      await server.close();
      const why = failed.code === 'ENOENT' ? `command not found: ${file}` : failed.code === 'EACCES' ? `permission denied: ${file}` : `could not start ${file}: ${failed.message}`;
      throw new SpawnError(why, failed.code);
    }
    const run = new ProbeRun(server, child, recording, o.group === true);
    recording.rootPid = child.pid ?? 0;
    return run;
  }

  /** Processes whose probe is still connected. */
  get connected(): number {
    return this.feed.openProcesses;
  }

  /** The first HTTP server any probed process of the command listens on (resolves undefined on timeout or exit). */
  listening(timeoutMs: number): Promise<ListeningServer | undefined> {
    const known = this.recording.listening[0];
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const done = (s: ListeningServer | undefined) => {
        clearTimeout(timer);
        this.recording.off('listening', done);
        resolve(s);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.recording.on('listening', done);
      void this.exited.then(() => done(this.recording.listening[0]));
    });
  }

  /** Waits (at most `ms`) for the probes' last frames: a stall's end and the final lag arrive before their socket closes. */
  drain(ms: number): Promise<void> {
    return this.feed.drain(ms);
  }

  /** Sends `signal` to the command (its whole process group when started with `group`). */
  kill(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      // The group may outlive its leader (npm exits, its node child stays): signal it regardless.
      if (this.group && process.platform !== 'win32') process.kill(-pid, signal);
      else if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Ends the command: SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited. */
  async stop(graceMs = 3000): Promise<ProbeRunExit> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    // The leader is gone; a member of its group that ignored SIGTERM is not left behind.
    if (this.group) this.kill('SIGKILL');
    return exit;
  }

  async close(): Promise<void> {
    await this.server.close();
    this.feed.dispose();
  }
}
