/**
 * Every process of a server's tree reports with its own pid: uvicorn `--workers 2` (spawned
 * workers), `--reload` (the reloader runs no loop; its server child reports), uvicorn.run() in the
 * program (what `fastapi run` and `fastapi dev` do), gunicorn with
 * UvicornWorker (forked workers: the probe resets in each child). Each tells the port it listens on
 * (a `listening` message, as `stallscope check` needs), and after `run` exits no process is left.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { APPS, FASTAPI_APP, ROOT, VENV_PYTHON, alive, ensurePythonTools, get, lineOf, runProbed, startUvicorn, type ProbedRun } from './probeHarness';

before(() => ensurePythonTools());

/** Blocks GET /items/{n} `n` times at once, then stops the run and checks nothing is left. */
async function blockAndStop(run: ProbedRun, port: number, n: number) {
  const res = await Promise.all(Array.from({ length: n }, (_, i) => get(port, `/items/${i}`)));
  for (const r of res) assert.equal(r.status, 200);
  await new Promise((r) => setTimeout(r, 300));
  const exit = await run.stop();
  assert.ok(exit.code === 0 || exit.code === 143, `exit ${exit.code}\n${run.output()}`);
  const report = run.report();
  const pids = (report.processes ?? []).map((p) => p.pid);
  await new Promise((r) => setTimeout(r, 200));
  for (const pid of pids) assert.ok(!alive(pid), `pid ${pid} outlived the run`);
  // (A stall in the same requests whose stack never reached the endpoint is other work, not a sleep:
  // a forked gunicorn worker's first collection, run from a weakref callback in the framework.)
  const sleeps = report.stalls.filter((s) => s.handler?.route === '/items/{item_id}' && s.frames.some((f) => f.function === 'read_item'));
  for (const s of sleeps) {
    assert.equal(s.culprit?.line, lineOf(FASTAPI_APP, '# BLOCK:sleep'));
    // A request queued behind another may start its sleep before the loop runs its timers again
    // (uvloop runs ready callbacks first): then the two sleeps are one stall of the loop.
    assert.ok(s.durationMs >= 195 && s.durationMs < 200 * n + 300, `${s.durationMs} ms`);
  }
  const total = sleeps.reduce((a, s) => a + s.durationMs, 0);
  assert.ok(total >= 195 * n, `${n} sleeps of 200 ms, ${total.toFixed(0)} ms of stalls`);
  return { report, sleeps };
}

test('uvicorn --workers 2: both workers report, each with its pid; each tells the shared port', async () => {
  const { run, port } = await startUvicorn(['--workers', '2']);
  const { report, sleeps } = await blockAndStop(run, port, 8);
  // The supervisor runs no loop; its two spawned workers each report with their own pid.
  const workers = (report.processes ?? []).filter((p) => p.argv.some((a) => a.includes('multiprocessing')));
  assert.equal(workers.length, 2, JSON.stringify(report.processes?.map((p) => [p.pid, p.argv])));
  const workerPids = new Set(workers.map((p) => p.pid));
  assert.ok(workers.every((p) => p.runtime.name === 'python' && p.ppid === report.pid));
  // Every worker tells the port it serves (the socket its parent bound, which it starts listening on
  // only once its server starts); the supervisor, which runs no server, never does.
  const listening = (report.servers ?? []).filter((s) => s.port === port);
  assert.deepEqual(listening.map((s) => s.pid).sort(), [...workerPids].sort(), `each worker tells the port: ${JSON.stringify(report.servers)}`);
  // Which worker accepts each connection is the kernel's choice: the stalls are the workers'.
  assert.ok(sleeps.length >= 1 && sleeps.every((s) => workerPids.has(s.pid)), JSON.stringify(sleeps.map((s) => s.pid)));
});

test('uvicorn --reload: the server child reports; the reloader, which runs no loop, does not connect', async () => {
  const { run, port } = await startUvicorn(['--reload', '--reload-dir', APPS]);
  const { report, sleeps } = await blockAndStop(run, port, 2);
  assert.ok(sleeps.length >= 1);
  assert.equal(new Set(sleeps.map((s) => s.pid)).size, 1);
  assert.equal(report.processes?.length, 1, JSON.stringify(report.processes?.map((p) => p.argv)));
  assert.equal(report.servers?.[0]?.port, port);
});

for (const reload of [false, true]) {
  test(`uvicorn.run() in the program (fastapi ${reload ? 'dev: reload=True' : 'run'}, python main.py): ${reload ? 'the spawned server reports, the reloader does not' : 'the program reports'}`, async () => {
    const { run, port } = await startUvicorn([], { command: [VENV_PYTHON, 'serve_app.py', ...(reload ? ['--reload'] : [])] });
    const { report, sleeps } = await blockAndStop(run, port, 2);
    assert.ok(sleeps.length >= 1);
    assert.equal(report.processes?.length, 1, JSON.stringify(report.processes?.map((p) => p.argv)));
    const [server] = report.processes ?? [];
    // Under the reloader, the server is a child spawned through multiprocessing; else the program itself.
    if (reload) assert.ok(server.pid !== report.pid && server.argv.some((a) => a.includes('multiprocessing')), JSON.stringify(server));
    else assert.equal(server.pid, report.pid);
    assert.ok(sleeps.every((s) => s.pid === server.pid && s.handler?.label === 'GET /items/{item_id}'), JSON.stringify(sleeps.map((s) => [s.pid, s.handler])));
    assert.deepEqual(report.servers?.map((s) => [s.pid, s.port]), [[server.pid, port]]);
  });
}

test('gunicorn -k uvicorn.workers.UvicornWorker -w 2: forked workers report with their own pids', async () => {
  const run = runProbed([path.join(ROOT, '.venv', 'bin', 'gunicorn'), '-k', 'uvicorn.workers.UvicornWorker', '-w', '2', '-b', '127.0.0.1:0', 'fastapi_app:app']);
  // gunicorn logs its port; the probe's listening messages say it too.
  const m = await run.waitFor(/Listening at: http:\/\/127\.0\.0\.1:(\d+)/);
  const port = Number(m[1]);
  for (let i = 0; ; i++) {
    try {
      if ((await get(port, '/health')).status === 200) break;
    } catch {
      // workers booting
    }
    assert.ok(i < 300, `gunicorn never answered:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const { report, sleeps } = await blockAndStop(run, port, 8);
  // gunicorn's workers race for each connection: which of them blocks is up to the kernel.
  const workerPids = new Set((report.processes ?? []).filter((p) => p.pid !== report.pid).map((p) => p.pid));
  assert.equal(workerPids.size, 2, JSON.stringify(report.processes?.map((p) => [p.pid, p.ppid])));
  assert.ok(sleeps.length >= 1 && sleeps.every((s) => workerPids.has(s.pid)), JSON.stringify(sleeps.map((s) => s.pid)));
  for (const pid of workerPids) {
    assert.equal(report.processes?.find((p) => p.pid === pid)?.ppid, report.pid, "a worker is forked by gunicorn's master, the command run started");
  }
  for (const pid of workerPids) assert.ok((report.servers ?? []).some((s) => s.port === port && s.pid === pid), `worker ${pid} tells its port`);
});
