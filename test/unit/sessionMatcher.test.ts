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

test('probe connections are matched to sessions by pid, thread, then the ppid chain, then the launch', () => {
  const m = tree();
  m.addProbe({ pid: 100, ppid: 1, threadId: 0, stallscopeId: 'S' });
  m.addProbe({ pid: 100, ppid: 1, threadId: 1, stallscopeId: 'S' });
  m.addProbe({ pid: 101, ppid: 100, threadId: 0, stallscopeId: 'S' });
  m.addProbe({ pid: 102, ppid: 101, threadId: 0, stallscopeId: 'S' }); // a grandchild js-debug did not attach to
  m.addProbe({ pid: 103, ppid: 1, threadId: 0, stallscopeId: 'S' }); // unrelated to any attached process
  m.addProbe({ pid: 100, ppid: 1, threadId: 5, stallscopeId: 'S' }); // a worker js-debug did not show
  assert.equal(m.debugSessionForProbe(100, 0), 'srv');
  assert.equal(m.debugSessionForProbe(100, 1), 'wrk');
  assert.equal(m.debugSessionForProbe(100, 5), 'srv');
  assert.equal(m.debugSessionForProbe(101, 0), 'kid');
  assert.equal(m.debugSessionForProbe(102, 0), 'kid');
  assert.equal(m.debugSessionForProbe(103, 0), 'root');
  assert.equal(m.debugSessionForProbe(999, 0), undefined, 'a probe never seen');
});

test('a pid reused by another launch does not match across launches', () => {
  const m = tree();
  m.addDebugSession({ id: 'root2', name: 'Second', stallscopeId: 'T' });
  m.addProbe({ pid: 100, ppid: 1, threadId: 0, stallscopeId: 'T' });
  assert.equal(m.debugSessionForProbe(100, 0), 'root2');
});

test('ppid loops (pid reuse) end instead of spinning', () => {
  const m = new SessionMatcher();
  m.addDebugSession({ id: 'root', name: 'x', stallscopeId: 'S' });
  m.addProbe({ pid: 10, ppid: 11, threadId: 0, stallscopeId: 'S' });
  m.addProbe({ pid: 11, ppid: 10, threadId: 0, stallscopeId: 'S' });
  assert.equal(m.debugSessionForProbe(10, 0), 'root');
});

test('removed sessions and probes are forgotten', () => {
  const m = tree();
  m.addProbe({ pid: 101, ppid: 100, threadId: 0, stallscopeId: 'S' });
  m.removeDebugSession('kid');
  assert.equal(m.targetOf('kid'), undefined);
  m.addProbe({ pid: 100, ppid: 1, threadId: 0, stallscopeId: 'S' });
  assert.equal(m.debugSessionForProbe(101, 0), 'srv', 'falls back to the parent process');
  m.removeProbe(101, 0);
  assert.equal(m.debugSessionForProbe(101, 0), undefined);
});
