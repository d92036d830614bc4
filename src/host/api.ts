/**
 * What `activate()` returns (`vscode.extensions.getExtension('stallscope.stallscope').exports`):
 * a read-only window onto the extension's state, for its own integration tests and for other
 * extensions that want to follow stalls. Nothing here changes state.
 */
import type { Recording } from '../core/recording';
import type { CheckView } from '../shared/protocol/webviewMessages';
import type { AppliedDecoration } from './editorDecorations';
import type { TrackedSession } from './sessionTracker';

export interface StallscopeApi {
  /** The recording on screen (a live probe session or an opened report). */
  readonly current: Recording | undefined;
  /** Fires when the recording on screen changes; returns the unsubscribe function. */
  onDidChangeRecording(listener: (recording: Recording | undefined) => void): () => void;
  /** ws://127.0.0.1:PORT/ once the first probe launch started the server. */
  readonly probeServerUrl: string | undefined;
  /** Debug sessions of probe launches (js-debug's child sessions included) and the process each is matched to. */
  sessions(): TrackedSession[];
  /** The stall annotations last drawn in the visible editor of `file` (absolute path). */
  decorationsFor(file: string): AppliedDecoration[];
  /** The status bar item's text, undefined while it is hidden. */
  readonly statusText: string | undefined;
  /** Stalls reported by probes that a debugger pause explained, so they were not recorded. */
  readonly suppressedStalls: number;
  /** The final state of the last `Stallscope: Check Endpoints` (done, failed or cancelled). */
  readonly lastCheck: CheckView | undefined;
  /** Finished recordings kept off screen this window, newest first. */
  readonly recent: readonly Recording[];
  /** The routes and lines the Run and Debug view shows (`GET /report · 1 stall · worst 300 ms`, …). */
  readonly stallTree: ReadonlyArray<{ route: string; lines: string[] }>;
  /** The last first-stall notification and the last save confirmation. */
  readonly lastNotice: string | undefined;
  readonly lastSaveMessage: string | undefined;
}
