/**
 * A real debugpy session with the probe: the debug adapter VS Code's Python debugger starts
 * (`python -m debugpy.adapter`), driven over DAP by @vscode/debugadapter-testsupport's DebugClient,
 * launching a program whose launch configuration was composed by the extension's own injection
 * (src/host/debugConfig.ts), reporting to a real ProbeServer + Recording. A breakpoint holds the
 * event loop for a second: that is not a stall; a real block after it is; the probe's threads are
 * not in the debugger's thread list.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { injectProbe, type LaunchConfig } from '../../src/host/debugConfig';
import type { Stall } from '../../src/shared/protocol/model';
import { ProbeHost, sleep, waitFor } from '../probe/harness';
import { ROOT, TOOLS_FIXTURES, VENV_PYTHON, ensurePythonTools, lineOf } from './fixtures-tools/pythonEnv';

const PROGRAM = join(TOOLS_FIXTURES, 'debugpy-app', 'program.py');
const ADAPTER = join(ROOT, '.venv', 'lib', 'python3.11', 'site-packages', 'debugpy', 'adapter');
const HOLD_MS = 1000;

let host: ProbeHost;
before(async () => {
  ensurePythonTools();
  host = await ProbeHost.start();
});
after(() => host?.close());

test('debugpy: a breakpoint that holds the loop for a second is not a stall, a real block after it is', async () => {
  const breakLine = lineOf(PROGRAM, '# BREAK');
  const blockLine = lineOf(PROGRAM, '# BLOCK');
  // The launch configuration a user writes, given the probe the way the extension gives it.
  const config: LaunchConfig = injectProbe(
    { type: 'debugpy', request: 'launch', name: 'probe under debugpy', program: PROGRAM, cwd: join(TOOLS_FIXTURES, 'debugpy-app'), python: VENV_PYTHON, console: 'internalConsole', justMyCode: true, stallscope: true },
    { probePath: join(ROOT, 'dist', 'probe.js'), sessionId: 'debugpy-session', options: { url: host.url, token: host.token, thresholdMs: 50 } },
  );
  const dc = new DebugClient(VENV_PYTHON, ADAPTER, 'debugpy', { env: { ...process.env, PYTHONPATH: '' } }, true);
  dc.defaultTimeout = 30_000;
  let output = '';
  dc.on('output', (e: DebugProtocol.OutputEvent) => (output += e.body.output));
  await dc.start();
  try {
    const stopped = dc.waitForEvent('stopped', 30_000) as Promise<DebugProtocol.StoppedEvent>;
    await Promise.all([
      dc
        .waitForEvent('initialized')
        .then(() => dc.setBreakpointsRequest({ source: { path: PROGRAM }, breakpoints: [{ line: breakLine }] }))
        .then((r) => assert.equal(r.body.breakpoints[0]?.verified, true, JSON.stringify(r.body)))
        .then(() => dc.configurationDoneRequest()),
      dc.launch(config),
    ]);
    const stop = await stopped;
    assert.equal(stop.body.reason, 'breakpoint');
    const threadId = stop.body.threadId!;
    const pausedAt = Date.now();
    const trace = await dc.stackTraceRequest({ threadId, levels: 1 });
    assert.equal(trace.body.stackFrames[0]?.line, breakLine);

    // The probe's threads (watchdog, transport) are not the user's: the debugger does not list them.
    const threads = (await dc.threadsRequest()).body.threads.map((t) => t.name);
    assert.ok(threads.some((n) => /MainThread/.test(n)), threads.join(', '));
    assert.deepEqual(threads.filter((n) => /stallscope/i.test(n)), [], `threads shown by the debugger: ${threads.join(', ')}`);

    await sleep(HOLD_MS);
    // While the debugger holds every thread of the program, the probe's own threads still run: they
    // told the host of the pause as it began.
    assert.ok(
      host.messages('pause').some((r) => r.msg.pause.endMs == null),
      `no pause reported while paused: ${JSON.stringify(host.received.map((r) => r.msg.type))}`,
    );
    await dc.continueRequest({ threadId });
    const pausedMs = Date.now() - pausedAt;
    await dc.waitForEvent('terminated', 30_000);

    // The probe connected from inside the debuggee and told the block after the pause.
    const block = await waitFor(() => host.stalls().find((s) => s.culprit?.line === blockLine), 10_000, `the stall at line ${blockLine} (output: ${output})`);
    assert.equal(block.culprit?.file, PROGRAM);
    assert.ok(block.durationMs >= 280 && block.durationMs < 800, `a 300 ms block measured ${block.durationMs} ms`);
    assert.equal(block.cause?.api, 'time.sleep');
    // The pause is told as what it is: a debugger pause range, about as long as the hold.
    const pauses = host.messages('pause').map((r) => r.msg.pause).filter((p) => p.endMs != null);
    assert.equal(pauses.length, 1, JSON.stringify(pauses));
    const pause = pauses[0];
    assert.equal(pause.reason, 'debugger');
    const pauseMs = pause.endMs! - pause.startMs;
    assert.ok(pauseMs >= HOLD_MS * 0.9 && pauseMs <= pausedMs + 500, `pause of ${pauseMs} ms for a ${pausedMs} ms hold`);
    // And the pause is no stall: none overlaps it, none is anywhere near as long, none is at the breakpoint.
    const describe = (s: Stall) => `${Math.round(s.durationMs)} ms at ${s.culprit?.file}:${s.culprit?.line}`;
    const stalls = host.stalls();
    assert.deepEqual(stalls.filter((s) => s.startMs < pause.endMs! && s.startMs + s.durationMs > pause.startMs).map(describe), [], `stalls during the ${pausedMs} ms pause`);
    assert.deepEqual(stalls.filter((s) => s.durationMs >= HOLD_MS / 2 || s.culprit?.line === breakLine).map(describe), [], 'stalls that look like the pause');
    const [conn] = host.connections;
    assert.equal(conn?.hello.sessionId, 'debugpy-session');
    assert.match(output, /threads at exit: .*MainThread/);
  } finally {
    await dc.stop().catch(() => undefined);
  }
});
