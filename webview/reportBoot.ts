/**
 * The timeline as a standalone report (src/report/htmlReport.ts): no VS Code, no host. The data
 * comes from the page's JSON block, read as text and validated like any host message (the file
 * may have been edited by anyone); the view state lives in memory; what would ask the editor for
 * something (open a line, save, open a recording) has nobody to ask and is not offered.
 */
import { REPORT_BODY_CLASS, REPORT_DATA_ID } from '../src/report/reportPage';
import { isHostToWebview, type HostToWebview, type WebviewToHost } from '../src/shared/protocol/webviewMessages';
import { TimelineApp, type VsCodeApi } from './app';
import type { ViewState } from './viewState';

/** True when this page is a standalone report (and it was started). */
export function bootReport(container: HTMLElement): boolean {
  const block = document.getElementById(REPORT_DATA_ID);
  if (!block) return false;
  document.body.classList.add(REPORT_BODY_CLASS);
  let saved: unknown;
  const api: VsCodeApi = {
    postMessage: (_msg: WebviewToHost) => undefined,
    getState: () => saved,
    setState: (s: ViewState) => {
      saved = s;
    },
  };
  const app = new TimelineApp(api, container, { canOpenSource: false });
  let msg: unknown;
  try {
    msg = { type: 'reset', state: JSON.parse(block.textContent ?? '') };
  } catch {
    msg = undefined;
  }
  if (!isHostToWebview(msg)) {
    container.textContent = 'Stallscope: this report holds no readable recording.';
    return true;
  }
  app.handle(msg as HostToWebview);
  return true;
}
