/**
 * The pytest plugin, run for real: pytest on a real FastAPI app whose endpoint really blocks, with
 * httpx's ASGITransport under anyio's plugin and with a live uvicorn server (asyncio and uvloop);
 * loaded with `-p stallscope` from the shipped probe folder, and through its pytest11 entry point
 * once the package is pip-installed. A test that blocks fails with the line, route and cause; one
 * that does not passes.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TOOLS_FIXTURES, VENV_PYTHON, VENV313_PYTHON, ensurePythonTools, lineOf, pythonEnv } from './fixtures-tools/pythonEnv';
import { runPytest, type PytestRun } from './fixtures-tools/pytestRun';

const APP_DIR = join(TOOLS_FIXTURES, 'pytest-app');
const STARLETTE_DIR = join(TOOLS_FIXTURES, 'pytest-starlette');

before(() => ensurePythonTools());

/** The failure text of a test that blocked 250 ms at `line` of app.py, in GET /items/{item_id}. */
function assertBlockedAt(run: PytestRun, id: string, line: number): void {
  const t = run.tests.get(id);
  assert.ok(t, `${id} missing from the report:\n${run.output}`);
  assert.equal(t.outcome, 'failed', `${id}: ${JSON.stringify(t)}\n${run.output}`);
  const first = (t.message ?? '').replace(/^Failed: /, '').split('\n')[0];
  const m = /^event loop stalled (\d+) ms > budget 100 ms at (\S+) in (.+)$/.exec(first);
  assert.ok(m, `${id}: unexpected failure text: ${first}`);
  const ms = Number(m[1]);
  assert.ok(ms >= 230 && ms <= 600, `${id}: stalled ${ms} ms for a 250 ms sleep`);
  assert.equal(m[2], `app.py:${line}`);
  assert.equal(m[3], 'GET /items/{item_id} (time.sleep)');
}

function assertPassed(run: PytestRun, id: string): void {
  const t = run.tests.get(id);
  assert.ok(t, `${id} missing from the report:\n${run.output}`);
  assert.equal(t.outcome, 'passed', `${id}: ${t.message ?? ''}\n${run.output}`);
}

test('pytest -p stallscope: a test whose FastAPI endpoint blocks fails with line, route and cause; quiet ones pass', async () => {
  const line = lineOf(join(APP_DIR, 'app.py'), '# BLOCK');
  const run = await runPytest(VENV_PYTHON, ['-p', 'stallscope', 'test_asgi.py', 'test_live.py'], APP_DIR, pythonEnv());
  assert.equal(run.code, 1, `pytest exits 1 when a test failed:\n${run.output}`);
  assertBlockedAt(run, 'test_asgi.py::test_blocking_endpoint', line);
  assertBlockedAt(run, 'test_asgi.py::test_fixture_default_budget', line); // the fixture alone: 100 ms
  assertBlockedAt(run, 'test_live.py::test_live_blocking[asyncio]', line);
  assertBlockedAt(run, 'test_live.py::test_live_blocking[uvloop]', line);
  assertBlockedAt(run, 'test_live.py::test_fixture_server_blocking', line); // its loop started in setup
  assertPassed(run, 'test_live.py::test_fixture_server_quiet');
  assertPassed(run, 'test_asgi.py::test_quiet_endpoint');
  assertPassed(run, 'test_asgi.py::test_def_endpoint'); // a def endpoint sleeps in the threadpool: no stall
  assertPassed(run, 'test_asgi.py::test_fixture_sees_the_stall_under_a_raised_budget');
  assertPassed(run, 'test_live.py::test_live_quiet[asyncio]');
  assertPassed(run, 'test_live.py::test_live_quiet[uvloop]');
  assert.equal(run.tests.size, 11, [...run.tests.keys()].join('\n'));
  // What a pytest user reads in the terminal: the summary line names the stall.
  assert.match(run.output, /FAILED test_asgi\.py::test_blocking_endpoint - (Failed: )?event loop stalled \d+ ms > budget 100 ms/);
});

test('the pytest11 entry point: pip install of the package loads the plugin without -p and without the probe folder', async () => {
  const work = mkdtempSync(join(tmpdir(), 'stallscope-pip-'));
  try {
    // Installed from a copy: a build in place would leave build/ and *.egg-info in the source tree.
    cpSync(join(ROOT, 'src', 'python'), join(work, 'src'), { recursive: true, filter: (p) => !p.includes('__pycache__') });
    const target = join(work, 'site');
    const pip = spawnSync(VENV_PYTHON, ['-m', 'pip', 'install', '-q', '--no-deps', '--target', target, join(work, 'src')], {
      encoding: 'utf8',
      env: { ...process.env, PIP_RETRIES: '0', PIP_TIMEOUT: '2' },
    });
    assert.equal(pip.status, 0, `pip install failed:\n${pip.stdout}${pip.stderr}`);
    const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: target, PYTHONDONTWRITEBYTECODE: '1' };
    delete env.STALLSCOPE_OPTIONS;
    const line = lineOf(join(APP_DIR, 'app.py'), '# BLOCK');
    const run = await runPytest(VENV_PYTHON, ['test_asgi.py'], APP_DIR, env);
    assert.equal(run.code, 1, run.output);
    assertBlockedAt(run, 'test_asgi.py::test_blocking_endpoint', line);
    assertPassed(run, 'test_asgi.py::test_quiet_endpoint');
    assertPassed(run, 'test_asgi.py::test_fixture_sees_the_stall_under_a_raised_budget');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('Python 3.13: the plugin on a Starlette app, in-process and live', async () => {
  const line = lineOf(join(STARLETTE_DIR, 'app.py'), '# BLOCK');
  const run = await runPytest(VENV313_PYTHON, ['-p', 'stallscope', 'test_starlette.py'], STARLETTE_DIR, pythonEnv());
  assert.equal(run.code, 1, run.output);
  assertBlockedAt(run, 'test_starlette.py::test_asgi[/items/1]', line);
  assertBlockedAt(run, 'test_starlette.py::test_live[/items/2]', line);
  assertPassed(run, 'test_starlette.py::test_asgi[/quiet/1]');
  assertPassed(run, 'test_starlette.py::test_live[/quiet/2]');
});

test('the failure text says where, in which handler and why, for every kind of cause', async () => {
  const run = await runPytest(VENV_PYTHON, ['test_describe.py'], join(TOOLS_FIXTURES, 'plugin-text'), pythonEnv());
  assert.equal(run.code, 0, run.output);
  assert.deepEqual([...run.tests.values()].map((t) => t.outcome), ['passed', 'passed', 'passed'], run.output);
});

test('a budget that is not a positive number is a usage error, not a silent pass', async () => {
  const run = await runPytest(VENV_PYTHON, ['-p', 'stallscope', '--stallscope-budget-ms=-5', 'test_asgi.py::test_quiet_endpoint'], APP_DIR, pythonEnv());
  assert.notEqual(run.code, 0, run.output);
  assert.match(run.output, /--stallscope-budget-ms: the budget must be a positive number of milliseconds/);
});
