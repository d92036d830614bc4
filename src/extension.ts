/**
 * Wires Stallscope's services together and hands their disposables to VS Code. No logic lives
 * here: every piece is in src/host or src/views.
 */
import * as vscode from 'vscode';
import type { StallscopeApi } from './host/api';
import { Commands, TIMELINE_VIEW_TYPE, nodeDebugTypes, pythonDebugTypes, registerCommand } from './host/contributions';
import { BlockingLineLens } from './host/blockingLineLens';
import { ContextKeys } from './host/contextKeys';
import { debugWithProbe } from './host/debugWithProbe';
import { EndpointCheck } from './host/endpointCheck';
import { EditorDecorations } from './host/editorDecorations';
import { HtmlExport } from './host/exportHtml';
import { FirstStallNotice } from './host/firstStallNotice';
import { ProbeInjector, currentThresholdMs } from './host/probeInjector';
import { ProbeOffer } from './host/probeOffer';
import { RecentRecordings } from './host/recentRecordings';
import { RecordingFiles } from './host/recordingFiles';
import { RecordingHub } from './host/recordingHub';
import { TerminalRuns } from './host/runInTerminal';
import { SessionTracker } from './host/sessionTracker';
import { SourceNavigator } from './host/sourceNavigator';
import { StallTreeView } from './host/stallTreeView';
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
      exportHtml: () => htmlExport.export(),
    },
    log,
  );
  const navigator: SourceNavigator = new SourceNavigator(
    hub,
    () => timeline.viewColumn,
    (stallId, open) => timeline.focusStall(stallId, open),
  );
  const check = new EndpointCheck(hub, timeline, context.workspaceState, context.asAbsolutePath('dist/checkWorker.js'), log);
  const files: RecordingFiles = new RecordingFiles({
    hub,
    memento: context.globalState,
    showTimeline: () => timeline.show(),
    checkOf: (rec) => timeline.checkOf(rec),
    showCheck: (rec, view) => timeline.showCheck(rec, view),
  });
  const recent = new RecentRecordings(hub, files, () => timeline.show());
  const stallTree = new StallTreeView(hub);
  const firstStall = new FirstStallNotice(hub, timeline);
  const htmlExport: HtmlExport = new HtmlExport(hub, context.asAbsolutePath('dist'), context.globalState);
  const terminalRuns = new TerminalRuns(injector, hub, context.asAbsolutePath('dist/probe.js'), context.workspaceState, log);

  context.subscriptions.push(
    log,
    injector,
    sessions,
    decorations,
    statusBar,
    timeline,
    recent,
    stallTree,
    firstStall,
    terminalRuns,
    new BlockingLineLens(hub),
    new ProbeOffer(context.workspaceState),
    new ContextKeys(hub),
    { dispose: () => hub.dispose() },
    ...[...nodeDebugTypes, ...pythonDebugTypes].map((type) => vscode.debug.registerDebugConfigurationProvider(type, injector)),
    vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, timeline),
    registerCommand(vscode.commands, Commands.DebugWithProbe, (launch) => debugWithProbe(launch)),
    registerCommand(vscode.commands, Commands.ShowTimeline, () => timeline.show()),
    registerCommand(vscode.commands, Commands.SaveRecording, (target) => files.save(target)),
    registerCommand(vscode.commands, Commands.OpenRecording, (source) => files.open(source)),
    registerCommand(vscode.commands, Commands.Clear, () => hub.clear()),
    registerCommand(vscode.commands, Commands.CheckEndpoints, (endpoints, canary) => check.run(endpoints, canary)),
    registerCommand(vscode.commands, Commands.ShowRecentRecording, () => recent.pick()),
    registerCommand(vscode.commands, Commands.RevealStall, (stallId) => navigator.revealStall(stallId)),
    registerCommand(vscode.commands, Commands.ExportHtml, (target) => htmlExport.export(target)),
    registerCommand(vscode.commands, Commands.RunInTerminal, (command) => terminalRuns.run(command)),
    registerCommand(vscode.commands, Commands.ShowStallInTimeline, (stallId) => {
      timeline.focusStall(stallId, true);
      timeline.show();
    }),
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
    get recent() {
      return hub.recent;
    },
    get stallTree() {
      return stallTree.shown;
    },
    get lastNotice() {
      return firstStall.lastMessage;
    },
    get lastSaveMessage() {
      return files.lastMessage;
    },
  };
}

export function deactivate(): void {
  // Everything was handed to context.subscriptions.
}
