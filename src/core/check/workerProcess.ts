/**
 * The engine's handle on one dist/checkWorker.js process: typed messages over IPC, and a stop that
 * always ends the process (politely, then SIGKILL). The worker gets a clean environment: no
 * NODE_OPTIONS, so the probe a user injected elsewhere never loads into our own load generator.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Env } from '../probeEnv';
import { isFromWorker, type FromWorker, type ToWorker } from './workerProtocol';

const STOP_GRACE_MS = 1000;

export interface WorkerProcessEvents {
  message: [msg: FromWorker];
  /** The process ended; `expected` when stop() asked for it. */
  exit: [detail: { code: number | null; signal: NodeJS.Signals | null; expected: boolean; stderr: string }];
}

export interface WorkerProcessOptions {
  script: string;
  /** The node binary (the extension host's process.execPath may be Electron, which needs ELECTRON_RUN_AS_NODE). */
  nodePath?: string;
  env?: Env;
}

export class WorkerProcess extends EventEmitter<WorkerProcessEvents> {
  private readonly child: ChildProcess;
  private stopping = false;
  private stderr = '';
  readonly exited: Promise<void>;

  constructor(o: WorkerProcessOptions) {
    super();
    const env: Env = { ...(o.env ?? process.env) };
    for (const k of Object.keys(env)) if (k.toUpperCase() === 'NODE_OPTIONS' || k === 'STALLSCOPE_OPTIONS') delete env[k];
    this.child = fork(o.script, [], {
      execPath: o.nodePath ?? process.execPath,
      execArgv: [],
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.child.on('message', (m: unknown) => {
      if (isFromWorker(m)) this.emit('message', m);
    });
    // A fork that cannot start (a missing node) reports 'error' and maybe no 'exit'.
    this.child.on('error', (e) => (this.stderr += `\n${e.message}`));
    this.exited = new Promise((resolve) => {
      const end = (code: number | null, signal: NodeJS.Signals | null) => {
        this.emit('exit', { code, signal, expected: this.stopping, stderr: this.stderr.trim() });
        resolve();
      };
      this.child.once('exit', end);
      this.child.once('error', () => this.child.exitCode === null && this.child.pid === undefined && end(null, null));
    });
  }

  send(msg: ToWorker): void {
    if (this.child.connected) this.child.send(msg);
  }

  /** Asks the worker to stop, and kills it if it does not go within a second. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort (process exit paths): the worker also exits by itself when its channel closes. */
  kill(): void {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
