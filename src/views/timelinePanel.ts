/**
 * The timeline's webview panel. One panel at a time. It is not kept alive while hidden
 * (retainContextWhenHidden: false, which costs nothing in the background): each time it is shown
 * the page loads again, restores its own view state (zoom, selection) with setState/getState,
 * posts `ready`, and gets the full state back; deltas only flow after that handshake. The
 * serializer brings the panel back after a window reload.
 */
import * as vscode from 'vscode';
import { isWebviewToHost, type CheckView, type HostToWebview, type TimelineState, type WebviewToHost } from '../shared/protocol/webviewMessages';
import { assertNever } from '../shared/guards';
import type { Recording } from '../core/recording';
import { TIMELINE_VIEW_TYPE } from '../host/contributions';
import type { CheckDisplay } from '../host/endpointCheck';
import type { RecordingHub } from '../host/recordingHub';
import { createNonce, webviewHtml } from './webviewHtml';

export interface TimelineActions {
  revealFrame(stallId: string, frameIndex?: number): Promise<unknown>;
  saveRecording(): Promise<unknown>;
  openRecording(): Promise<unknown>;
  clear(): void;
  exportHtml(): Promise<unknown>;
}

export class TimelinePanel implements vscode.WebviewPanelSerializer, vscode.Disposable, CheckDisplay {
  private panel: vscode.WebviewPanel | undefined;
  /** The endpoint check of each recording, shown while that recording is on screen. */
  private readonly checks = new WeakMap<Recording, CheckView>();
  /** The page of the current panel said `ready` and is visible: deltas may flow. */
  private ready = false;
  /** A stall to select once the page is ready. */
  private pendingFocus: string | undefined;
  private readonly unfollow: () => void;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly hub: RecordingHub,
    private readonly actions: TimelineActions,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const reset = () => {
      this.post({ type: 'reset', state: this.state() });
      this.postCheck();
    };
    this.unfollow = hub.follow({
      current: reset,
      delta: (d) => this.post({ type: 'append', ...d }),
      removed: reset, // deltas only add: a stall taken back needs the full state again (rare)
      ended: () => this.post({ type: 'live', live: false }),
    });
  }

  /** The endpoint check shown with `recording`, if any. */
  checkOf(recording: Recording): CheckView | undefined {
    return this.checks.get(recording);
  }

  /** Shows the check's progress or verdicts next to the stalls of `recording` (opening the panel). */
  showCheck(recording: Recording, view: CheckView): void {
    this.checks.set(recording, view);
    if (this.hub.current !== recording) return;
    if (!this.panel) this.show();
    else this.postCheck();
  }

  /** Selects a stall in the timeline and brings it into view, opening the timeline if `open`. */
  focusStall(stallId: string, open: boolean): void {
    if (!this.panel && !open) return;
    if (this.ready) this.post({ type: 'focusStall', stallId });
    else this.pendingFocus = stallId;
    if (!this.panel) this.show();
  }

  /** The column the panel is in, if it is open. */
  get viewColumn(): vscode.ViewColumn | undefined {
    return this.panel?.viewColumn;
  }

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal(undefined, false);
      return;
    }
    const beside = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(TIMELINE_VIEW_TYPE, 'Stallscope Timeline', { viewColumn: beside, preserveFocus: false }, this.options());
    this.adopt(panel);
  }

  /** After a window reload VS Code hands back the panel it remembered; it gets a fresh page. */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    this.panel?.dispose();
    this.adopt(panel);
  }

  dispose(): void {
    this.unfollow();
    this.panel?.dispose();
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
      retainContextWhenHidden: false,
      enableFindWidget: false,
    };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    webview.options = this.options();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'timeline.css')).toString(),
      title: 'Stallscope Timeline',
    });
    const disposables: vscode.Disposable[] = [
      webview.onDidReceiveMessage((m: unknown) => panel === this.panel && this.receive(m)),
      // Hidden means the page is gone; it will say `ready` again when shown.
      panel.onDidChangeViewState(() => {
        if (!panel.visible && this.panel === panel) this.ready = false;
      }),
      panel.onDidDispose(() => {
        for (const d of disposables) d.dispose();
        if (this.panel !== panel) return; // a newer panel took over
        this.panel = undefined;
        this.ready = false;
      }),
    ];
  }

  private receive(m: unknown): void {
    if (!isWebviewToHost(m)) {
      // The page is ours, so this is a bug, not an attack; still, nothing unvalidated gets through.
      this.log.warn(`timeline: refused a malformed message from the webview (${describe(m)})`);
      return;
    }
    const msg: WebviewToHost = m;
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.post({ type: 'reset', state: this.state() });
        this.postCheck();
        if (this.pendingFocus) this.post({ type: 'focusStall', stallId: this.pendingFocus });
        this.pendingFocus = undefined;
        return;
      case 'revealFrame':
        void this.actions.revealFrame(msg.stallId, msg.frameIndex);
        return;
      case 'saveRecording':
        void this.actions.saveRecording();
        return;
      case 'openRecording':
        void this.actions.openRecording();
        return;
      case 'clear':
        this.actions.clear();
        return;
      case 'exportHtml':
        void this.actions.exportHtml();
        return;
      default:
        assertNever(msg, 'webview message');
    }
  }

  private state(): TimelineState {
    return (
      this.hub.current?.state() ?? {
        title: 'No recording yet: run "Stallscope: Debug with Stall Probe" or open a recording',
        live: false,
        startedAtMs: Date.now(),
        processes: [],
        stalls: [],
        lag: [],
        pauses: [],
      }
    );
  }

  private postCheck(): void {
    const rec = this.hub.current;
    this.post({ type: 'check', check: (rec && this.checks.get(rec)) ?? null });
  }

  private post(msg: HostToWebview): void {
    if (!this.panel || !this.ready) return; // the page asks for the full state when it is ready
    void this.panel.webview.postMessage(msg);
  }
}

function describe(m: unknown): string {
  const t = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? `type ${JSON.stringify(t.slice(0, 32))}` : typeof m;
}
