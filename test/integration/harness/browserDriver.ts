/**
 * Opens code-server's workbench in headless Debian Chromium with the extension-test payload,
 * relays the suite's log, performs the browser-side actions the suite asks for (typing into a
 * quick pick, clicking inside the webview, reading the rendered page, screenshots) and returns
 * the suite's exit code and per-test results.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type FrameLocator, type Page } from 'playwright-core';
import { DRIVER_MARKER, LOG_MARKER, RESULT_MARKER, type DriverReply, type DriverRequest, type ElementBox, type FrameTarget, type TestResult } from '../driverProtocol';

export interface BrowserRunOptions {
  url: string;
  extensionPath: string;
  /** The built suite's index.js. */
  testsPath: string;
  workspace: string;
  replyDir: string;
  shotDir: string;
  /** Browser profile and the full log go here. */
  runDir: string;
  timeoutMs: number;
  /** Lines the suite prints for people (LOG_MARKER). */
  onLine: (line: string) => void;
}

export interface BrowserRunResult {
  /** null: the suite never finished (timeout). */
  exitCode: number | null;
  results: TestResult[];
  /** pids of debuggees the suite saw start (for cleanup). */
  debuggeePids: number[];
  screenshots: string[];
}

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function runInBrowser(o: BrowserRunOptions): Promise<BrowserRunResult> {
  const host = new URL(o.url).host; // must equal code-server's remote authority exactly
  const remote = (p: string) => `vscode-remote://${host}${p}`;
  const udd = fs.mkdtempSync(path.join(o.runDir, 'chrome-'));
  fs.rmSync(o.replyDir, { recursive: true, force: true });
  fs.mkdirSync(o.replyDir, { recursive: true });
  fs.mkdirSync(o.shotDir, { recursive: true });
  const fullLog = fs.createWriteStream(path.join(o.runDir, 'workbench.log'));
  const result: BrowserRunResult = { exitCode: null, results: [], debuggeePids: [], screenshots: [] };

  const ctx = await chromium.launchPersistentContext(udd, { executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 900 }, args: CHROMIUM_ARGS });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => fullLog.write(`[pageerror] ${e.message}\n`));
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    let queue = Promise.resolve();

    // Both are registered before goto: VS Code looks for them as soon as the workbench starts.
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      const parts = [...args].map((a) => (typeof a === 'string' ? a.replace(/%c/g, '') : JSON.stringify(a))).filter((a) => !a.startsWith('color:'));
      const line = parts.join(' ');
      fullLog.write(`${line}\n`);
      const at = (marker: string) => line.indexOf(marker);
      if (at(DRIVER_MARKER) >= 0) {
        const req = JSON.parse(line.slice(at(DRIVER_MARKER) + DRIVER_MARKER.length).trim()) as DriverRequest;
        queue = queue.then(() => perform(page, req, o, result));
      } else if (at(RESULT_MARKER) >= 0) {
        result.results.push(JSON.parse(line.slice(at(RESULT_MARKER) + RESULT_MARKER.length).trim()) as TestResult);
      } else if (at(LOG_MARKER) >= 0) {
        const text = line.slice(at(LOG_MARKER) + LOG_MARKER.length);
        const pid = /^debuggee pid (\d+)/.exec(text);
        if (pid) result.debuggeePids.push(Number(pid[1]));
        o.onLine(text);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => {
      result.exitCode = code;
      finish();
    });
    const payload = [
      ['extensionDevelopmentPath', remote(o.extensionPath)],
      ['extensionTestsPath', remote(o.testsPath)],
    ];
    await page.goto(`${o.url}/?folder=${encodeURIComponent(o.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, o.timeoutMs)))]);
    clearTimeout(timer);
    if (result.exitCode === null) {
      const shot = path.join(o.shotDir, 'timeout.png');
      await page.screenshot({ path: shot }).catch(() => undefined);
      o.onLine(`the suite did not finish within ${o.timeoutMs} ms (screenshot ${shot})`);
    }
    await queue;
  } finally {
    await ctx.close();
    fullLog.end();
    fs.rmSync(udd, { recursive: true, force: true });
  }
  return result;
}

function frame(page: Page, target: FrameTarget): Page | FrameLocator {
  // A webview is an iframe inside an iframe: VS Code's host frame, then the page's own content frame.
  return target === 'webview' ? page.frameLocator('iframe.webview.ready').last().frameLocator('#active-frame') : page;
}

async function perform(page: Page, req: DriverRequest, o: BrowserRunOptions, result: BrowserRunResult): Promise<void> {
  let reply: DriverReply;
  try {
    reply = { id: req.id, ok: true, value: await act(page, req, o, result) };
  } catch (e) {
    reply = { id: req.id, ok: false, error: (e as Error).message.split('\n')[0] };
  }
  const file = path.join(o.replyDir, `${req.id}.json`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(reply));
  fs.renameSync(`${file}.tmp`, file); // the suite polls for the file: it must appear complete
}

async function act(page: Page, req: DriverRequest, o: BrowserRunOptions, result: BrowserRunResult): Promise<unknown> {
  switch (req.action) {
    case 'ping':
      return 'pong';
    case 'quickPick': {
      const input = page.locator('.quick-input-widget input[type="text"]').first();
      await input.waitFor({ state: 'visible', timeout: 20_000 });
      await input.fill(req.text);
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: req.text }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
      return true;
    }
    case 'waitFor':
      await frame(page, req.frame).locator(req.selector).first().waitFor({ state: 'attached', timeout: req.timeoutMs });
      return frame(page, req.frame).locator(req.selector).count();
    case 'click':
      await frame(page, req.frame).locator(req.selector).first().click({ timeout: 20_000 });
      return true;
    case 'texts':
      return (await frame(page, req.frame).locator(req.selector).allInnerTexts()).slice(0, 100);
    case 'afterContents':
      // Runs in the page (written as a string: this file is compiled without the DOM library).
      return page.evaluate(`(() => {
        const found = [];
        for (const el of document.querySelectorAll('.monaco-editor .view-lines *')) {
          const after = getComputedStyle(el, '::after').content;
          if (after && after !== 'none' && after.includes(${JSON.stringify(req.contains)})) found.push(after);
        }
        return found;
      })()`);
    case 'viewport':
      await page.setViewportSize({ width: req.width, height: req.height });
      return true;
    case 'press': {
      const target = frame(page, req.frame).locator(req.selector).first();
      await target.focus({ timeout: 20_000 });
      await target.press(req.key);
      return true;
    }
    case 'boxes': {
      const found: ElementBox[] = [];
      for (const el of (await frame(page, req.frame).locator(req.selector).all()).slice(0, 100)) {
        const box = await el.boundingBox();
        if (!box) continue; // not rendered
        const [text, clipped] = await el.evaluate((e: { textContent: string | null; scrollWidth: number; clientWidth: number }) => [e.textContent ?? '', e.scrollWidth > e.clientWidth + 0.5] as const);
        found.push({ text, clipped, ...box });
      }
      return found;
    }
    case 'attribute':
      return frame(page, req.frame).locator(req.selector).first().getAttribute(req.name, { timeout: 20_000 });
    case 'screenshot': {
      const file = path.join(o.shotDir, `${req.name}.png`);
      await page.screenshot({ path: file });
      result.screenshots.push(file);
      return file;
    }
  }
}
