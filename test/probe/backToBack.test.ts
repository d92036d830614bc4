/**
 * Merged stalls under load, for real: a server whose endpoint blocks ~150 ms per request, hit by 8
 * concurrent connections at once. Their requests run back to back in one loop turn, so the probe
 * sees one long stall; it must tell that it was several requests of ~150 ms each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Stall } from '../../src/shared/protocol/model';
import { FIXTURES, ProbeHost, ensureProbeBuilt, httpGet, sleep, spawnProbed, waitFor, type Probed } from './harness';

const SERVER = join(FIXTURES, 'backToBackServer.js');
const CONCURRENT = 8;

/**
 * Opens the connections first (accepted over the loop's turns), then writes one request on each at
 * once: their bytes are read in the same poll, as a load generator's keep-alive connections are.
 */
async function burst(port: number, n: number): Promise<void> {
  const sockets: Socket[] = await Promise.all(
    Array.from({ length: n }, () => new Promise<Socket>((ok, fail) => { const s = connect(port, '127.0.0.1', () => ok(s)); s.on('error', fail); })),
  );
  await sleep(300);
  const answered = sockets.map((s) => new Promise<void>((ok) => { s.once('data', () => ok()); s.once('close', () => ok()); }));
  for (const s of sockets) s.write('GET /hash HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await Promise.all(answered);
  for (const s of sockets) s.destroy();
}

describe('probe: requests that block back to back in one loop turn', () => {
  let host: ProbeHost;
  let p: Probed;
  let stalls: Stall[] = [];

  before(async () => {
    ensureProbeBuilt();
    host = await ProbeHost.start();
    p = spawnProbed(SERVER, [], { host });
    const port = Number((await p.waitForOutput(/listening (\d+)/))[1]);
    await sleep(300);
    await burst(port, CONCURRENT);
    await sleep(500);
    await httpGet(port, '/exit');
    await p.exited;
    await waitFor(() => host.disconnected.includes(p.pid), 3000, 'the probe to disconnect');
    await sleep(50);
    host.recording.flush();
    stalls = host.stalls(p.pid);
  });

  after(async () => {
    p?.kill();
    await host?.close();
  });

  it('reports the merged stall as several GET /hash requests of ~150 ms each', () => {
    const merged = stalls.filter((s) => s.backToBack?.length);
    const seen = stalls.map((s) => `${s.durationMs} ms ${JSON.stringify(s.backToBack)}`).join('; ');
    assert.ok(merged.length >= 1, `no stall told its back-to-back requests: ${seen}`);
    const longest = merged.sort((a, b) => b.durationMs - a.durationMs)[0];
    assert.ok(longest.durationMs >= 290, `the merged stall is at least two requests long: ${seen}`);
    const hash = longest.backToBack?.find((r) => r.label === 'GET /hash');
    assert.ok(hash, `GET /hash is named: ${seen}`);
    assert.ok(hash.count >= 2, `at least two requests ran back to back: ${seen}`);
    assert.ok(hash.count <= CONCURRENT, `no more requests than were sent: ${seen}`);
    assert.ok(hash.eachMs !== undefined && hash.eachMs >= 120 && hash.eachMs <= 260, `each held the loop ~150 ms: ${seen}`);
    // the count and the per-request time account for the stall, give or take one request
    assert.ok(Math.abs(hash.count * hash.eachMs - longest.durationMs) <= hash.eachMs * 1.5, `count × each ≈ duration: ${seen}`);
  });
});
