import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionMatcher, parseSessionName } from '../../src/host/sessionMatcher';

test('reads pids and worker thread ids out of js-debug session names', () => {
  assert.deepEqual(parseSessionName('server.js [4242]'), { pid: 4242 });
  assert.deepEqual(parseSessionName('[4242]'), { pid: 4242 });
  assert.deepEqual(parseSessionName('server.js [27477] « Report server'), { pid: 27477 });
  assert.deepEqual(parseSessionName('server.js [27477] « Server [2]'), { pid: 27477 });
  assert.deepEqual(parseSessionName('[worker 3] stallscope-watchdog'), { workerThreadId: 3 });
  assert.deepEqual(parseSessionName('Report server'), {});
  assert.deepEqual(parseSessionName('app [v2] beta'), {});
});

/** The session tree js-debug builds for `node server.js` that forks a child, with a worker in the server. */
function tree(): SessionMatcher {
  const m = new SessionMatcher();
  m.addDebugSession({ id: 'root', name: 'Report server', stallscopeId: 'S' });
  m.addDebugSession({ id: 'srv', parentId: 'root', name: 'server.js [100]' });
  m.addDebugSession({ id: 'wrk', parentId: 'srv', name: '[worker 1] resize' });
  m.addDebugSession({ id: 'kid', parentId: 'srv', name: 'child.js [101]' });
  m.addDebugSession({ id: 'other', name: 'Unrelated' });
  return m;
}

test('every session of a launch belongs to its stallscope session; others do not', () => {
  const m = tree();
  for (const id of ['root', 'srv', 'wrk', 'kid']) assert.equal(m.stallscopeIdOf(id), 'S', id);
  assert.equal(m.stallscopeIdOf('other'), undefined);
  assert.equal(m.rootOf('S'), 'root');
});

test('targets: a process session by its pid, a worker by its thread id in its parent\'s process, the launcher has none', () => {
  const m = tree();
  assert.deepEqual(m.targetOf('srv'), { pid: 100, threadId: 0 });
  assert.deepEqual(m.targetOf('wrk'), { pid: 100, threadId: 1 });
  assert.deepEqual(m.targetOf('kid'), { pid: 101, threadId: 0 });
  assert.equal(m.targetOf('root'), undefined);
  m.setTarget('root', { pid: 7, threadId: 0 }); // learned from the debuggee instead
  assert.deepEqual(m.targetOf('root'), { pid: 7, threadId: 0 });
});

test('removed sessions are forgotten', () => {
  const m = tree();
  m.removeDebugSession('kid');
  assert.equal(m.targetOf('kid'), undefined);
});
