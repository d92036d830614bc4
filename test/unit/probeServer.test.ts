import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import { ProbeServer, type ProbeConnection } from '../../src/core/probeServer';
import { CloseCode, PROTOCOL_VERSION } from '../../src/shared/protocol/constants';
import type { ProbeToHost } from '../../src/shared/protocol/probeMessages';
import { hello, helloV1, stall } from './samples';

async function withServer(fn: (s: ProbeServer, logs: string[]) => Promise<void>, opts: { maxPayload?: number; helloTimeoutMs?: number } = {}) {
  const logs: string[] = [];
  const server = await ProbeServer.start({ log: (l) => logs.push(l), ...opts });
  try {
    await fn(server, logs);
  } finally {
    await server.close();
  }
}

async function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  return ws;
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

function nextMessage(ws: WebSocket): Promise<unknown> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
}

test('listens on loopback only, welcomes a probe with a valid token and delivers its frames', async () => {
  await withServer(async (server) => {
    assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const token = server.issueToken('run-1');
    const conns: ProbeConnection[] = [];
    const msgs: ProbeToHost[] = [];
    server.on('connection', (c) => conns.push(c));
    server.on('message', (_c, m) => msgs.push(m));
    const ws = await connect(server.url);
    const welcome = nextMessage(ws);
    ws.send(JSON.stringify(hello({ token, pid: 4242 })));
    assert.deepEqual(await welcome, { type: 'welcome', protocolVersion: PROTOCOL_VERSION });
    assert.equal(conns[0].key, 'run-1');
    assert.equal(conns[0].hello.pid, 4242);
    ws.send(JSON.stringify({ type: 'stall', stall: stall() }));
    ws.send(JSON.stringify({ type: 'dropped', pid: 4242, count: 2 }));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(msgs.map((m) => m.type), ['stall', 'dropped']);
    const disconnected = once(server, 'disconnect');
    ws.close();
    await disconnected;
  });
});

test('a wrong, missing or revoked token is refused with 4001 and logged once for many attempts', async () => {
  await withServer(async (server, logs) => {
    const token = server.issueToken('run');
    for (const t of ['wrong', '', token.slice(0, -1)]) {
      const ws = await connect(server.url);
      const code = closed(ws);
      ws.send(JSON.stringify(hello({ token: t })));
      assert.equal(await code, CloseCode.badToken);
    }
    server.revokeToken(token);
    const ws = await connect(server.url);
    const code = closed(ws);
    ws.send(JSON.stringify(hello({ token })));
    assert.equal(await code, CloseCode.badToken);
    assert.equal(server.refusals['bad-token'], 4);
    assert.deepEqual(logs, ['stallscope: refused a probe connection: wrong token from pid 100']);
  });
});

test('a first frame that is not a hello, a binary frame, a newer protocol, and silence are each refused', async () => {
  await withServer(
    async (server, logs) => {
      const token = server.issueToken('run');
      const cases: [(ws: WebSocket) => void, number][] = [
        [(ws) => ws.send(JSON.stringify({ type: 'stall', stall: stall() })), CloseCode.badFrame],
        [(ws) => ws.send('{not json'), CloseCode.badFrame],
        [(ws) => ws.send(Buffer.from(JSON.stringify(hello({ token })))), CloseCode.badFrame],
        [(ws) => ws.send(JSON.stringify({ ...hello({ token }), pid: 'x' })), CloseCode.badFrame],
        [(ws) => ws.send(JSON.stringify(hello({ token, protocolVersion: 99 }))), CloseCode.unsupportedVersion],
        [() => undefined, CloseCode.helloTimeout],
      ];
      for (const [act, expected] of cases) {
        const ws = await connect(server.url);
        const code = closed(ws);
        act(ws);
        assert.equal(await code, expected);
      }
      assert.equal(server.refusals['bad-frame'], 4);
      assert.equal(server.refusals['unsupported-version'], 1);
      assert.equal(server.refusals['hello-timeout'], 1);
      // One log line per kind, however many times it happened.
      assert.equal(logs.filter((l) => l.includes('not JSON') || l.includes('not a hello') || l.includes('malformed')).length, 1);
      assert.equal(logs.length, 3);
    },
    { helloTimeoutMs: 200 },
  );
});

test('a v1 probe is still welcomed, its hello read as v2 (runtime node, no thread id)', async () => {
  await withServer(async (server) => {
    const token = server.issueToken('old');
    const conns: ProbeConnection[] = [];
    server.on('connection', (c) => conns.push(c));
    const ws = await connect(server.url);
    const welcome = nextMessage(ws);
    ws.send(JSON.stringify(helloV1({ token, pid: 77, nodeVersion: 'v18.20.0' })));
    assert.deepEqual(await welcome, { type: 'welcome', protocolVersion: PROTOCOL_VERSION });
    assert.deepEqual(conns[0].hello.runtime, { name: 'node', version: 'v18.20.0' });
    assert.equal('threadId' in conns[0].hello, false);
    ws.close();
  });
});

test('a malformed frame from a welcomed probe is dropped and counted; the connection and later frames survive', async () => {
  await withServer(async (server, logs) => {
    const token = server.issueToken('run');
    const msgs: ProbeToHost[] = [];
    server.on('message', (_c, m) => msgs.push(m));
    const ws = await connect(server.url);
    const welcome = nextMessage(ws);
    ws.send(JSON.stringify(hello({ token })));
    await welcome;
    ws.send(JSON.stringify({ type: 'stall', stall: { ...stall(), durationMs: -1 } }));
    ws.send(JSON.stringify({ type: 'telepathy' }));
    ws.send(JSON.stringify(hello({ token })));
    ws.send(JSON.stringify({ type: 'stall', stall: stall({ id: 'good' }) }));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.deepEqual(msgs.map((m) => (m.type === 'stall' ? m.stall.id : m.type)), ['good']);
    assert.equal(server.refusals['bad-frame'], 3);
    assert.deepEqual(logs, ['stallscope: dropped a malformed frame from pid 100 (further ones are counted silently)']);
    ws.close();
  });
});

test('an oversized frame is refused and counted, logged once, and the server keeps accepting probes', async () => {
  await withServer(
    async (server, logs) => {
      const token = server.issueToken('run');
      for (let i = 0; i < 2; i++) {
        const ws = await connect(server.url);
        ws.on('error', () => undefined);
        const welcome = nextMessage(ws);
        ws.send(JSON.stringify(hello({ token })));
        await welcome;
        const code = closed(ws);
        ws.send(JSON.stringify({ type: 'notice', pid: 1, level: 'info', message: 'x'.repeat(5000) }));
        assert.equal(await code, 1009);
      }
      assert.equal(server.refusals['oversized-frame'], 2);
      assert.deepEqual(logs, ['stallscope: refused a probe frame larger than 4096 bytes']);
      const ws = await connect(server.url);
      const welcome = nextMessage(ws);
      ws.send(JSON.stringify(hello({ token })));
      assert.deepEqual(await welcome, { type: 'welcome', protocolVersion: PROTOCOL_VERSION });
      ws.close();
    },
    { maxPayload: 4096 },
  );
});
