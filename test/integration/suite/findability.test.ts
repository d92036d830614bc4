/**
 * The ways into Stallscope besides Debug with Stall Probe, in real VS Code with real clicks: a
 * command run in the integrated terminal under the probe (its stall feeds the timeline), the
 * CodeLenses on the blocking line and its caller (a click shows the stall in the timeline), the
 * timeline's Export button (a standalone HTML report), and the offer to restart a plain Node
 * launch with the probe.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StallscopeApi } from '../../../src/host/api';
import type { Recording } from '../../../src/core/recording';
import type { Stall } from '../../../src/shared/protocol/model';
import { until } from './debugEvents';
import { Driver } from './driver';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A program that blocks its loop 300 ms on BLOCK-LINE, called from CALLER-LINE, then idles until
// its terminal is closed. Lines are found by their tags, never by number.
const BLOCKER = `'use strict';
function block(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end); // BLOCK-LINE
}
function work() {
  block(300); // CALLER-LINE
}
setTimeout(work, 500);
setInterval(() => undefined, 1000);
`;
const lineOf = (tag: string) => BLOCKER.split('\n').findIndex((l) => l.includes(`// ${tag}`)) + 1;
// The same in Python: an asyncio loop whose callback sleeps 300 ms, then one that hangs in a regex that
// never returns, holding the GIL (only the standard library).
const PY_BLOCKER = `import asyncio
import re
import time


def block():
    time.sleep(0.3)  # PY-BLOCK-LINE


def hang():
    re.match(r"(a+)+$", "a" * 40 + "b")  # PY-HANG-LINE


async def main():
    await asyncio.sleep(0.5)
    asyncio.get_running_loop().call_soon(block)
    await asyncio.sleep(1.0)
    asyncio.get_running_loop().call_soon(hang)
    await asyncio.sleep(120)


asyncio.run(main())
`;

describe('Findability: terminal runs, CodeLens, HTML export, restart with the probe', function () {
  const driver = new Driver();
  let api: StallscopeApi;
  let dir: string;
  let script: string;
  let command: string;
  let rec: Recording;
  let stall: Stall;

  before(async function () {
    await driver.connect();
    api = await vscode.extensions.getExtension<StallscopeApi>('stallscope.stallscope')!.activate();
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ss-find-')));
    script = path.join(dir, 'blocker.js');
    fs.writeFileSync(script, BLOCKER);
    command = `node ${script}`;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(() => {
    for (const t of vscode.window.terminals) if (t.name.startsWith('Stall Probe:')) t.dispose();
  });

  function needsDriver(ctx: Mocha.Context): void {
    if (!driver.available) ctx.skip();
  }

  const MESSAGE = '.notifications-center .notification-list-item-message';

  /** The notification center's messages, once one contains `text` (toasts do not show while the test payload runs). */
  async function notification(text: string, shot: string): Promise<string[]> {
    let messages: string[] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(500)) {
      await vscode.commands.executeCommand('notifications.showList');
      messages = await driver.texts('workbench', MESSAGE);
      if (messages.some((m) => m.includes(text))) return messages;
    }
    await driver.screenshot(shot);
    throw new Error(`no notification says ${JSON.stringify(text)} (see ${shot}.png): ${JSON.stringify(messages)}`);
  }

  it('Run Command with Stall Probe runs the typed command in a terminal whose stalls feed the timeline', async function () {
    needsDriver(this);
    const before = api.current;
    const run = vscode.commands.executeCommand<string | undefined>('stallscope.runInTerminal');
    await driver.quickPick(command);
    const sessionId = await run;
    assert.ok(sessionId, 'the command was sent to a terminal');
    const terminal = await until('the probe terminal', () => vscode.window.terminals.find((t) => t.name === `Stall Probe: ${command}`));
    assert.ok(terminal);
    rec = await until('the terminal\'s recording on screen', () => api.current !== before && api.current?.title === command && api.current.live && api.current, 30_000);
    stall = await until('the stall of blocker.js', () => rec.stalls.find((s) => !s.ongoing && s.culprit?.file === script), 30_000);
    console.log(`E2E| terminal stall ${stall.id}: ${Math.round(stall.durationMs)} ms at ${stall.culprit?.file}:${stall.culprit?.line}; processes ${rec.processes.map((p) => p.argv.join(' ')).join(' | ')}`);
    assert.equal(stall.culprit?.line, lineOf('BLOCK-LINE'));
    assert.ok(stall.durationMs >= 250 && stall.durationMs < 3000, `${stall.durationMs} ms for a 300 ms block`);
    assert.ok(rec.processes.some((p) => p.argv.includes(script)), 'the process is the command\'s');
    assert.equal(api.probeServerUrl?.startsWith('ws://127.0.0.1:'), true, 'the extension\'s own probe server, on loopback');
    await driver.screenshot('run-in-terminal');
  });

  it('a CodeLens on the blocking line and on its caller; clicking it shows the stall in the timeline', async function () {
    needsDriver(this);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const uri = vscode.Uri.file(script);
    await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One });
    let titles: { line: number; title: string; args: unknown[] }[] = [];
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(300)) {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      titles = (found ?? []).filter((l) => l.command?.title.startsWith('⚠')).map((l) => ({ line: l.range.start.line + 1, title: l.command!.title, args: l.command!.arguments ?? [] }));
      if (titles.length >= 2) break;
    }
    console.log(`E2E| lenses: ${JSON.stringify(titles.map((t) => `${t.line}: ${t.title}`))}`);
    const onBlock = titles.find((t) => t.line === lineOf('BLOCK-LINE'));
    const onCaller = titles.find((t) => t.line === lineOf('CALLER-LINE'));
    assert.ok(onBlock && onCaller, 'one lens on each line');
    assert.match(onBlock.title, /^⚠ blocked the loop 1× · max [\d.]+ m?s( · .+)?$/);
    assert.match(onCaller.title, new RegExp(`^⚠ blocked the loop 1× · max [\\d.]+ m?s( · .+)? · at blocker\\.js:${lineOf('BLOCK-LINE')}$`));
    assert.deepEqual(onBlock.args, [stall.id]);
    // In the editor as drawn, at half width (the timeline beside it), then clicked.
    const lens = '.contentWidgets .codelens-decoration a:has-text("blocked the loop")';
    await driver.waitFor('workbench', lens);
    await driver.screenshot('codelens');
    await driver.click('workbench', `${lens}:not(:has-text("· at "))`);
    await driver.waitFor('webview', `rect.stall-mark[data-stall-id="${stall.id}"][aria-selected="true"]`);
    await sleep(300);
    await driver.screenshot('codelens-timeline-half-width');
    const rendered = await driver.texts('workbench', '.contentWidgets .codelens-decoration');
    assert.ok(rendered.some((t) => t.includes('· at blocker.js:')), `the caller's lens is drawn beside the timeline: ${JSON.stringify(rendered)}`);
  });

  it('Export in the timeline writes one standalone HTML report and says where', async function () {
    needsDriver(this);
    // First by the command with a path (this also makes the folder the dialog's next default).
    const first = vscode.Uri.file(path.join(dir, 'first.html'));
    const written = await vscode.commands.executeCommand<vscode.Uri | undefined>('stallscope.exportHtml', first);
    assert.equal(written?.fsPath, first.fsPath);
    const html = fs.readFileSync(first.fsPath, 'utf8');
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src (&#39;|')none/);
    assert.ok(html.includes(stall.id), 'the stall travels in the report');
    assert.doesNotMatch(html, /<(script|link)[^>]+(src|href)=["']?https?:/i, 'nothing from the network');
    // Then with the toolbar's button: the save dialog offers that folder; accepting it writes there.
    await vscode.commands.executeCommand('stallscope.showTimeline');
    const before = new Set(fs.readdirSync(dir));
    await driver.click('webview', 'button.tool[data-action="export"]');
    await driver.waitFor('workbench', '.quick-input-widget .quick-input-title:has-text("Export Recording as HTML")');
    await driver.screenshot('export-dialog');
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const made = await until('the exported file', () => fs.readdirSync(dir).find((f) => !before.has(f) && /^stallscope-.*\.html$/.test(f)), 20_000);
    assert.ok(fs.readFileSync(path.join(dir, made), 'utf8').includes(stall.id));
    const messages = await notification(made, 'export-notice-missing');
    assert.ok(messages.some((t) => t === `Stallscope: exported the recording to ${path.join(dir, made)}`), JSON.stringify(messages));
    const buttons = await driver.texts('workbench', `.notifications-center .notification-list-item:has-text("${made}") .monaco-button`);
    assert.deepEqual(buttons.filter((b) => b === 'Open in Browser' || b === 'Reveal'), ['Open in Browser', 'Reveal']);
    await vscode.commands.executeCommand('notifications.hideList');
  });

  it('closing the terminal ends its recording', async function () {
    needsDriver(this);
    const terminal = vscode.window.terminals.find((t) => t.name === `Stall Probe: ${command}`);
    assert.ok(terminal);
    terminal.dispose();
    await until('the terminal recording to end', () => !rec.live, 20_000);
    assert.ok(rec.endedAt, 'it has an end');
  });

  it('a Python asyncio program run with the probe from the terminal feeds the timeline too, a hang while it lasts', async function () {
    needsDriver(this);
    this.timeout(90_000);
    const which = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
    const python = which.stdout.trim();
    assert.ok(which.status === 0 && python, `python3 is on PATH: ${which.stderr}`);
    const pyScript = path.join(dir, 'blocker.py');
    fs.writeFileSync(pyScript, PY_BLOCKER);
    const pyCommand = `${python} ${pyScript}`;
    const before = api.current;
    const sessionId = await vscode.commands.executeCommand<string | undefined>('stallscope.runInTerminal', pyCommand);
    assert.ok(sessionId);
    const pyRec = await until('the Python terminal\'s recording', () => api.current !== before && api.current?.title === pyCommand && api.current, 30_000);
    const pyStall = await until('the stall of blocker.py', () => pyRec.stalls.find((s) => !s.ongoing && s.culprit?.file === pyScript), 45_000);
    console.log(`E2E| python stall ${pyStall.id}: ${Math.round(pyStall.durationMs)} ms at ${pyStall.culprit?.file}:${pyStall.culprit?.line}; runtime ${pyRec.processes.map((p) => `${p.runtime?.name} ${p.runtime?.version}`).join(', ')}`);
    assert.equal(pyStall.culprit?.line, PY_BLOCKER.split('\n').findIndex((l) => l.includes('# PY-BLOCK-LINE')) + 1);
    assert.ok(pyStall.durationMs >= 250 && pyStall.durationMs < 3000, `${pyStall.durationMs} ms for a 300 ms block`);
    // The hang stops the probe's threads too: the host reads it from the process's hang file, while it lasts.
    const hangLine = PY_BLOCKER.split('\n').findIndex((l) => l.includes('# PY-HANG-LINE')) + 1;
    const hang = await until('the hang, seen while it lasts', () => pyRec.stalls.find((s) => s.ongoing && s.culprit?.line === hangLine), 30_000);
    assert.deepEqual(hang.cause, { kind: 'native', holdsGil: true });
    const status = await until('the status bar to show the blocked loop', () => api.statusText?.startsWith('$(warning)') && api.statusText, 15_000);
    assert.match(status, /^\$\(warning\) blocked [\d.]+ s · blocker\.py:\d+$/);
    await vscode.commands.executeCommand('stallscope.showTimeline');
    await sleep(1500);
    await driver.screenshot('python-hang');
    vscode.window.terminals.find((t) => t.name === `Stall Probe: ${pyCommand}`)?.dispose();
    await until('the Python recording to end', () => !pyRec.live, 20_000);
    assert.equal(pyRec.getStall(hang.id)?.ongoing, undefined, 'the hang is closed at the process\'s end');
  });

  it('a Node launch without the probe is offered a restart with it, and the restart records', async function () {
    needsDriver(this);
    this.timeout(120_000);
    const folder = vscode.workspace.workspaceFolders![0];
    const name = 'Unwatched server';
    const before = api.current;
    assert.equal(await vscode.debug.startDebugging(folder, { type: 'node', request: 'launch', name, program: path.join(folder.uri.fsPath, 'server.js') }), true);
    const messages = await notification(`"${name}" runs without the stall probe`, 'probe-offer-missing');
    assert.ok(messages.includes(`Stallscope: "${name}" runs without the stall probe. Restart it with the probe to see what blocks its event loop.`), JSON.stringify(messages));
    const item = `.notifications-center .notification-list-item:has-text("${name}")`;
    assert.equal(api.current, before, 'no recording for the plain launch');
    await driver.screenshot('probe-offer');
    await driver.click('workbench', `${item} .monaco-button:has-text("Restart with Stall Probe")`);
    await vscode.commands.executeCommand('notifications.hideList');
    const restarted = await until('the restarted launch to record', () => api.current !== before && api.current?.title === name && api.current.live && api.current.processes.length > 0 && api.current, 60_000);
    const pid = restarted.processes[0].pid;
    console.log(`E2E| debuggee pid ${pid} ("${name}")`);
    let root = vscode.debug.activeDebugSession;
    while (root?.parentSession) root = root.parentSession;
    assert.equal(root?.name, name);
    assert.equal(root.configuration.stallscope, true, 'restarted through Debug with Stall Probe');
    await vscode.debug.stopDebugging(root);
    await until('the restarted recording to end', () => !restarted.live, 30_000);
  });
});
