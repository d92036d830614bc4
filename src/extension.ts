/**
 * Wires Stallscope's services together and hands their disposables to VS Code. No logic lives
 * here: every piece is in src/host or src/views.
 */
import * as vscode from 'vscode';
import type { StallscopeApi } from './host/api';
import { Commands, TIMELINE_VIEW_TYPE, nodeDebugTypes, registerCommand } from './host/contributions';
import { ContextKeys } from './host/contextKeys';
import { debugWithProbe } from './host/debugWithProbe';
import { EndpointCheck } from './host/endpointCheck';
import { EditorDecorations } from './host/editorDecorations';
import { ProbeInjector, currentThresholdMs } from './host/probeInjector';
import { RecordingFiles } from './host/recordingFiles';
import { RecordingHub } from './host/recordingHub';
import { SessionTracker } from './host/sessionTracker';
import { SourceNavigator } from './host/sourceNavigator';
import { StatusBar } from './host/statusBar';
import { TimelinePanel } from './views/timelinePanel';

export function activate(context: vscode.ExtensionContext): StallscopeApi {
  const log = vscode.window.createOutputChannel('Stallscope', { log: true });
  const hub = new RecordingHub({ thresholdMs: currentThresholdMs });
  const injector = new ProbeInjector(context.asAbsolutePath('dist/probe.js'), hub, log);
  const sessions = new SessionTracker(hub, injector, log);
  const decorations = new EditorDecorations(hub);
  const statusBar = new StatusBar(hub);
  const timeline: TimelinePanel = new TimelinePanel(
    context.extensionUri,
    hub,
    {
      revealFrame: (stallId, frameIndex) => navigator.revealFrame(stallId, frameIndex),
      saveRecording: () => files.save(),
      openRecording: () => files.open(),
      clear: () => hub.clear(),
    },
    log,
  );
  const navigator: SourceNavigator = new SourceNavigator(hub, () => timeline.viewColumn);
  const check = new EndpointCheck(hub, timeline, context.workspaceState, context.asAbsolutePath('dist/checkWorker.js'), log);
  const files: RecordingFiles = new RecordingFiles(hub, () => timeline.show());

  context.subscriptions.push(
    log,
    injector,
    sessions,
    decorations,
    statusBar,
    timeline,
    new ContextKeys(hub),
    { dispose: () => hub.dispose() },
    ...nodeDebugTypes.map((type) => vscode.debug.registerDebugConfigurationProvider(type, injector)),
    vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, timeline),
    registerCommand(vscode.commands, Commands.DebugWithProbe, (launch) => debugWithProbe(launch)),
    registerCommand(vscode.commands, Commands.ShowTimeline, () => timeline.show()),
    registerCommand(vscode.commands, Commands.SaveRecording, (target) => files.save(target)),
    registerCommand(vscode.commands, Commands.OpenRecording, (source) => files.open(source)),
    registerCommand(vscode.commands, Commands.Clear, () => hub.clear()),
    registerCommand(vscode.commands, Commands.CheckEndpoints, (endpoints, canary) => check.run(endpoints, canary)),
    check,
  );

  return {
    get current() {
      return hub.current;
    },
    onDidChangeRecording(listener) {
      hub.on('current', listener);
      return () => hub.off('current', listener);
    },
    get probeServerUrl() {
      return injector.url;
    },
    sessions: () => sessions.sessions(),
    decorationsFor: (file) => decorations.decorationsFor(file),
    get statusText() {
      return statusBar.text;
    },
    get suppressedStalls() {
      return hub.suppressedStalls;
    },
    get lastCheck() {
      return check.last;
    },
  };
}

export function deactivate(): void {
  // Everything was handed to context.subscriptions.
}
