/**
 * A hang that holds the GIL, seen while it lasts: the probe's threads cannot run, so the host reads
 * faulthandler's dump from the process's hang file and shows an ongoing stall at its line; the
 * probe's own stall replaces it if the call ever returns, and a process killed while hung keeps it.
 * Real Python processes, the real ProbeServer → ProbeFeed → Recording the CLI and extension use.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withProbe } from '../../src/core/probeEnv';
import type { Stall } from '../../src/shared/protocol/model';
import { PROBE, ProbeHost, waitFor } from '../probe/harness';
import { FASTAPI_APP, VENV_PYTHON, cleanEnv, ensurePythonTools, get, lineOf } from './probeHarness';

const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'stallscope-hang-'));
const APP = path.join(DIR, 'hang.py');
fs.writeFileSync(
  APP,
  `import asyncio, re, sys, threading, time
if sys.argv[2] == "uvloop":
    import uvloop
    uvloop.install()

def match(n):
    time.sleep(0.2)
    re.match(r"(a+)+$", "a" * n + "b")  # HANG:thread

async def main():
    await asyncio.sleep(0.3)
    n = int(sys.argv[1])
    print("BLOCK", flush=True)
    if sys.argv[3] == "thread":
        threading.Thread(target=match, args=(n,), daemon=True).start()
        await asyncio.sleep(60)
    re.match(r"(a+)+$", "a" * n + "b")  # HANG:loop
    print("DONE", flush=True)
    await asyncio.sleep(0.3)

asyncio.run(main())
`,
);

let host: ProbeHost;
const children: ChildProcess[] = [];

before(async () => {
  ensurePythonTools();
  host = await ProbeHost.start();
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await host.close();
  fs.rmSync(DIR, { recursive: true, force: true });
});

function start(n: number, loop: 'asyncio' | 'uvloop', where: 'loop' | 'thread') {
  return spawnProbed([APP, String(n), loop, where], DIR);
}

function spawnProbed(args: string[], cwd: string) {
  const env = withProbe(cleanEnv(), PROBE, { url: host.url, token: host.token, thresholdMs: 50 });
  const child = spawn(VENV_PYTHON, args, { cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, output: () => out, exited };
}

function stallsOf(pid: number): Stall[] {
  return host.recording.stalls.filter((s) => s.pid === pid);
}

async function hungAt(pid: number, what: string): Promise<Stall> {
  return waitFor(() => stallsOf(pid).find((s) => s.ongoing && s.culprit), 20_000, what);
}

for (const loop of ['asyncio', 'uvloop'] as const) {
  test(`${loop}: a regex that never returns is an ongoing stall at its line while it lasts, closed when the process is killed`, async () => {
    const p = start(40, loop, 'loop');
    const shown = await hungAt(p.child.pid!, `an ongoing stall while the regex runs (${p.output()})`);
    assert.deepEqual(
      { file: shown.culprit?.file, line: shown.culprit?.line, function: shown.culprit?.function, cause: shown.cause },
      { file: APP, line: lineOf(APP, '# HANG:loop'), function: 'main', cause: { kind: 'native', holdsGil: true } },
    );
    assert.equal(shown.frames[0].function, 'match', 'the full stack, innermost first (re.match)');
    assert.ok(!shown.frames.some((f) => f.file.includes(`${path.sep}stallscope${path.sep}`)), 'no frame of the probe');
    assert.ok(!p.output().includes('DONE'));
    const first = shown.durationMs;
    const later = await waitFor(() => {
      const s = host.recording.getStall(shown.id);
      return s && s.durationMs > first + 400 ? s : undefined;
    }, 10_000, 'its duration growing');
    assert.ok(later.ongoing);
    p.child.kill('SIGKILL');
    await p.exited;
    const closed = await waitFor(() => {
      const s = host.recording.getStall(shown.id);
      return s && !s.ongoing ? s : undefined;
    }, 10_000, 'the stall closed as the process ended');
    assert.ok(closed.durationMs >= later.durationMs, `closed at the end (${closed.durationMs} ms ≥ ${later.durationMs} ms)`);
    assert.equal(stallsOf(p.child.pid!).length, 1, 'one stall: the hang');
  });
}

test('asyncio: a call that returns after a few seconds: the hang shown meanwhile gives way to the probe\'s own stall', async () => {
  const p = start(26, 'asyncio', 'loop');
  const pid = p.child.pid!;
  const shown = await hungAt(pid, 'an ongoing stall while the regex runs');
  assert.equal(shown.culprit?.line, lineOf(APP, '# HANG:loop'));
  await p.exited;
  assert.match(p.output(), /DONE/);
  const told = await waitFor(() => stallsOf(pid).find((s) => !s.ongoing && s.culprit?.line === shown.culprit?.line && s.id !== shown.id), 10_000, 'the probe\'s own stall');
  assert.equal(host.recording.getStall(shown.id), undefined, 'the stall shown while it lasted is taken back');
  assert.equal(stallsOf(pid).length, 1, 'one stall');
  assert.ok(Math.abs(told.startMs - shown.startMs) < 100, `the hang was shown from when it began (${shown.startMs} vs ${told.startMs})`);
  assert.deepEqual(told.cause && { kind: told.cause.kind, holdsGil: told.cause.holdsGil }, { kind: 'native', holdsGil: true });
});

test('uvloop: a thread that holds the GIL and never lets go is shown as starving the loop, at the thread\'s line', async () => {
  const p = start(40, 'uvloop', 'thread');
  const shown = await hungAt(p.child.pid!, 'an ongoing stall while the thread runs its regex');
  assert.deepEqual(
    { line: shown.culprit?.line, function: shown.culprit?.function, cause: shown.cause?.kind, thread: shown.thread.id },
    { line: lineOf(APP, '# HANG:thread'), function: 'match', cause: 'gil', thread: 0 },
  );
  p.child.kill('SIGKILL');
  await p.exited;
});

test('FastAPI on uvicorn: an endpoint hung in a regex is shown with its route pattern while it hangs', async () => {
  const p = spawnProbed(['-m', 'uvicorn', `${path.basename(FASTAPI_APP, '.py')}:app`, '--port', '0'], path.dirname(FASTAPI_APP));
  const port = Number((await waitFor(() => /Uvicorn running on http:\/\/127\.0\.0\.1:(\d+)/.exec(p.output()), 30_000, 'uvicorn\'s port'))[1]);
  assert.equal((await get(port, '/health')).status, 200);
  // The probe lists the app's routes for the host once it finds the server listening (its scans
  // come every 0.5 s at first): a hang in the first half-second after start-up has its line, not its route.
  await new Promise((r) => setTimeout(r, 1200));
  void get(port, '/validate/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', 60_000).catch(() => undefined);
  const shown = await hungAt(p.child.pid!, 'an ongoing stall while the endpoint hangs');
  assert.deepEqual(
    { line: shown.culprit?.line, function: shown.culprit?.function, route: shown.handler?.label, cause: shown.cause },
    { line: lineOf(FASTAPI_APP, '# BLOCK:hang'), function: 'validate', route: 'GET /validate/{email}', cause: { kind: 'native', holdsGil: true } },
  );
  p.child.kill('SIGKILL');
  await p.exited;
});
