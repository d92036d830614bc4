/**
 * Whose code a file is (shared/codeOrigin): one rule for the hover's folded frames, the lenses and
 * the dependency names, for Node and Python paths alike.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isRuntimeFile, isUserFile, originOf, packageOf } from '../../src/shared/codeOrigin';
import { stackLines } from '../../src/host/culpritAnnotations';
import { callerOf } from '../../src/host/lensTargets';
import { dependencyText, splitPath } from '../../src/shared/phrases';
import { frame } from './samples';

test('installed packages: npm, pip, Debian\'s pip, scoped, nested; the innermost one counts', () => {
  assert.deepEqual(packageOf('/srv/venv/lib/python3.11/site-packages/fastapi/encoders.py'), { folder: 'site-packages', name: 'fastapi', path: 'fastapi/encoders.py' });
  assert.deepEqual(packageOf('/usr/lib/python3/dist-packages/yaml/__init__.py')?.name, 'yaml');
  assert.deepEqual(packageOf('/app/node_modules/@scope/pkg/lib/x.js'), { folder: 'node_modules', name: '@scope/pkg', path: '@scope/pkg/lib/x.js' });
  assert.equal(packageOf('/app/node_modules/a/node_modules/b/index.js')?.name, 'b');
  assert.equal(packageOf('C:\\app\\node_modules\\express\\lib\\router\\index.js')?.path, 'express/lib/router/index.js');
  assert.equal(packageOf('/srv/venv/lib/python3.11/site-packages/six.py')?.name, 'six');
  assert.equal(packageOf('/app/src/site-packages-notes/x.py'), undefined);
  assert.equal(packageOf('/app/src/server.ts'), undefined);
});

test('the runtime\'s own code: node: modules and Python\'s standard library wherever it is installed', () => {
  for (const f of ['node:internal/timers', '/usr/lib/python3.11/asyncio/events.py', '/root/.pyenv/versions/3.11.7/lib/python3.11/re/__init__.py', 'C:\\Python311\\Lib\\json\\encoder.py']) {
    assert.ok(isRuntimeFile(f) && !isUserFile(f), f);
  }
  assert.ok(!isRuntimeFile('/srv/venv/lib/python3.11/site-packages/fastapi/routing.py'), 'a package is a dependency, not the runtime');
  for (const f of ['/srv/app/main.py', '/home/u/lib/pythonic/x.py', '/app/src/routes.ts']) assert.ok(isUserFile(f), f);
  assert.deepEqual(
    ['node:internal/timers', '/usr/lib/python3.11/asyncio/events.py', '/usr/lib/python3.11/threading.py', '/v/site-packages/starlette/routing.py'].map(originOf),
    ['node:internal', 'asyncio', 'threading', 'starlette'],
  );
});

test('a Python stall\'s stack: the framework and asyncio fold into one line, and no lens points into asyncio', () => {
  const endpoint = frame({ file: '/srv/app/main.py', line: 19, column: 1, function: 'validate' });
  const frames = [
    frame({ file: '/usr/lib/python3.11/re/__init__.py', line: 166, column: 1, function: 'match' }),
    endpoint,
    frame({ file: '/srv/venv/lib/python3.11/site-packages/fastapi/routing.py', line: 212, column: 1, function: 'run_endpoint_function' }),
    frame({ file: '/srv/venv/lib/python3.11/site-packages/starlette/routing.py', line: 74, column: 1, function: 'app' }),
    frame({ file: '/usr/lib/python3.11/asyncio/events.py', line: 80, column: 1, function: '_run' }),
  ];
  assert.deepEqual(stackLines(frames).map((l) => l.text), [
    'at match (/usr/lib/python3.11/re/__init__.py:166:1)',
    'at validate (/srv/app/main.py:19:1)',
    '… 3 frames in fastapi, starlette, asyncio',
  ]);
  assert.equal(callerOf({ culprit: endpoint, frames }), undefined, 'asyncio\'s _run is not the caller');
  assert.equal(dependencyText(frames.slice(2)), 'in a dependency: fastapi/routing.py:212 run_endpoint_function');
  assert.equal(splitPath(frames[2].file).dir, 'site-packages/fastapi');
});
