/**
 * The Python probe's pure rules, run in the pinned interpreter: which line of a thread that starved
 * the loop of the GIL is its culprit.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, VENV_PYTHON, ensurePythonTools } from './probeHarness';

function python(code: string): string {
  const r = spawnSync(VENV_PYTHON, ['-c', code], { cwd: path.join(ROOT, 'dist', 'python'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

before(() => ensurePythonTools());

test('a thread that starved the loop is blamed on the line most looks found it on, not the one it ended on', () => {
  const out = python(`
from stallscope import _causes
class Look:
    def __init__(self, line):
        self.others = {7: (7, [], None if line is None else {"file": "app.py", "line": line}, set(), None, None)}
looks = [Look(88), Look(89), Look(88), Look(90)]
print(_causes.seen_most(looks, 7)[2]["line"])
print(_causes.seen_most([Look(89), Look(88)], 7)[2]["line"])
print(_causes.seen_most([Look(None), Look(None), Look(88)], 7)[2]["line"])
print(_causes.seen_most(looks, 8))
`);
  assert.deepEqual(out.split('\n'), ['88', '88', '88', 'None'], 'most seen; a tie goes to the latest look; a look with a line beats looks without; an unseen thread is None');
});
