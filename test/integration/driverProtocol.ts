/**
 * How the suite inside VS Code asks the browser driver outside it for what only a user can do
 * (type into a quick pick, click inside the webview, look at the rendered page).
 *
 *   suite (extension host) --console.log(MARKER + request)--> workbench --codeAutomationLog--> driver
 *   driver --writes <replyDir>/<id>.json--> suite polls for it
 *
 * The reply travels through the file system because code-server's extension host runs on the same
 * machine as the driver, and nothing else flows back into the extension host.
 */
import * as path from 'node:path';

export const DRIVER_MARKER = 'E2E_DRIVER ';
export const RESULT_MARKER = 'E2E_RESULT ';
export const LOG_MARKER = 'E2E| ';

/** Where webview content lives in the workbench DOM (VS Code 1.139). */
export type FrameTarget = 'workbench' | 'webview';

export type DriverRequest = { id: number } & (
  | { action: 'ping' }
  | { action: 'quickPick'; text: string }
  | { action: 'waitFor'; frame: FrameTarget; selector: string; timeoutMs: number }
  | { action: 'click'; frame: FrameTarget; selector: string }
  | { action: 'texts'; frame: FrameTarget; selector: string }
  /** Text that editor decorations render through CSS `::after { content }` (not in textContent). */
  | { action: 'afterContents'; contains: string }
  | { action: 'screenshot'; name: string }
  /** Resizes the browser window (the workbench lays itself out again). */
  | { action: 'viewport'; width: number; height: number }
  /** Focuses the first match, then presses a key (Playwright's key names: `+`, `f`, `Enter`). */
  | { action: 'press'; frame: FrameTarget; selector: string; key: string }
  /** Where each match is on screen, and whether its text is cut by its own box. */
  | { action: 'boxes'; frame: FrameTarget; selector: string }
  | { action: 'attribute'; frame: FrameTarget; selector: string; name: string }
);

export interface ElementBox {
  text: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Its content is wider than its box (cut, or elided with an ellipsis). */
  clipped: boolean;
}

export type DriverReply = { id: number; ok: true; value?: unknown } | { id: number; ok: false; error: string };

export interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs: number;
  error?: string;
}

/** The reply folder, next to the built suite (out/integration/driver-replies). */
export function replyDir(builtSuiteDir: string): string {
  return path.join(builtSuiteDir, 'driver-replies');
}
