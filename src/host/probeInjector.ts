/**
 * The debug configuration provider that puts the probe into Node launches (`node`, `pwa-node`,
 * `node-terminal`), and the probe server those launches report to. It runs in
 * resolveDebugConfigurationWithSubstitutedVariables: after js-debug's own resolveDebugConfiguration
 * filled in its defaults (and turned `node` into `pwa-node`), and after `${…}` variables are
 * substituted, so the env we extend is the one js-debug will really use.
 */
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { DEFAULT_THRESHOLD_MS, type ProbeOptions } from '../shared/protocol/options';
import { ProbeServer, type ProbeConnection } from '../core/probeServer';
import { Config, pythonDebugTypes, readConfig } from './contributions';
import { clampThreshold } from '../shared/protocol/options';
import { injectProbe, shouldInject, type LaunchConfig } from './debugConfig';
import { pythonCommandOf } from './pythonDebugConfig';
import type { RecordingHub } from './recordingHub';

export class ProbeInjector implements vscode.DebugConfigurationProvider, vscode.Disposable {
  private server: Promise<ProbeServer> | undefined;
  private detachHub: (() => void) | undefined;
  private readonly tokens = new Map<string, string>(); // stallscope session id -> token
  private readonly connections = new Set<ProbeConnection>();
  private readonly disposables: vscode.Disposable[] = [];
  /** The probe server's URL once it runs (it starts with the first injected launch). */
  url: string | undefined;

  constructor(
    private readonly probePath: string,
    private readonly hub: RecordingHub,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(Config.ThresholdMs)) this.reconfigure();
      }),
    );
  }

  async resolveDebugConfigurationWithSubstitutedVariables(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    const launch = config as LaunchConfig;
    const decision = shouldInject(launch, readConfig(vscode.workspace.getConfiguration(), Config.EnableForAllNodeSessions, false));
    if (!decision.inject) {
      if (launch.stallscope === true) this.log.info(`"${launch.name}": not injecting the probe: ${decision.reason}`);
      return config;
    }
    if (!existsSync(this.probePath)) {
      // Returning undefined cancels the launch: the user asked for the probe, a session without it would mislead.
      void vscode.window.showErrorMessage(`Stallscope: the probe is missing (${this.probePath}). Reinstall the extension, or run \`npm run build\` in a development checkout.`);
      return undefined;
    }
    let server: ProbeServer;
    try {
      server = await this.startServer();
    } catch (e) {
      void vscode.window.showErrorMessage(`Stallscope: could not start the probe server on 127.0.0.1: ${(e as Error).message}`);
      return undefined;
    }
    const sessionId = randomUUID();
    const token = server.issueToken(sessionId);
    this.tokens.set(sessionId, token);
    const thresholdMs = currentThresholdMs();
    this.hub.prepareSession(sessionId, launch.name, commandOf(launch));
    this.log.info(`"${launch.name}": injecting the probe (session ${sessionId}, threshold ${thresholdMs} ms)`);
    // Requests tracked and GC pauses recorded from the start: while debugging, every stall named by
    // its request and its cause is worth more than the microsecond per request that this costs.
    const options = { url: server.url, token, thresholdMs, requestContext: 'always', gc: 'always' } as const;
    return injectProbe(launch, { probePath: this.probePath, sessionId, options }) as vscode.DebugConfiguration;
  }

  /**
   * A probe session outside the debugger (Run Command with Stall Probe): its recording is prepared
   * and shown when a probe connects, like a launch's; the caller ends it with hub.endSession + revoke.
   */
  async openSession(title: string, command: string[]): Promise<{ sessionId: string; options: ProbeOptions }> {
    const server = await this.startServer();
    const sessionId = randomUUID();
    const token = server.issueToken(sessionId);
    this.tokens.set(sessionId, token);
    this.hub.prepareSession(sessionId, title, command);
    this.log.info(`"${title}": a terminal session with the probe (session ${sessionId})`);
    return { sessionId, options: { url: server.url, token, thresholdMs: currentThresholdMs(), requestContext: 'always', gc: 'always', sessionId } };
  }

  /** The session's debug session ended: its token stops admitting new probes. */
  revoke(sessionId: string): void {
    const token = this.tokens.get(sessionId);
    if (token === undefined) return;
    this.tokens.delete(sessionId);
    void this.server?.then((s) => s.revokeToken(token));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.detachHub?.();
    const server = this.server;
    this.server = undefined;
    void server?.then((s) => s.close()).catch(() => undefined);
  }

  private startServer(): Promise<ProbeServer> {
    this.server ??= ProbeServer.start({ log: (line) => this.log.warn(line) }).then(
      (server) => {
        this.url = server.url;
        this.detachHub = this.hub.attach(server);
        server.on('connection', (conn) => {
          this.connections.add(conn);
          this.log.info(`probe connected: pid ${conn.hello.pid} (ppid ${conn.hello.ppid}, ${conn.hello.mode}, ${conn.hello.runtime.name} ${conn.hello.runtime.version}) for session ${conn.key}`);
        });
        server.on('disconnect', (conn) => this.connections.delete(conn));
        this.log.info(`probe server listening on ${server.url}`);
        return server;
      },
      (e: unknown) => {
        this.server = undefined; // let the next launch try again
        throw e;
      },
    );
    return this.server;
  }

  /** The threshold setting changed: running probes pick it up without a restart. */
  private reconfigure(): void {
    const thresholdMs = currentThresholdMs();
    for (const conn of this.connections) conn.send({ type: 'configure', thresholdMs });
  }
}

/** The `stallscope.thresholdMs` setting, clamped to what the probe accepts. */
export function currentThresholdMs(): number {
  return clampThreshold(readConfig(vscode.workspace.getConfiguration(), Config.ThresholdMs, DEFAULT_THRESHOLD_MS));
}

/** A readable command line for the recording's title and report. */
function commandOf(config: LaunchConfig): string[] {
  if (typeof config.command === 'string') return [config.command]; // node-terminal
  if (pythonDebugTypes.includes(config.type)) return pythonCommandOf(config);
  const runtime = typeof config.runtimeExecutable === 'string' ? config.runtimeExecutable : 'node';
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return [runtime, ...strings(config.runtimeArgs), ...(typeof config.program === 'string' ? [config.program] : []), ...strings(config.args)];
}
