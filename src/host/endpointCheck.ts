/**
 * `Stallscope: Check Endpoints`: the CLI's `stallscope check`, run against the server of the live
 * probe session on screen. The session's recording already receives the server's stalls and knows
 * its port (the probe's `listening` message), so the command only asks for the endpoints (the last
 * ones are remembered per workspace), runs the same engine with a cancellable progress
 * notification, and shows the verdicts in the timeline next to the stalls they caused.
 */
import * as vscode from 'vscode';
import type { Recording } from '../core/recording';
import { EndpointError, parseEndpoint, parseEndpointList, serverUrl, type Endpoint } from '../core/check/endpoint';
import { CheckError, runCheck, type CheckSettings } from '../core/check/runCheck';
import { resultView, runningView } from '../core/check/checkView';
import type { CanaryStats, EndpointResult } from '../core/check/verdict';
import type { CheckView } from '../shared/protocol/webviewMessages';
import { Config, readConfig } from './contributions';
import { currentThresholdMs } from './probeInjector';
import { proposeEndpoints } from './endpointProposal';
import type { RecordingHub } from './recordingHub';

const LAST_ENDPOINTS = 'stallscope.check.lastEndpoints';
const LAST_CANARY = 'stallscope.check.lastCanary';
const IDLE_S = 3;

/** Where the verdicts go (the timeline panel). */
export interface CheckDisplay {
  showCheck(recording: Recording, view: CheckView): void;
}

export class EndpointCheck {
  private running: AbortController | undefined;
  /** The last check's final view (for the test API). */
  last: CheckView | undefined;

  constructor(
    private readonly hub: RecordingHub,
    private readonly display: CheckDisplay,
    private readonly state: vscode.Memento,
    private readonly workerScript: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async run(endpointsArg?: string, canaryArg?: string | null): Promise<CheckView | undefined> {
    const rec = this.hub.current;
    const server = rec?.live ? rec.listening[0] : undefined;
    if (!rec?.live) {
      void vscode.window.showErrorMessage('Stallscope: Check Endpoints needs a running server: start it with "Stallscope: Debug with Stall Probe" first.');
      return undefined;
    }
    if (!server) {
      void vscode.window.showErrorMessage('Stallscope: the probe session has no HTTP server listening yet. Check again once the server is up.');
      return undefined;
    }
    if (this.running) {
      void vscode.window.showWarningMessage('Stallscope: a check is already running.');
      return undefined;
    }
    const asked = await this.ask(endpointsArg, canaryArg, rec);
    if (!asked) return undefined;
    const thresholdMs = rec.options.thresholdMs ?? currentThresholdMs();
    const config = vscode.workspace.getConfiguration();
    const settings: CheckSettings = {
      baseUrl: serverUrl(server),
      endpoints: asked.endpoints,
      canary: asked.canary,
      connections: readConfig(config, Config.CheckConnections, 10),
      durationS: readConfig(config, Config.CheckDurationSeconds, 10),
      idleS: IDLE_S,
      thresholdMs,
      budgetMs: thresholdMs,
    };
    return this.execute(rec, settings);
  }

  private async ask(endpointsArg: string | undefined, canaryArg: string | null | undefined, rec: Recording): Promise<{ endpoints: Endpoint[]; canary: Endpoint | null } | undefined> {
    // What this session's probe saw comes first; the last check's input where it saw nothing yet.
    const seen = proposeEndpoints(rec.stalls);
    const endpointsText =
      endpointsArg ??
      (await vscode.window.showInputBox({
        title: 'Stallscope: Check Endpoints (1/2)',
        prompt: 'Endpoints to load one after another, e.g. GET /report, POST /orders',
        value: seen.endpoints || (this.state.get<string>(LAST_ENDPOINTS) ?? ''),
        ignoreFocusOut: true,
        validateInput: (v) => problem(() => parseEndpointList(v)),
      }));
    if (endpointsText === undefined) return undefined;
    const canaryText =
      canaryArg !== undefined
        ? (canaryArg ?? '')
        : await vscode.window.showInputBox({
            title: 'Stallscope: Check Endpoints (2/2)',
            prompt: 'Canary: a fast endpoint of this app called 20 times a second throughout; it is asked first, before any load (empty: none)',
            value: seen.canary || (seen.endpoints ? '' : (this.state.get<string>(LAST_CANARY) ?? '')),
            ignoreFocusOut: true,
            validateInput: (v) => (v.trim() ? problem(() => parseEndpoint(v)) : undefined),
          });
    if (canaryText === undefined) return undefined;
    let endpoints: Endpoint[];
    let canary: Endpoint | null;
    try {
      endpoints = parseEndpointList(endpointsText);
      canary = canaryText.trim() ? parseEndpoint(canaryText) : null;
    } catch (e) {
      void vscode.window.showErrorMessage(`Stallscope: ${(e as Error).message}`);
      return undefined;
    }
    await this.state.update(LAST_ENDPOINTS, endpointsText);
    await this.state.update(LAST_CANARY, canaryText);
    return { endpoints, canary };
  }

  private execute(rec: Recording, s: CheckSettings): Thenable<CheckView> {
    const controller = new AbortController();
    this.running = controller;
    const startedAtMs = Date.now();
    const done: EndpointResult[] = [];
    let idle: CanaryStats | null = null;
    const show = (view: CheckView) => {
      this.display.showCheck(rec, view);
      return view;
    };
    show(runningView(s, startedAtMs, idle, done, 'running', 'trying each endpoint once'));
    // The server going away (its debug session ended) ends the check.
    const onLive = (r: Recording) => r === rec && controller.abort(new CheckError('the debug session ended', 'aborted'));
    this.hub.on('live', onLive);
    this.log.info(`check: ${s.endpoints.map((e) => e.label).join(', ')} on ${s.baseUrl}, ${s.durationS} s each at ${s.connections} connections, canary ${s.canary?.label ?? 'none'}`);

    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Stallscope: checking endpoints', cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort(new CheckError('cancelled', 'aborted')));
        const step = 100 / s.endpoints.length;
        try {
          const result = await runCheck(s, {
            workerScript: this.workerScript,
            // The extension host may be Electron: its child processes run as plain Node only with this set.
            env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
            stalls: () => rec.stalls,
            lag: () => rec.lagSamples,
            signal: controller.signal,
            progress: (p) => {
              if (p.kind === 'endpoint') {
                idle = p.canaryIdle;
                const message = `${p.endpoint.label} (${p.index + 1}/${p.total}): ${s.connections} connections for ${p.durationS} s`;
                progress.report({ message });
                show(runningView(s, startedAtMs, idle, done, 'running', message));
              } else if (p.kind === 'idle') {
                progress.report({ message: s.canary ? `canary ${s.canary.label} alone for ${p.durationS} s` : 'settling' });
              } else if (p.kind === 'endpointDone') {
                done.push(p.result);
                progress.report({ increment: step });
                show(runningView(s, startedAtMs, idle, done, 'running'));
                this.log.info(`check: ${p.result.endpoint.label}: ${p.result.verdict}, ${p.result.stalls.length} stalls, max ${Math.round(p.result.maxStallMs)} ms`);
              }
            },
          });
          const view = show(resultView(result));
          this.last = view;
          void this.announce(view);
          return view;
        } catch (e) {
          const cancelled = e instanceof CheckError && e.reason === 'aborted';
          const message = e instanceof Error ? e.message : String(e);
          const view = show(runningView(s, startedAtMs, idle, done, cancelled ? 'cancelled' : 'failed', message));
          this.last = view;
          this.log.warn(`check: ${message}`);
          if (!cancelled || message !== 'cancelled') void vscode.window.showErrorMessage(`Stallscope: the check stopped: ${message}`);
          return view;
        } finally {
          this.hub.off('live', onLive);
          this.running = undefined;
        }
      },
    );
  }

  private async announce(view: CheckView): Promise<void> {
    const blocking = view.endpoints.filter((e) => e.verdict === 'blocking');
    const text = blocking.length
      ? `Stallscope: ${blocking.map((e) => e.endpoint).join(', ')} ${blocking.length === 1 ? 'blocks' : 'block'} the event loop.`
      : `Stallscope: no endpoint blocked the event loop (${view.endpoints.length} checked).`;
    const failed = view.endpoints.filter((e) => e.error);
    if (failed.length) void vscode.window.showWarningMessage(`Stallscope: ${failed.map((e) => e.error).join('; ')}`);
    if (blocking.length) void vscode.window.showWarningMessage(text);
    else void vscode.window.showInformationMessage(text);
  }

  dispose(): void {
    this.running?.abort(new CheckError('cancelled', 'aborted'));
  }
}

function problem(parse: () => unknown): string | undefined {
  try {
    parse();
    return undefined;
  } catch (e) {
    return e instanceof EndpointError ? e.message : String(e);
  }
}
