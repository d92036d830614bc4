/**
 * `stallscope check` on a FastAPI app served by uvicorn, with no Python-specific code in the host:
 * it learns the port from the Python probe's `listening` message, and tells an `async def` endpoint
 * that sleeps (blocking, at its line) from a `def` one that sleeps in the threadpool (non-blocking).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { APPS, CLI, FASTAPI_APP, VENV_PYTHON, cleanEnv, ensurePythonTools, lineOf } from './probeHarness';

before(() => ensurePythonTools());

interface Verdict {
  endpoint: string;
  handler?: string;
  verdict: 'blocking' | 'non-blocking';
  stalls: number;
  culprits: Array<{ file: string; line: number; function: string }>;
}

test("check: GET /items/1 (async def + time.sleep) is blocking at its line; GET /sync/sleep (def) is not", async () => {
  const args = [CLI, 'check', '-e', 'GET /items/1', '-e', 'GET /sync/sleep', '--canary', 'GET /health', '-d', '3', '--idle', '1', '-c', '4', '--json', '-q',
    '--', VENV_PYTHON, '-m', 'uvicorn', 'fastapi_app:app', '--port', '0'];
  const child = spawn(process.execPath, args, { cwd: APPS, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 1, `exit 1: an endpoint is over the budget\n${err}`);
  const verdicts = (JSON.parse(out) as { endpoints: Verdict[] }).endpoints;
  const blocking = verdicts.find((v) => v.endpoint === 'GET /items/1');
  assert.equal(blocking?.verdict, 'blocking', err);
  assert.equal(blocking?.handler, 'GET /items/{item_id}');
  assert.deepEqual(blocking?.culprits[0] && { ...blocking.culprits[0], totalMs: undefined }, {
    file: FASTAPI_APP,
    line: lineOf(FASTAPI_APP, '# BLOCK:sleep'),
    function: 'read_item',
    totalMs: undefined,
  });
  const threadpool = verdicts.find((v) => v.endpoint === 'GET /sync/sleep');
  assert.equal(threadpool?.verdict, 'non-blocking', `${JSON.stringify(threadpool)}\n${err}`);
  assert.equal(threadpool?.stalls, 0);
});
