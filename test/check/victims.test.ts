/**
 * Victims for real: the check fixture under the real probe, a request in flight (hashing in the
 * pool) when another request blocks the loop with pbkdf2Sync, and three health checks sent while the
 * loop is blocked (after the probe announced the stall, so they certainly queued behind it). The
 * stall must list them, in the report read back and in the CLI summary.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { formatSummary } from '../../src/cli/summary';
import type { Stall } from '../../src/shared/protocol/model';
import { parseReport } from '../../src/shared/protocol/report';
import { ProbeHost, ensureProbeBuilt, httpGet, sleep, spawnProbed, waitFor, type Probed } from '../probe/harness';

const SERVER = path.join(__dirname, 'fixtures', 'checkServer.js');

describe('victims of a stall', () => {
  let host: ProbeHost;
  let p: Probed;
  let stall: Stall;

  before(async () => {
    ensureProbeBuilt();
    host = await ProbeHost.start();
    // ~300 ms per hash: long enough to send requests into the middle of the block.
    p = spawnProbed(SERVER, [], { host, env: { ITERATIONS: '300000' } });
    const port = Number((await p.waitForOutput(/listening (\d+)/))[1]);
    await waitFor(() => host.connections.length > 0, 5000, 'the probe to connect');
    const inFlight = httpGet(port, '/async');
    await sleep(30);
    const blocking = httpGet(port, '/sync');
    // The probe announces the stall while it lasts: from here the loop is certainly blocked. (Its
    // handler is not known yet: a look at a thread inside pbkdf2Sync only runs when the call returns.)
    await waitFor(() => host.recording.stalls.find((s) => s.ongoing && s.pid === p.pid), 10_000, 'the ongoing stall');
    const queued = [httpGet(port, '/health'), httpGet(port, '/health'), httpGet(port, '/health')];
    await Promise.all([inFlight, blocking, ...queued]);
    stall = await waitFor(() => host.stalls(p.pid).find((s) => s.handler?.label === 'GET /sync' && s.victims?.length), 10_000, 'the stall with its victims');
  });

  after(async () => {
    p?.kill();
    await host?.close();
  });

  it('lists the queued requests and the one in flight, with delays bounded by the stall', () => {
    const by = (label: string) => stall.victims?.find((v) => v.label === label);
    const health = by('GET /health');
    assert.ok(health, JSON.stringify(stall.victims));
    assert.equal(health.state, 'queued');
    assert.equal(health.count, 3);
    assert.ok(health.delayedMs > 0 && health.delayedMs <= stall.durationMs, `${health.delayedMs} ms of a ${stall.durationMs} ms stall`);
    const async = by('GET /async');
    assert.ok(async, JSON.stringify(stall.victims));
    assert.deepEqual([async.state, async.count, async.delayedMs], ['in-flight', undefined, stall.durationMs]);
    assert.equal(by('GET /sync'), undefined, 'the request that blocked is not its own victim');
  });

  it('keeps them in the report read back, and the summary says what the stall did', () => {
    host.recording.flush();
    const parsed = parseReport(JSON.parse(JSON.stringify(host.recording.toReport())));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const again = parsed.report.stalls.find((s) => s.id === stall.id);
    assert.deepEqual(again?.victims, stall.victims);
    const text = formatSummary(parsed.report, { cwd: path.dirname(SERVER), wallMs: 1000, thresholdMs: 50 });
    assert.match(text, /\(\d+ m?s in GET \/sync\) delayed 4 requests, 3 of them GET \/health, 1 of them GET \/async\n/);
  });
});
