/**
 * `stallscope check` against a server that cannot keep up: an endpoint blocking ~1 s per request
 * under 10 connections queues ~10 s of blocking that outlasts its 2 s load. The next endpoint must
 * be measured only once the server has caught up (its verdict and counts untouched by the backlog),
 * the table must say how long that took, and `--out` saves every stall seen as a `run --out` report.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CheckJson } from '../../src/core/check/checkJson';
import { parseReport } from '../../src/shared/protocol/report';
import { FIXTURES, ensureBuilt, isAlive, runCheckCli, serverPid, tagLine } from './checkHarness';

const SERVER = path.join(FIXTURES, 'backlogServer.js');
const HEAVY_LINE = tagLine(SERVER, 'heavy');
const USER_LINE = tagLine(SERVER, 'user');

describe('stallscope check: a backlog that outlasts its phase', () => {
  let r: Awaited<ReturnType<typeof runCheckCli>>;
  let json: CheckJson;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ss-backlog-')), 'stalls.json');

  before(async () => {
    ensureBuilt();
    r = await runCheckCli([
      '-e', 'GET /heavy', '-e', 'GET /health', '-e', 'GET /api/users/42?expand=1',
      '--canary', 'GET /health', '--duration', '2', '--idle', '1', '--json', '--out', out,
      '--', 'node', SERVER,
    ]);
    json = JSON.parse(r.stdout) as CheckJson;
  });

  it('judges each endpoint by its own stalls: the backlog of /heavy is not the next endpoint\'s', () => {
    const by = Object.fromEntries(json.endpoints.map((e) => [e.endpoint, e]));
    assert.deepEqual(Object.keys(by), ['GET /heavy', 'GET /health', 'GET /api/users/42?expand=1'], 'names as given, query included');
    assert.equal(by['GET /heavy'].verdict, 'blocking', r.stderr);
    assert.equal(by['GET /heavy'].culprits[0]?.line, HEAVY_LINE);
    // The phase of /health began once the server had caught up: no stall of /heavy's backlog in it,
    // neither as its own nor beside it. (A loaded machine can still pause /health itself for a few
    // tens of milliseconds; a backlog stall is a second or more.)
    assert.doesNotMatch(r.stderr, /other stalls? during the load of GET \/health, not in its handler: .*GET \/heavy/, r.stderr);
    assert.ok(!by['GET /health'].culprits.some((c) => c.line === HEAVY_LINE), r.stderr);
    assert.ok(by['GET /health'].maxStallMs < 500, `no backlog stall in /health: ${by['GET /health'].maxStallMs} ms`);
    assert.equal(by['GET /heavy'].backlog, undefined, 'caught up within the limit');
    // ~10 queued requests of ~1 s each: their stalls all count for /heavy, about as long as the backlog.
    const heavyTotal = by['GET /heavy'].culprits.reduce((t, c) => t + c.totalMs, 0);
    assert.ok(heavyTotal >= 6000, `the backlog's stalls count for /heavy: ${heavyTotal} ms`);
  });

  it('says how long the server needed to catch up after the load', () => {
    const m = /GET \/heavy: the server needed ([\d.]+) s after its load to catch up/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.ok(Number(m[1]) >= 3, `a backlog of several seconds: ${m[1]} s`);
    assert.match(r.stderr, /GET \/heavy: waiting for the server to catch up with its load \(.+; at most 30 s\)/, 'and says so while it waits');
  });

  it('matches a request under a router mounted at a prefix by its path: blocking, not "non-blocking because of a label"', () => {
    const e = json.endpoints.find((x) => x.endpoint === 'GET /api/users/42?expand=1');
    assert.equal(e?.verdict, 'blocking', r.stderr);
    assert.equal(e?.culprits[0]?.line, USER_LINE);
  });

  it('--out saves every stall seen, in the report format of run --out, and the server is stopped', async () => {
    const parsed = parseReport(JSON.parse(fs.readFileSync(out, 'utf8')));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    const report = parsed.report;
    const heavy = report.stalls.filter((s) => s.culprit?.file === SERVER && s.culprit.line === HEAVY_LINE);
    assert.ok(heavy.length >= 1, `the /heavy stalls are in the report: ${report.stalls.length} stalls`);
    assert.ok(report.stalls.some((s) => s.culprit?.line === USER_LINE));
    assert.deepEqual(report.command, ['node', SERVER]);
    assert.ok(report.processes?.every((p) => p.endedAtMs !== undefined));
    const pid = serverPid(r.stderr);
    assert.ok(pid && !isAlive(pid), 'the server is stopped');
  });
});
