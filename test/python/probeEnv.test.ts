/**
 * How `stallscope run`/`check` (and the extension) put the Python probe into a child's environment:
 * dist/python first on PYTHONPATH, the user's entries kept after it, once; and a real interpreter
 * started with that environment loads the probe only when STALLSCOPE_OPTIONS is there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prependPythonPath, pythonProbeDir, withProbe } from '../../src/core/probeEnv';
import { ROOT, VENV_PYTHON, ensurePythonTools } from './probeHarness';

const PROBE = path.join(ROOT, 'dist', 'probe.js');

/** This process's environment without a probe's options or a PYTHONPATH of its own. */
function bareEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.STALLSCOPE_OPTIONS;
  delete env.PYTHONPATH;
  return env;
}

test('dist/python sits beside dist/probe.js', () => {
  assert.equal(pythonProbeDir('/opt/ss/dist/probe.js'), path.join('/opt/ss/dist', 'python'));
});

test("the probe's folder goes first on PYTHONPATH; the user's entries follow, unchanged; once only", () => {
  assert.equal(prependPythonPath(undefined, '/p', ':'), '/p');
  assert.equal(prependPythonPath('', '/p', ':'), '/p');
  assert.equal(prependPythonPath('/a::/b', '/p', ':'), '/p:/a::/b');
  assert.equal(prependPythonPath('/p:/a', '/p', ':'), '/p:/a');
  assert.equal(prependPythonPath('C:\\a', 'C:\\p', ';'), 'C:\\p;C:\\a');
  const env = withProbe({ PYTHONPATH: `/app/src${path.delimiter}/app/lib`, NODE_OPTIONS: '--x' }, '/opt/ss/dist/probe.js', { token: 't' });
  assert.equal(env.PYTHONPATH, [path.join('/opt/ss/dist', 'python'), '/app/src', '/app/lib'].join(path.delimiter));
  assert.equal(env.NODE_OPTIONS, '--x --require "/opt/ss/dist/probe.js"');
  const twice = withProbe(env, '/opt/ss/dist/probe.js', { token: 'u' });
  assert.equal(twice.PYTHONPATH, env.PYTHONPATH);
  const cased = withProbe({ PythonPath: '/a' }, '/d/probe.js', {});
  assert.equal(cased.PythonPath, [path.join('/d', 'python'), '/a'].join(path.delimiter));
  assert.equal('PYTHONPATH' in cased, false);
});

test('a real interpreter: with the options, importing asyncio loads the probe; without them, nothing does', () => {
  ensurePythonTools();
  assert.ok(fs.existsSync(path.join(pythonProbeDir(PROBE), 'sitecustomize.py')));
  const code = 'import sys; print("before", "stallscope" in sys.modules); import asyncio; print("after", "stallscope" in sys.modules)';
  const on = withProbe(bareEnv(), PROBE, { thresholdMs: 50 }); // no url: the probe loads, has nowhere to report, stays quiet
  const r1 = spawnSync(VENV_PYTHON, ['-c', code], { env: on as NodeJS.ProcessEnv, encoding: 'utf8' });
  assert.equal(r1.stderr, '');
  assert.equal(r1.stdout, 'before False\nafter True\n');
  const off = { ...on };
  delete off.STALLSCOPE_OPTIONS;
  const r2 = spawnSync(VENV_PYTHON, ['-c', code], { env: off as NodeJS.ProcessEnv, encoding: 'utf8' });
  assert.equal(r2.stderr, '');
  assert.equal(r2.stdout, 'before False\nafter False\n');
});

test("a real interpreter on Linux: the probe's threads carry the OS name `stallscope` (top -H, per-thread CPU), the program's threads keep theirs", { skip: process.platform !== 'linux' && 'thread names through /proc are Linux only' }, () => {
  ensurePythonTools();
  const code = `
import asyncio, os, threading, time
def comms():
    return sorted(open("/proc/self/task/%s/comm" % t).read().strip() for t in os.listdir("/proc/self/task"))
async def main():
    threading.Thread(target=time.sleep, args=(0.5,), name="worker").start()
    await asyncio.sleep(0.2)
    print(" ".join(comms()))
asyncio.run(main())
`;
  const r = spawnSync(VENV_PYTHON, ['-c', code], { env: withProbe(bareEnv(), PROBE, { thresholdMs: 50 }) as NodeJS.ProcessEnv, encoding: 'utf8' });
  assert.equal(r.stderr, '');
  const names = r.stdout.trim().split(' ');
  // (faulthandler's C thread, which the watchdog starts, inherits its name: it is the probe's too.)
  assert.ok(names.includes('stallscope'), `the watchdog thread is named stallscope: ${r.stdout}`);
  assert.equal(names.filter((n) => !n.startsWith('stallscope')).length, 2, `the program's threads (main, worker) keep their names: ${r.stdout}`);
});
