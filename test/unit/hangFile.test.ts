/**
 * The hang file as the host reads it (core/hangFile): a dump read by the board's rules, and bad
 * input (a file not ours, a board caught mid-write, a dump cut short) read as nothing, never a throw;
 * and the feed's use of it (core/hangWatch through core/probeFeed).
 */

async function waitFor<T>(probe: () => T | undefined, ms: number, what: string): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) {
    const v = probe();
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readHangFile } from '../../src/core/hangFile';
import { HANG_POLL_MS } from '../../src/core/hangWatch';
import { ProbeFeed } from '../../src/core/probeFeed';
import type { ProbeServer } from '../../src/core/probeServer';
import { Recording } from '../../src/core/recording';
import { hello } from './samples';
import { HANG_HEADER_BYTES, HANG_JSON_AT, HANG_MAGIC, HANG_SLOT0, type HangBoard } from '../../src/shared/protocol/hangFile';

const LIB = '/usr/lib/python3.11/';
const board: HangBoard = {
  offsetMs: 1_700_000_000_000,
  thresholdMs: 50,
  notUser: [LIB, '/opt/stallscope/python/'],
  packageMarkers: ['/site-packages/'],
  probe: '/opt/stallscope/python/',
  own: ['0x7f0000000002'],
  waits: ['acquire', 'get', 'read', 'select', 'wait'],
  polls: [['/selectors.py', null], ['/base_events.py', ['_run_once', 'run_forever']]],
  loops: [{ slot: 0, ident: '0x7f0000000001', thread: { id: 0, name: 'MainThread' }, entry: ['/srv/venv/lib/python3.11/site-packages/uvicorn/server.py', 'run'] }],
  routes: { '/srv/app/app/routes.py': { search: { kind: 'http', label: 'GET /search/{q}', route: '/search/{q}' } } },
};

function file(b: HangBoard | string, dump: string, slot = { last: 12.5, parked: 0 }): Buffer {
  const head = Buffer.alloc(HANG_HEADER_BYTES);
  head.write(HANG_MAGIC, 0, 'latin1');
  head.writeDoubleLE(slot.last, HANG_SLOT0);
  head.writeDoubleLE(slot.parked, HANG_SLOT0 + 8);
  head.write(typeof b === 'string' ? b : JSON.stringify(b), HANG_JSON_AT, 'utf8');
  return Buffer.concat([head, Buffer.from(dump)]);
}

const WATCHDOG = `Thread 0x00007f0000000002 (most recent call first):
  File "${LIB}threading.py", line 331 in wait
  File "/opt/stallscope/python/stallscope/_watchdog.py", line 145 in run
`;

test('a loop in a C call: its stack from the latest dump, the probe\'s frames left out, the first of the user\'s the culprit', () => {
  const dump = `Timeout (0:00:00.650000)!
Thread 0x00007f0000000001 (most recent call first):
  File "old.py", line 1 in old

Timeout (0:00:00.650000)!
${WATCHDOG}
Thread 0x00007f0000000001 (most recent call first):
  File "${LIB}re/__init__.py", line 166 in match
  File "app/routes.py", line 19 in search
  File "/opt/stallscope/python/stallscope/_heartbeat.py", line 60 in timed_select
  File "/srv/venv/lib/python3.11/site-packages/uvicorn/server.py", line 65 in run
`;
  const read = readHangFile(file(board, dump), '/srv/app');
  assert.equal(read?.hung.length, 1);
  const [h] = read!.hung;
  assert.equal(h.startMs, 12_500 + board.offsetMs, 'from the loop\'s last tick, on the epoch clock');
  assert.deepEqual(h.cause, { kind: 'native', holdsGil: true });
  assert.deepEqual(h.culprit, { file: '/srv/app/app/routes.py', line: 19, column: 1, function: 'search' }, 'a relative file resolved against the process\'s cwd');
  assert.deepEqual(h.frames.map((f) => f.function), ['match', 'search', 'run']);
  assert.equal(h.handler?.label, 'GET /search/{q}', 'the route whose endpoint is on the stack');
});

test('a loop in its poll: idle while parked; with a tick due, starved by the one thread that runs the user\'s code', () => {
  const dump = `Timeout (0:00:00.650000)!
${WATCHDOG}
Thread 0x00007f0000000003 (most recent call first):
  File "${LIB}concurrent/futures/thread.py", line 81 in get
Thread 0x00007f0000000004 (most recent call first):
  File "/srv/app/report.py", line 7 in build
  File "${LIB}concurrent/futures/thread.py", line 58 in run
Thread 0x00007f0000000001 (most recent call first):
  File "/srv/venv/lib/python3.11/site-packages/uvicorn/server.py", line 65 in run
`;
  assert.deepEqual(readHangFile(file(board, dump, { last: 1, parked: 1 }), '/')?.hung, [], 'parked: idle, not held up');
  const [h] = readHangFile(file(board, dump), '/')!.hung;
  assert.equal(h.cause.kind, 'gil');
  assert.equal(h.culprit?.file, '/srv/app/report.py');
  assert.deepEqual(h.thread, { id: 0, name: 'MainThread' }, 'the stall is the loop\'s; its line is the holder\'s');
});

test('bad input is read as nothing: another file, a board caught mid-write, no dump yet, a dump cut short', () => {
  const ok = `Timeout (0:00:00.650000)!\nThread 0x00007f0000000001 (most recent call first):\n  File "/srv/app/a.py", line 3 in f\n`;
  assert.equal(readHangFile(Buffer.from('hello'), '/'), undefined);
  const notOurs = file(board, ok);
  notOurs.write('XXXXXXXX', 0, 'latin1');
  assert.equal(readHangFile(notOurs, '/'), undefined);
  assert.equal(readHangFile(file(JSON.stringify(board).slice(0, 40), ok), '/'), undefined);
  assert.equal(readHangFile(file({ ...board, loops: [{ ...board.loops[0], slot: 99 }] }, ok), '/'), undefined, 'a slot out of range');
  assert.equal(readHangFile(file({ ...board, routes: { '/a.py': { f: { kind: 'http' } } } } as unknown as HangBoard, ok), '/'), undefined, 'a route without a label');
  assert.equal(readHangFile(file(board, ''), '/'), undefined);
  assert.deepEqual(readHangFile(file(board, 'Timeout (0:00:00.650000)!\nThread 0x00007f00'), '/')?.hung, []);
  assert.equal(readHangFile(file(board, ok), '/')?.hung[0].culprit?.line, 3, 'the control reads');
});

test('the feed shows a hang file\'s hang in the connection\'s recording, and none once that recording\'s session ended', async () => {
  // The test's own process stands in for the probe's: its descriptor of a file holding a dump.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-hangfile-'));
  const fd = fs.openSync(path.join(dir, 'hang'), 'w+');
  const dump = `Timeout (0:00:00.650000)!\nThread 0x00007f0000000001 (most recent call first):\n  File "/srv/app/a.py", line 3 in f\n`;
  fs.writeSync(fd, file({ ...board, offsetMs: 0 }, dump, { last: (Date.now() - 2000) / 1000, parked: 0 }));
  const server = new EventEmitter();
  let ended = false;
  const rec = new Recording();
  const feed = new ProbeFeed(server as unknown as ProbeServer, { recordingFor: () => (ended ? undefined : rec) });
  const conn = { id: 1, key: 'session', send: () => undefined, hello: hello({ pid: process.pid, hangFile: `/proc/${process.pid}/fd/${fd}`, runtime: { name: 'python', version: '3.11.7' } }) };
  try {
    server.emit('connection', conn);
    await waitFor(() => rec.stalls.find((s) => s.ongoing), 5000, 'the hang shown');
    const shown = rec.stalls[0];
    assert.deepEqual([shown.culprit?.line, shown.handler, shown.cause?.kind], [3, null, 'native']);
    ended = true;
    rec.end();
    assert.equal(rec.getStall(shown.id)?.ongoing, undefined, 'closed with the session');
    await new Promise((r) => setTimeout(r, 3 * HANG_POLL_MS));
    assert.equal(rec.getStall(shown.id)?.ongoing, undefined, 'and not opened again by the next read of the file');
  } finally {
    server.emit('disconnect', conn);
    feed.dispose();
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
