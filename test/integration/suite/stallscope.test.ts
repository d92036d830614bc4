/**
 * Stallscope in real VS Code with the real JavaScript debugger (run by test/integration/e2e.test.ts
 * in code-server, with a browser driver for what only a user can do). One debug session on
 * test/integration/workspace/server.js walks the user's path: Debug with Stall Probe → a request
 * blocks the loop → the stall arrives → the timeline opens → a click on the stall puts the cursor
 * on the blocking line; then a real breakpoint pauses the same process without becoming a stall.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StallscopeApi } from '../../../src/host/api';
import type { Recording } from '../../../src/core/recording';
import type { Stall } from '../../../src/shared/protocol/model';
import type { CheckView } from '../../../src/shared/protocol/webviewMessages';
import { DebugEvents, until } from './debugEvents';
import { Driver } from './driver';

const workspace = () => vscode.workspace.workspaceFolders![0];
const SERVER = () => path.join(workspace().uri.fsPath, 'server.js');
const PROBE_REQUIRE = /--require "[^"]*\/dist\/probe\.js"/;

/** 1-based line of the fixture line tagged with `tag` in a comment. */
function lineOf(tag: string): number {
  const i = fs.readFileSync(SERVER(), 'utf8').split('\n').findIndex((l) => l.includes(`// ${tag}`));
  assert.ok(i >= 0, `fixture has no ${tag} line`);
  return i + 1;
}

function get(port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: urlPath, timeout: 30_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

function stopLaunch(name: string): Thenable<void> {
  const root = vscode.debug.activeDebugSession;
  let s = root;
  while (s?.parentSession) s = s.parentSession;
  assert.equal(s?.name, name, 'the launch to stop is the active one');
  return vscode.debug.stopDebugging(s);
}

describe('Stallscope in VS Code', function () {
  const driver = new Driver();
  const events = new DebugEvents();
  let api: StallscopeApi;
  let port = 0;
  let serverPid = 0;
  let live: Recording;
  let stall: Stall;

  before(async function () {
    await driver.connect();
    console.log(`E2E| VS Code ${vscode.version}, Node ${process.version}, driver ${driver.available ? 'attached' : 'absent'}, host NODE_OPTIONS=${process.env.NODE_OPTIONS ?? '(unset)'}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(() => events.dispose());

  /** For steps only a user can do; without the browser driver (@vscode/test-electron) they are skipped, visibly. */
  function needsDriver(ctx: Mocha.Context): void {
    if (!driver.available) ctx.skip();
  }

  it('activates with js-debug present and exposes its API', async function () {
    assert.ok(vscode.extensions.getExtension('ms-vscode.js-debug'), 'the built-in JavaScript debugger is present');
    const ext = vscode.extensions.getExtension<StallscopeApi>('stallscope.stallscope');
    assert.ok(ext, 'extension stallscope.stallscope is loaded');
    api = await ext.activate();
    assert.equal(typeof api.sessions, 'function');
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['stallscope.debugWithProbe', 'stallscope.showTimeline', 'stallscope.saveRecording', 'stallscope.openRecording', 'stallscope.clear']) {
      assert.ok(commands.includes(id), `command ${id} is registered`);
    }
  });

  it('Debug with Stall Probe starts the launch configuration picked in the quick pick, with the probe', async function () {
    needsDriver(this);
    const started = vscode.commands.executeCommand<boolean>('stallscope.debugWithProbe');
    await driver.quickPick('Report server');
    assert.equal(await started, true, 'startDebugging succeeded');
    const listening = await events.output('Report server', /LISTENING (\d+)/);
    port = Number(listening.match[1]);
    live = await until('a probe to connect', () => api.current?.live && api.current.processes.length > 0 && api.current);
    serverPid = live.processes[0].pid;
    assert.ok(api.probeServerUrl?.startsWith('ws://127.0.0.1:'), `probe server on loopback: ${api.probeServerUrl}`);
  });

  it('keeps the launch config\'s NODE_OPTIONS and null (unset) env values, and adds the probe once', async function () {
    needsDriver(this);
    const { match } = await events.output('Report server', /NODE_OPTIONS=(.*)/);
    const nodeOptions = match[1];
    console.log(`E2E| debuggee NODE_OPTIONS=${nodeOptions}`);
    assert.match(nodeOptions, PROBE_REQUIRE);
    assert.equal(count(nodeOptions, 'probe.js'), 1, 'the probe is required once');
    assert.equal(count(nodeOptions, '--no-deprecation'), 1, 'the launch config\'s own NODE_OPTIONS is kept, once');
    assert.match(nodeOptions, /bootloader\.js/, 'js-debug\'s bootloader is still there');
    // The launch config's `"FIXTURE_UNSET_ME": null` still means "unset" with the probe's env added.
    assert.equal(process.env.FIXTURE_UNSET_ME, 'inherited-from-the-editor', 'the editor has the variable');
    const unset = await events.output('Report server', /FIXTURE_UNSET_ME=(.*)/);
    assert.equal(unset.match[1], '(unset)');
  });

  it('matches the probe connection to js-debug\'s child session by pid', async function () {
    needsDriver(this);
    const session = await until('the debug session of the server process', () => api.sessions().find((s) => s.target?.pid === serverPid));
    assert.ok(session.parentId, `the server process is a js-debug child session (${session.name})`);
    assert.ok(session.stallscopeId, 'and belongs to the probe launch');
    // The match from the session's name agrees with what the debuggee itself says.
    await until('the debuggees to answer', () => api.sessions().every((s) => !s.parentId || s.answered));
    const sessions = api.sessions();
    console.log(`E2E| debug sessions of the launch: ${sessions.map((s) => `"${s.name}"${s.target ? ` → pid ${s.target.pid} thread ${s.target.threadId}` : ''}`).join(', ')}`);
    for (const s of sessions.filter((x) => x.parentId)) assert.deepEqual(s.answered, s.target, s.name);
  });

  it('a request that blocks the loop arrives as a stall on the culprit line, with its handler', async function () {
    needsDriver(this);
    const body = await get(port, '/report');
    assert.match(body, /report after \d+ spins/);
    stall = await until('the stall of GET /report', () => live.stalls.find((s) => s.pid === serverPid && !s.ongoing && s.culprit?.file === SERVER()));
    console.log(`E2E| stall ${stall.id}: ${Math.round(stall.durationMs)} ms at ${stall.culprit?.file}:${stall.culprit?.line}, handler ${stall.handler?.label}`);
    assert.equal(stall.culprit?.line, lineOf('STALL-LINE'));
    assert.equal(stall.handler?.label, 'GET /report');
    assert.ok(stall.durationMs >= 250 && stall.durationMs < 3000, `duration ${stall.durationMs} ms for a 300 ms block`);
  });

  it('the first stall of the session is announced once, and Show Timeline opens the timeline', async function () {
    needsDriver(this);
    const notice = await until('the first-stall notice', () => api.lastNotice);
    // Usually the request's stall; on a loaded machine a start-up block may come first.
    assert.match(notice, /^Stallscope: first stall in "Report server": [\d.]+ m?s stall( in .+)?( at .+)?\.$/);
    await vscode.commands.executeCommand('notifications.showList');
    const item = '.notifications-center .notification-list-item:has-text("first stall in")';
    await driver.waitFor('workbench', item);
    await driver.screenshot('first-stall-notice');
    assert.equal(count((await driver.texts('workbench', '.notifications-center .notification-list-item')).join('\n'), 'first stall in'), 1, 'said once');
    await driver.click('workbench', `${item} .monaco-button:has-text("Show Timeline")`);
    await driver.waitFor('webview', `[data-stall-id="${stall.id}"]`);
    await vscode.commands.executeCommand('notifications.hideList');
    // The tests after this one open the timeline and the editors themselves.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the Stallscope view in Run and Debug lists the stall by route and line; opening the line puts the cursor on it', async function () {
    needsDriver(this);
    const line = lineOf('STALL-LINE');
    const route = await until('the view to list GET /report', () => api.stallTree.find((r) => r.route.startsWith('GET /report ·')));
    assert.match(route.route, /^GET \/report · \d+ stalls? · worst [\d.]+ m?s$/);
    assert.ok(route.lines.some((l) => l.startsWith(`server.js:${line} · `) && /· \d+ stalls? · worst [\d.]+ m?s$/.test(l)), JSON.stringify(route.lines));
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(SERVER()), { viewColumn: vscode.ViewColumn.One });
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('stallscope.stalls.focus');
    const row = `.monaco-list-row:has-text("server.js:${line}")`;
    await driver.waitFor('workbench', row);
    await driver.screenshot('run-and-debug-view');
    const moved = new Promise<number>((resolve) => {
      const d = vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.fsPath === SERVER() && e.selections[0].active.line !== 0) {
          d.dispose();
          resolve(e.selections[0].active.line);
        }
      });
    });
    await driver.click('workbench', row);
    const at = await Promise.race([moved, sleep(15_000).then(() => undefined)]);
    assert.equal(at, line - 1, 'the cursor is on the blocking line');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('decorates the culprit line in the editor', async function () {
    needsDriver(this);
    await vscode.window.showTextDocument(vscode.Uri.file(SERVER()), { viewColumn: vscode.ViewColumn.One });
    const drawn = await until('the decoration on the culprit line', () => api.decorationsFor(SERVER()).find((d) => d.line === lineOf('STALL-LINE')));
    assert.match(drawn.text, /^blocked the loop 1× · max [\d.]+ m?s · GET \/report$/);
    // The renderer draws a moment after the extension host set the decorations.
    let rendered: string[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(250)) {
      rendered = await driver.afterContents('blocked the loop');
      if (rendered.length) break;
    }
    assert.ok(rendered.some((t) => t.includes('GET /report')), `the editor renders the note: ${JSON.stringify(rendered)}`);
  });

  it('shows live p99 lag and the stall count in the status bar', async function () {
    needsDriver(this);
    // On a loaded machine an idle process can miss its heartbeat too: count what the store holds.
    const text = await until('the status text to show the stall count', () => {
      const t = api.statusText;
      const n = live.stalls.length;
      return t && n >= 1 && t.endsWith(` · ${n} ${n === 1 ? 'stall' : 'stalls'}`) && t;
    });
    assert.match(text, /^\$\(pulse\) p99 (–|[\d.]+ m?s) · \d+ stalls?$/);
    const items = await driver.texts('workbench', '.statusbar-item');
    assert.ok(items.some((t) => /p99 .* · \d+ stalls?/.test(t)), `a status bar item shows it: ${JSON.stringify(items.filter((t) => t.includes('p99')))}`);
  });

  it('opens the timeline; clicking the stall selects the culprit line in the editor', async function () {
    needsDriver(this);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(SERVER()), { viewColumn: vscode.ViewColumn.One });
    editor.selection = new vscode.Selection(0, 0, 0, 0);
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('stallscope.showTimeline');
    const mark = `[data-stall-id="${stall.id}"]`;
    await driver.waitFor('webview', mark);
    await sleep(500); // let the chart settle for the picture
    await driver.screenshot('timeline');
    const moved = new Promise<vscode.TextEditor>((resolve) => {
      const d = vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.fsPath === SERVER() && e.selections[0].active.line !== 0) {
          d.dispose();
          resolve(e.textEditor);
        }
      });
    });
    await driver.click('webview', mark);
    const revealed = await Promise.race([moved, sleep(15_000).then(() => undefined)]);
    assert.ok(revealed, 'clicking the stall moved the cursor in server.js');
    const active = vscode.window.activeTextEditor;
    assert.equal(active?.document.uri.fsPath, SERVER(), 'the fixture is the active editor');
    const line = lineOf('STALL-LINE') - 1;
    assert.equal(active.selection.active.line, line, 'the cursor is on the culprit line');
    assert.equal(active.selection.start.line, line, 'the culprit line is selected');
    assert.match(active.document.getText(active.selection), /^while \(Date\.now\(\) < until\) spins\+\+;/);
    assert.ok(active.visibleRanges.some((r) => r.contains(new vscode.Position(line, 0))), 'the line is in view');
    await sleep(300);
    await driver.screenshot('revealed');
  });

  it('rehydrates the timeline after it was hidden', async function () {
    needsDriver(this);
    await vscode.commands.executeCommand('stallscope.showTimeline');
    // Another editor in the timeline's group hides it: its page is discarded (retainContextWhenHidden: false).
    const launchJson = vscode.Uri.joinPath(workspace().uri, '.vscode/launch.json');
    await vscode.window.showTextDocument(launchJson, { viewColumn: vscode.ViewColumn.Active, preview: false });
    await sleep(500);
    await vscode.commands.executeCommand('stallscope.showTimeline');
    await driver.waitFor('webview', `[data-stall-id="${stall.id}"]`);
  });

  // What the user reads at the editor's half width and full width, in each built-in theme, and looked at
  // in the screenshots. The webview's own suite measures every text's contrast; here it is the real
  // workbench around it: its theme variables, its layout, its window.
  it('at 800 and 1600 px the stall list shows the whole file:line, in dark, light and high-contrast themes', async function () {
    needsDriver(this);
    this.timeout(120_000);
    const themes = [['dark', 'Default Dark Modern'], ['light', 'Default Light Modern'], ['hc', 'Default High Contrast']] as const;
    const config = vscode.workspace.getConfiguration();
    const line = lineOf('STALL-LINE');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('stallscope.showTimeline');
    await driver.waitFor('webview', `[data-stall-id="${stall.id}"]`);
    try {
      for (const width of [800, 1600]) {
        // The activity bar (48 px) is beside the editor; the timeline is the only editor.
        await driver.viewport(width + 48, 900);
        for (const [name, theme] of themes) {
          await config.update('workbench.colorTheme', theme, vscode.ConfigurationTarget.Global);
          await until(`the ${name} theme in the webview`, async () => {
            const kind = await driver.attribute('webview', 'body', 'data-vscode-theme-kind');
            return kind === { dark: 'vscode-dark', light: 'vscode-light', hc: 'vscode-high-contrast' }[name];
          });
          await sleep(400); // the chart redraws on the resize and the new colours
          await driver.screenshot(`timeline-${width}-${name}`);
          const list = (await driver.boxes('webview', '.tree'))[0];
          assert.ok(list && list.width > 0, 'the stall list is on screen');
          const locs = await driver.boxes('webview', '.tree .row .loc');
          assert.ok(locs.some((l) => l.text === `server.js:${line}`), `${width} px ${name}: the list names server.js:${line}: ${JSON.stringify(locs.map((l) => l.text))}`);
          for (const l of locs) {
            assert.equal(l.clipped, false, `${width} px ${name}: "${l.text}" is cut`);
            assert.ok(l.x + l.width <= list.x + list.width + 0.5, `${width} px ${name}: "${l.text}" ends past the list's edge`);
          }
          console.log(`E2E| ${width} px ${name}: ${locs.length} locations whole (${locs.map((l) => l.text).join(', ')})`);
        }
      }
    } finally {
      await config.update('workbench.colorTheme', undefined, vscode.ConfigurationTarget.Global);
      await driver.viewport(1600, 1000);
    }
  });

  it('a stall selected while the timeline follows now stays on screen as the session goes on', async function () {
    needsDriver(this);
    this.timeout(60_000);
    await vscode.commands.executeCommand('stallscope.showTimeline');
    await driver.waitFor('webview', 'svg.plot-svg');
    const following = () => driver.attribute('webview', 'button[data-action="follow"]', 'aria-pressed');
    if ((await following()) !== 'true') await driver.press('webview', 'svg.plot-svg', 'f');
    assert.equal(await following(), 'true', 'the timeline follows now');
    const t0 = Date.now();
    assert.match(await get(port, '/report'), /report after/);
    const fresh = await until('a stall of the new request', () => live.stalls.find((s) => s.pid === serverPid && !s.ongoing && s.startMs >= t0 - 50));
    const mark = `rect.stall-mark[data-stall-id="${fresh.id}"]`;
    await driver.waitFor('webview', mark);
    // A narrower follow window, so that a second of time moves the marks by many pixels.
    for (let i = 0; i < 3; i++) await driver.press('webview', 'svg.plot-svg', '+');
    assert.equal(await following(), 'true', 'zooming in keeps following');
    await driver.click('webview', mark);
    const chartView = async () => ({
      start: Number(await driver.attribute('webview', '.chart', 'data-view-start')),
      end: Number(await driver.attribute('webview', '.chart', 'data-view-end')),
    });
    await sleep(300);
    const v0 = await chartView();
    assert.equal(await following(), 'false', 'selecting a stall pauses follow');
    await sleep(3_000);
    const v1 = await chartView();
    assert.deepEqual(v1, v0, 'the window did not move');
    assert.ok(fresh.startMs >= v1.start && fresh.startMs <= v1.end, `the selected stall (${fresh.startMs}) is in the window [${v1.start}, ${v1.end}]`);
    assert.match((await driver.attribute('webview', mark, 'class')) ?? '', /\bselected\b/);
    await driver.screenshot('selected-held');
    await driver.press('webview', 'svg.plot-svg', 'f');
    assert.equal(await following(), 'true', 'F follows again');
  });

  it('a breakpoint pause in the same process is a pause range, not a stall', async function () {
    needsDriver(this);
    const line = lineOf('BREAKPOINT-LINE');
    const since = events.mark();
    const bp = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(SERVER()), new vscode.Position(line - 1, 0)));
    vscode.debug.addBreakpoints([bp]);
    try {
      await events.verifiedBreakpoint('Report server', line, since);
      const response = get(port, '/pause');
      const stopped = await events.stopped('Report server', since);
      const pausedAt = Date.now();
      assert.equal(stopped.body.reason, 'breakpoint');
      await sleep(1000);
      await vscode.commands.executeCommand('workbench.action.debug.continue');
      assert.match(await response, /resumed after \d+ ms/);
      const resumedAt = Date.now();
      // The pause as the debug adapter reported it (`stopped` … `continue`), on the server's main thread.
      const pause = await until('a closed pause range of the server process', () =>
        live.pauses.find((p) => p.pid === serverPid && p.threadId === 0 && p.reason === 'breakpoint' && p.endMs !== null),
      );
      const heldMs = (pause.endMs ?? 0) - pause.startMs;
      console.log(`E2E| pause ${pause.id}: ${Math.round(heldMs)} ms (${pause.reason}); all pauses: ${live.pauses.map((p) => `${p.id} ${p.reason}`).join(', ')}; probe stalls explained by pauses: ${api.suppressedStalls}`);
      assert.ok(heldMs >= 900 && heldMs < 10_000, `the pause lasted the ~1 s it was held (${heldMs} ms)`);
      // The probe saw the same break (V8 calls it "other"): one pause, with the adapter's reason.
      await sleep(500);
      const ofThisBreak = live.pauses.filter((p) => p.pid === serverPid && p.threadId === 0 && p.startMs < resumedAt && (p.endMs ?? Infinity) > pausedAt);
      assert.deepEqual(ofThisBreak.map((p) => p.reason), ['breakpoint'], 'the break is stored once');
      await sleep(1000); // time for a late end-of-stall message to arrive, if the probe sent one
      const during = live.stalls.filter((s) => s.pid === serverPid && s.startMs < resumedAt && s.startMs + s.durationMs > pausedAt);
      assert.deepEqual(during.map((s) => `${s.id} ${Math.round(s.durationMs)} ms`), [], 'no stall overlaps the pause');
      // Only the blocking line blocked: nothing at the breakpoint, nothing else in the fixture's code.
      const inFixture = live.stalls.filter((s) => s.pid === serverPid && s.culprit?.file === SERVER());
      const show = (s: Stall) => `${s.id}: ${Math.round(s.durationMs)} ms at ${s.startMs - pausedAt} ms from the pause, line ${s.culprit?.line} (${s.handler?.label})`;
      assert.deepEqual(inFixture.filter((s) => s.culprit?.line !== lineOf('STALL-LINE') || s.handler?.label !== 'GET /report').map(show), [], 'still only the blocking line\'s stalls in the fixture');
      assert.ok(inFixture.some((s) => s.id === stall.id), 'the first stall is still there');
    } finally {
      vscode.debug.removeBreakpoints([bp]);
    }
  });

  it('a block right after Continue, in the same handler call as the breakpoint, is still a stall', async function () {
    needsDriver(this);
    const line = lineOf('PAUSE-THEN-BLOCK');
    const since = events.mark();
    const bp = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(SERVER()), new vscode.Position(line - 1, 0)));
    vscode.debug.addBreakpoints([bp]);
    try {
      await events.verifiedBreakpoint('Report server', line, since);
      const response = get(port, '/pause-then-block');
      await events.stopped('Report server', since);
      await sleep(500);
      const continuedAt = Date.now();
      await vscode.commands.executeCommand('workbench.action.debug.continue');
      assert.match(await response, /blocked after the pause/);
      const answeredAt = Date.now();
      const after = await until('the stall after Continue', () =>
        live.stalls.find((s) => s.pid === serverPid && !s.ongoing && s.startMs < answeredAt && s.startMs + s.durationMs > continuedAt && s.durationMs >= 200),
      );
      console.log(`E2E| after Continue: ${after.id} ${Math.round(after.durationMs)} ms at ${after.culprit?.file}:${after.culprit?.line} (${after.handler?.label})`);
      assert.ok(after.durationMs < 3000, `a 300 ms block, not the pause (${after.durationMs} ms)`);
      assert.equal(after.handler?.label, 'GET /pause-then-block');
      assert.equal(after.culprit?.line, lineOf('AFTER-PAUSE-LINE'), 'the blocking line after the breakpoint');
    } finally {
      vscode.debug.removeBreakpoints([bp]);
    }
  });

  it('Check Endpoints loads the live server\'s endpoints and shows the verdicts in the timeline', async function () {
    needsDriver(this);
    this.timeout(120_000);
    const config = vscode.workspace.getConfiguration();
    await config.update('stallscope.check.durationSeconds', 2, vscode.ConfigurationTarget.Workspace);
    try {
      const check = await vscode.commands.executeCommand<CheckView | undefined>('stallscope.checkEndpoints', 'GET /report, GET /fast', 'GET /health');
      assert.ok(check, 'the check ran');
      console.log(`E2E| check: ${check.status} ${check.message ?? ''}; ${check.endpoints.map((e) => `${e.endpoint} ${e.verdict} ${e.stalls} stalls max ${Math.round(e.maxStallMs)} ms canary ${e.canaryP99Ms}`).join('; ')}`);
      assert.equal(check.status, 'done', check.message);
      assert.equal(check.baseUrl, `http://127.0.0.1:${port}`, 'the port the probe saw');
      const [report, fast] = check.endpoints;
      const fastStalls = live.stalls.filter((s) => s.handler?.label === 'GET /fast').map((s) => ({ ms: Math.round(s.durationMs), culprit: s.culprit, cause: s.cause, b2b: s.backToBack, victims: s.victims?.length, top: s.frames.slice(0, 4).map((f) => `${f.function} ${f.file}:${f.line}`) }));
      assert.deepEqual([report.endpoint, report.verdict, fast.endpoint, fast.verdict], ['GET /report', 'blocking', 'GET /fast', 'non-blocking'], `the stalls labelled GET /fast: ${JSON.stringify(fastStalls)}`);
      assert.equal(report.culprit?.file, SERVER());
      assert.equal(report.culprit?.line, lineOf('STALL-LINE'));
      assert.ok(live.getStall(report.culprit.stallId), 'the culprit points at a stall of the session');
      assert.deepEqual(api.lastCheck, check);
      await driver.waitFor('webview', '.check-pane tr[data-endpoint="GET /fast"]');
      const rows = await driver.texts('webview', '.check-pane tbody tr');
      assert.match(rows[0], /GET \/report\s*blocking/);
      assert.match(rows[1], /GET \/fast\s*non-blocking/);
      await driver.screenshot('check');
    } finally {
      await config.update('stallscope.check.durationSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('ending the debug session ends the live recording', async function () {
    needsDriver(this);
    await stopLaunch('Report server');
    await until('the recording to stop being live', () => live.live === false);
    assert.equal(api.current, live, 'the finished recording stays on screen');
    const n = live.stalls.length;
    await until('the status bar to show the finished recording', () => api.statusText === `$(history) ${n} ${n === 1 ? 'stall' : 'stalls'} · ended`);
  });

  it('a launch configuration with "stallscope": true gets the probe', async function () {
    const before = api.current;
    assert.equal(await vscode.debug.startDebugging(workspace(), 'Opt-in server'), true);
    const { match } = await events.output('Opt-in server', /NODE_OPTIONS=(.*)/);
    assert.match(match[1], PROBE_REQUIRE);
    const rec = await until('a new live recording with the probe', () => api.current !== before && api.current?.live && api.current.processes.length > 0 && api.current);
    assert.equal(rec.title, 'Opt-in server');
    assert.ok(before && api.recent.includes(before), 'the finished recording is kept under Show Recent Recording, not thrown away');
    assert.ok(before.stalls.length > 0, 'whole');
    await stopLaunch('Opt-in server');
    await until('the opt-in recording to end', () => !rec.live);
    if (!driver.available) return;
    // Both finished recordings stay at hand: the earlier one comes back from Show Recent Recording.
    const shown = vscode.commands.executeCommand<boolean>('stallscope.showRecentRecording');
    await driver.quickPick('Report server');
    assert.equal(await shown, true);
    assert.equal(api.current, before, 'the earlier recording is on screen again');
    assert.ok(api.recent.includes(rec), 'and the opt-in one is kept under recent');
  });

  it('a Node launch that did not opt in runs without the probe', async function () {
    const before = api.current;
    const since = events.mark();
    assert.equal(await vscode.debug.startDebugging(workspace(), 'Plain server'), true);
    const { match } = await events.output('Plain server', /NODE_OPTIONS=(.*)/, since);
    assert.doesNotMatch(match[1], /probe\.js/);
    assert.doesNotMatch(match[1], /STALLSCOPE/);
    await events.output('Plain server', /LISTENING \d+/, since);
    assert.equal(api.current, before, 'no new recording');
    // The finished recording's count must not pass for a watched session.
    await until('the status bar to say nothing watches this session', () => api.statusText === '$(debug-disconnect) Stallscope: not watching');
    await stopLaunch('Plain server');
    await until('the status bar to show the finished recording again', () => api.statusText?.endsWith(' · ended')).catch((e: Error) => {
      throw new Error(`${e.message}: status ${JSON.stringify(api.statusText)}, on screen ${JSON.stringify(api.current?.title)}, active session ${JSON.stringify(vscode.debug.activeDebugSession?.name)}`);
    });
  });

  it('the enableForAllNodeSessions setting puts the probe into a launch that did not opt in', async function () {
    const setting = vscode.workspace.getConfiguration('stallscope');
    await setting.update('enableForAllNodeSessions', true, vscode.ConfigurationTarget.Global);
    try {
      const before = api.current;
      const since = events.mark();
      assert.equal(await vscode.debug.startDebugging(workspace(), 'Plain server'), true);
      const rec = await until('a recording for the plain launch', () => api.current !== before && api.current?.live && api.current.processes.length > 0 && api.current);
      assert.equal(rec.title, 'Plain server');
      const { match } = await events.output('Plain server', /NODE_OPTIONS=(.*)/, since);
      assert.match(match[1], PROBE_REQUIRE);
      await stopLaunch('Plain server');
      await until('the recording to end', () => !rec.live);
    } finally {
      await setting.update('enableForAllNodeSessions', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a node-terminal launch with "stallscope": true gets the probe too', async function () {
    const before = api.current;
    const ok = await vscode.debug.startDebugging(workspace(), {
      type: 'node-terminal',
      request: 'launch',
      name: 'Terminal server',
      command: 'node server.js',
      cwd: workspace().uri.fsPath,
      stallscope: true,
    });
    assert.equal(ok, true);
    const rec = await until('the terminal\'s server to connect', () => api.current !== before && api.current?.live && api.current.processes.length > 0 && api.current, 30_000);
    const proc = rec.processes.find((p) => p.argv.some((a) => a.endsWith('server.js')));
    assert.ok(proc, `the server process reported: ${JSON.stringify(rec.processes.map((p) => p.argv))}`);
    console.log(`E2E| debuggee pid ${proc.pid} ("Terminal server")`);
    let root = vscode.debug.activeDebugSession;
    while (root?.parentSession) root = root.parentSession;
    assert.equal(root?.name, 'Terminal server');
    await vscode.debug.stopDebugging(root);
    await until('the terminal recording to end', () => !rec.live, 30_000);
  });

  it('Save Recording writes the report that Open Recording reads back', async function () {
    const file = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stallscope-e2e-')), 'saved.json'));
    const current = api.current;
    assert.ok(current);
    const saved = await vscode.commands.executeCommand<vscode.Uri | undefined>('stallscope.saveRecording', file);
    assert.equal(saved?.fsPath, file.fsPath);
    assert.equal(api.lastSaveMessage, `Stallscope: saved the recording to ${file.fsPath}`, 'the save says where the file went');
    const report = JSON.parse(fs.readFileSync(file.fsPath, 'utf8')) as { version: number; stalls: unknown[] };
    assert.equal(report.version, 1);
    assert.equal(report.stalls.length, current.stalls.length);
    assert.equal(await vscode.commands.executeCommand('stallscope.openRecording', file), true);
    const opened = await until('the opened recording', () => api.current !== current && api.current);
    assert.equal(opened.title, 'saved.json');
    assert.equal(opened.live, false);
    assert.equal(opened.stalls.length, current.stalls.length);
  });

  it('a stall with no line of the user\'s code opens the timeline on it (what is known), not a warning', async function () {
    needsDriver(this);
    const t0 = Date.now() - 60_000;
    const report = {
      version: 1,
      pid: 4242,
      command: ['node', 'server.js'],
      startedAt: new Date(t0).toISOString(),
      stalls: [
        {
          id: '4242.0.1',
          pid: 4242,
          thread: { id: 0 },
          startMs: t0 + 1000,
          durationMs: 420,
          culprit: null,
          frames: [{ file: 'node:fs', line: 1, column: 1, function: 'readFileSync' }],
          handler: { kind: 'http', label: 'GET /file' },
          cause: { kind: 'native', api: 'readFileSync' },
        },
      ],
      lag: [],
      processes: [{ pid: 4242, ppid: 1, argv: ['node', 'server.js'], cwd: '/app', runtime: { name: 'node', version: '22.4.0' }, mode: 'full', startedAtMs: t0, threads: [{ id: 0 }] }],
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'stallscope-e2e-')), 'native.json');
    fs.writeFileSync(file, JSON.stringify(report));
    assert.equal(await vscode.commands.executeCommand('stallscope.openRecording', vscode.Uri.file(file)), true);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(await vscode.commands.executeCommand('stallscope.revealStall', '4242.0.1'), true);
    await driver.waitFor('webview', '[data-stall-id="4242.0.1"][aria-selected="true"]');
    assert.equal(vscode.window.activeTextEditor, undefined, 'no editor was opened on node:fs');
    await driver.screenshot('no-user-code');
  });

  it('Open Recording of a malformed file shows a clear error and keeps what is on screen', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stallscope-e2e-'));
    const bad = path.join(dir, 'not-a-report.json');
    fs.writeFileSync(bad, JSON.stringify({ version: 1, pid: 'twelve', command: [], startedAt: new Date().toISOString(), stalls: [], lag: [] }));
    const before = api.current;
    assert.equal(await vscode.commands.executeCommand('stallscope.openRecording', vscode.Uri.file(bad)), false);
    assert.equal(api.current, before, 'the recording on screen is unchanged');
    if (!driver.available) return;
    // Toasts do not show while the extension-test payload runs; the notification center lists them all.
    await vscode.commands.executeCommand('notifications.showList');
    const item = '.notifications-center .notification-list-item-message';
    await driver.waitFor('workbench', item);
    const messages = await driver.texts('workbench', item);
    assert.ok(
      messages.some((t) => t.includes('not-a-report.json is not a Stallscope recording: "pid" must be a non-negative integer')),
      `the error names the file and the problem: ${JSON.stringify(messages)}`,
    );
    await driver.screenshot('open-recording-error');
  });
});
