/**
 * Entry of dist/webview.js: a standalone report (reportBoot.ts), or VS Code's webview. There it
 * posts `ready` first, then applies whatever the host sends, after validating it: the host is
 * trusted, the names inside its messages came from the user's program.
 */
import { isHostToWebview, type WebviewToHost } from '../src/shared/protocol/webviewMessages';
import { TimelineApp, type VsCodeApi } from './app';
import { bootReport } from './reportBoot';

declare function acquireVsCodeApi(): VsCodeApi;

function boot(): void {
  if (bootReport(document.getElementById('app') ?? document.body)) return;
  if (typeof acquireVsCodeApi !== 'function') {
    document.body.textContent = 'Stallscope: this page runs inside a VS Code webview.';
    return;
  }
  const api = acquireVsCodeApi();
  const container = document.getElementById('app') ?? document.body;
  const app = new TimelineApp(api, container);
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const msg = event.data;
    if (!isHostToWebview(msg)) {
      console.warn('stallscope: ignored a malformed message from the host', typeof msg === 'object' && msg ? (msg as { type?: unknown }).type : typeof msg);
      return;
    }
    app.handle(msg);
  });
  const ready: WebviewToHost = { type: 'ready' };
  api.postMessage(ready);
}

boot();
