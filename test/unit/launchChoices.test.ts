import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNodeLaunch, launchChoices } from '../../src/host/launchChoices';

const folder = (configurations: unknown, folderIndex = 0, folderName = 'app') => ({ folderIndex, folderName, configurations });

test('offers the Node and Python launch configurations of every folder, with the probe switched on', () => {
  const choices = launchChoices([
    folder([
      { name: 'Server', type: 'node', request: 'launch', program: 'server.js' },
      { name: 'Attach', type: 'node', request: 'attach', port: 9229 },
      { name: 'Py', type: 'debugpy', request: 'launch' },
      { name: 'Term', type: 'node-terminal', request: 'launch', command: 'npm start', stallscope: false },
      'garbage',
      null,
    ]),
    folder({ not: 'an array' }, 1, 'other'),
  ]);
  assert.deepEqual(choices.map((c) => [c.label, c.description, c.folderIndex, c.config.stallscope]), [
    ['Server', 'node · app', 0, true],
    ['Py', 'debugpy · app', 0, true],
    ['Term', 'node-terminal · app', 0, true],
  ]);
});

test('the active JavaScript/TypeScript file is offered too; other files are not', () => {
  const [file] = launchChoices([], { path: '/w/src/main.ts', languageId: 'typescript', folderIndex: 0 });
  assert.equal(file.label, 'Current file: main.ts');
  assert.deepEqual(file.config, { type: 'node', request: 'launch', name: 'Stallscope: main.ts', program: '/w/src/main.ts', stallscope: true });
  assert.deepEqual(launchChoices([], { path: '/w/README.md', languageId: 'markdown' }), []);
});

test('the active Python file is offered as a debugpy launch', () => {
  const [file] = launchChoices([], { path: '/w/app/main.py', languageId: 'python', folderIndex: 0 });
  assert.equal(file.label, 'Current file: main.py');
  assert.deepEqual(file.config, { type: 'debugpy', request: 'launch', name: 'Stallscope: main.py', program: '/w/app/main.py', stallscope: true });
});

test('isNodeLaunch checks shape, not trust', () => {
  assert.equal(isNodeLaunch({ name: 'x', type: 'pwa-node', request: 'launch' }), true);
  assert.equal(isNodeLaunch({ name: 1, type: 'node', request: 'launch' }), false);
  assert.equal(isNodeLaunch({ name: 'x', type: 'node' }), false);
});
