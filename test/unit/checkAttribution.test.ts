/**
 * Which stalls are an endpoint's (attribution.ts), and that every output of the check counts them the
 * same way: the table, --json, --junit and the timeline's check pane.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatCheckSummary } from '../../src/cli/checkSummary';
import { endpointStalls, handlerMatches, routeMatches } from '../../src/core/check/attribution';
import { toCheckJson } from '../../src/core/check/checkJson';
import { resultView } from '../../src/core/check/checkView';
import { endpointName, parseEndpoint } from '../../src/core/check/endpoint';
import { toJUnit } from '../../src/core/check/junit';
import type { CheckResult } from '../../src/core/check/runCheck';
import { runCheck, stillBusy } from '../../src/core/check/runCheck';
import { CanaryLog } from '../../src/core/check/canaryLog';
import { judgeEndpoint } from '../../src/core/check/verdict';
import type { Handler } from '../../src/shared/protocol/model';
import { stall } from './samples';

const T0 = 1_700_000_000_000;
const phase = { startMs: T0, loadEndMs: T0 + 10_000, endMs: T0 + 11_000 };
const load = { requests: 100, durationS: 10, statusCodes: { '200': 100 }, errorCodes: {}, timeouts: 0 };
const http = (label: string, more: Partial<Handler> = {}): Handler => ({ kind: 'http', label, ...more });

test('a request matches by path, else by route pattern, and by method; never by label text alone', () => {
  const users42 = parseEndpoint('GET /api/users/42?expand=1');
  // The probe knew the route and the path: a label `GET /api/users/:id` is still `GET /api/users/42`.
  assert.equal(handlerMatches(http('GET /api/users/:id', { route: '/api/users/:id', path: '/api/users/42' }), users42), true);
  assert.equal(handlerMatches(http('GET /api/users/:id', { route: '/api/users/:id', path: '/api/users/43' }), users42), false);
  assert.equal(handlerMatches(http('POST /api/users/:id', { route: '/api/users/:id', path: '/api/users/42' }), users42), false);
  // A route without a path: the pattern must match the endpoint's path.
  assert.equal(handlerMatches(http('GET /api/users/:id', { route: '/api/users/:id' }), users42), true);
  assert.equal(handlerMatches(http('GET /api/users/:id', { route: '/api/users/:id' }), parseEndpoint('/api/users/42/orders')), false);
  // An older probe under a router mounted at /api labelled the request without its prefix.
  assert.equal(handlerMatches(http('GET /users/42'), users42), true);
  assert.equal(handlerMatches(http('GET /users/42'), parseEndpoint('/api/users/420')), false);
  assert.equal(handlerMatches(http('GET /rs/42'), users42), false, 'a tail only on a segment boundary');
  // Not a request at all.
  assert.equal(handlerMatches({ kind: 'timer', label: 'GET /api/users/42' }, users42), false);
  assert.equal(handlerMatches(null, users42), false);
  // Encoded paths and a trailing slash are the same path.
  assert.equal(handlerMatches(http('GET /a b', { path: '/a b/' }), parseEndpoint('/a%20b')), true);
});

test('route patterns as each framework spells them', () => {
  const yes: Array<[string, string]> = [
    ['/users/:id', '/users/42'], // Express, Fastify, Koa, Hono
    ['/items/{item_id}', '/items/7'], // FastAPI, Starlette
    ['/files/{rest:path}', '/files/a/b/c.txt'], // Starlette path converter
    ['/static/*', '/static/css/site.css'], // Fastify / Hono wildcard
    ['/docs/*rest', '/docs/a/b'], // Express 5 named splat
    ['/posts/:id?', '/posts'], // optional parameter left out
    ['/posts/:id?', '/posts/9'],
    ['/flights/:from-:to', '/flights/LAX-SFO'],
    ['/reports/{id}.json', '/reports/12.json'],
    ['/n/:id(\\d+)', '/n/12'],
    ['/', '/'],
  ];
  for (const [route, path] of yes) assert.equal(routeMatches(route, path), true, `${route} matches ${path}`);
  const no: Array<[string, string]> = [
    ['/users/:id', '/users'],
    ['/users/:id', '/users/42/orders'],
    ['/items/{item_id}', '/things/7'],
    ['/n/:id(\\d+)', '/n/abc'],
    ['/reports/{id}.json', '/reports/12.xml'],
  ];
  for (const [route, path] of no) assert.equal(routeMatches(route, path), false, `${route} does not match ${path}`);
});

test('an endpoint labelled by its route is judged blocking from its stalls, and the table shows the route beside its path', () => {
  const e = parseEndpoint('GET /api/users/42');
  const s = stall({ id: 'u', startMs: T0 + 100, durationMs: 4900, handler: http('GET /api/users/:id', { route: '/api/users/:id', path: '/api/users/42' }) });
  const r = judgeEndpoint({ endpoint: e, phase, stalls: [s], canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50 });
  assert.equal(r.verdict, 'blocking');
  assert.equal(r.route, '/api/users/:id');
  const table = formatCheckSummary(checkOf([r]), { cwd: '/', durationS: 10, connections: 10 });
  assert.match(table, /GET \/api\/users\/42 \(\/api\/users\/:id\)\s+blocking\s+1\s/);
});

test('the query stays in the name shown; stalls are matched by its path', () => {
  const e = parseEndpoint('GET /search?q=x&page=2');
  assert.equal(endpointName(e), 'GET /search?q=x&page=2');
  assert.equal(endpointName(parseEndpoint('DELETE /items/7#x')), 'DELETE /items/7', 'a fragment is never sent');
  const r = judgeEndpoint({ endpoint: e, phase, stalls: [stall({ startMs: T0 + 5, handler: http('GET /search', { path: '/search' }) })], canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50 });
  assert.equal(r.verdict, 'blocking');
  const check = checkOf([r]);
  assert.match(formatCheckSummary(check, { cwd: '/', durationS: 10, connections: 10 }), /\n {2}GET \/search\?q=x&page=2\s+blocking/);
  assert.equal(toCheckJson(check).endpoints[0].endpoint, 'GET /search?q=x&page=2');
  assert.equal(resultView(check).endpoints[0].endpoint, 'GET /search?q=x&page=2');
  assert.match(toJUnit(check), /name="GET \/search\?q=x&amp;page=2"/);
});

test('garbage collection in a cheap endpoint convicts no one: set apart, said, not counted', () => {
  const ping = parseEndpoint('GET /ping');
  const gc = stall({ id: 'g', startMs: T0 + 300, durationMs: 130, culprit: null, cause: { kind: 'gc' }, handler: http('GET /ping', { path: '/ping' }) });
  const { own, excused, others } = endpointStalls([gc], ping, phase, 50);
  assert.deepEqual([own.length, excused.length, others.length], [0, 1, 0]);
  const r = judgeEndpoint({ endpoint: ping, phase, stalls: [gc], canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50 });
  assert.equal(r.verdict, 'non-blocking');
  assert.equal(r.overBudget, false);
  const check = checkOf([r]);
  const table = formatCheckSummary(check, { cwd: '/', durationS: 10, connections: 10 });
  assert.match(table, /GET \/ping\s+non-blocking\s+0\s/);
  assert.match(table, /GET \/ping: 1 stall in its handler \(max 130 ms\) was garbage collection, not its code: not counted against it/);
  assert.equal(toCheckJson(check).endpoints[0].stalls, 0);
  // The same stall with JavaScript on the CPU is the endpoint's own.
  const js = judgeEndpoint({ endpoint: ping, phase, stalls: [{ ...gc, cause: { kind: 'js' } }], canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50 });
  assert.equal(js.verdict, 'blocking');
});

test('a loop saturated by many quick requests convicts no one; one request that blocked among them still does', () => {
  const fast = parseEndpoint('GET /fast');
  const handler = http('GET /fast', { path: '/fast' });
  // 136 requests handled back to back in one turn: none held the loop more than 1.9 ms.
  const saturated = stall({ id: 'sat', startMs: T0 + 300, durationMs: 68, handler, backToBack: [{ label: 'GET /fast', count: 136, eachMs: 0.4, maxMs: 1.9 }] });
  const r = judgeEndpoint({ endpoint: fast, phase, stalls: [saturated], canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50 });
  assert.equal(r.verdict, 'non-blocking');
  assert.deepEqual(r.excused.map((x) => [x.stall.id, x.why]), [['sat', 'saturated']]);
  const table = formatCheckSummary(checkOf([r]), { cwd: '/', durationS: 10, connections: 10 });
  assert.match(table, /GET \/fast: 1 stall in its handler \(max 68 ms\) was the server at its throughput \(up to 136 requests handled back to back in one turn of the loop, none holding it for the stall threshold by itself\), not blocking code: not counted against it/);
  // One of them held the loop 60 ms: that request blocked it, whatever ran around it.
  const oneBlocked = { ...saturated, backToBack: [{ label: 'GET /fast', count: 136, eachMs: 0.4, maxMs: 60 }] };
  assert.equal(judgeEndpoint({ endpoint: fast, phase, stalls: [oneBlocked], canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50 }).verdict, 'blocking');
  // A stall of one request only is its own, however the probe timed it.
  const alone = { ...saturated, backToBack: undefined };
  assert.equal(judgeEndpoint({ endpoint: fast, phase, stalls: [alone], canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50 }).verdict, 'blocking');
});

test('every output counts the same stalls: table, --json, --junit, the timeline pane', () => {
  const slow = parseEndpoint('GET /slow');
  const stalls = [
    ...Array.from({ length: 9 }, (_, i) => stall({ id: `s${i}`, startMs: T0 + 100 + i * 500, durationMs: 100 + i, handler: http('GET /slow', { path: '/slow' }) })),
    stall({ id: 'gc', startMs: T0 + 50, durationMs: 70, cause: { kind: 'gc' }, culprit: null, handler: http('GET /slow', { path: '/slow' }) }),
    stall({ id: 'h', startMs: T0 + 60, durationMs: 80, handler: http('GET /health', { path: '/health' }) }),
    stall({ id: 'pre', startMs: T0 - 2000, durationMs: 90, handler: http('GET /slow', { path: '/slow' }) }), // the preflight
    stall({ id: 'next', startMs: T0 + 11_500, durationMs: 90, handler: http('GET /slow', { path: '/slow' }) }), // after its phase
  ];
  const r = judgeEndpoint({ endpoint: slow, phase, stalls, canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50 });
  assert.equal(r.stalls.length, 9);
  const check = checkOf([r]);
  assert.match(formatCheckSummary(check, { cwd: '/', durationS: 10, connections: 10 }), /GET \/slow\s+blocking\s+9\s/);
  assert.equal(toCheckJson(check).endpoints[0].stalls, 9);
  assert.equal(resultView(check).endpoints[0].stalls, 9);
  assert.match(toJUnit(check), /stalls: 9, max/);
});

test('caught up: no stall going on or just ended, and the canary answering within the threshold again', () => {
  const now = T0 + 12_000;
  const slowE = parseEndpoint('GET /report');
  const ongoing = stall({ startMs: T0 + 2000, durationMs: 9000, ongoing: true, culprit: null });
  assert.match(stillBusy([ongoing], slowE, null, 50, T0, T0 + 10_000, now) ?? '', /a stall still going on \(10\.0 s so far\)/);
  const hung = stall({ startMs: T0 + 2000, durationMs: 9000, ongoing: true, culprit: { file: '/srv/app/search.py', line: 19, column: 1, function: 'search' } });
  assert.equal(stillBusy([hung], slowE, null, 50, T0, T0 + 10_000, now), 'a stall still going on (10.0 s so far, at search.py:19)', 'one with a line says where');
  const justEnded = stall({ startMs: T0 + 10_000, durationMs: 1800 });
  assert.equal(stillBusy([justEnded], slowE, null, 50, T0, T0 + 10_000, now), 'stalls still following one another');
  const timer = { ...justEnded, handler: { kind: 'timer' as const, label: 'setInterval' } };
  assert.equal(stillBusy([timer], slowE, null, 50, T0, T0 + 10_000, now), undefined, 'a background timer that just stalled is not the load\'s backlog');
  const before = stall({ startMs: T0 - 5000, durationMs: 20_000, ongoing: true });
  assert.equal(stillBusy([before], slowE, null, 50, T0, T0 + 10_000, now), undefined, 'a stall from before the phase is not this phase\'s backlog');
  assert.equal(stillBusy([stall({ startMs: T0 + 100, durationMs: 200 })], slowE, null, 50, T0, T0 + 10_000, now), undefined);

  const log = new CanaryLog();
  log.onMessage({ type: 'sent', seq: 1, sentMs: T0 + 9000 });
  assert.match(stillBusy([], slowE, log, 50, T0, T0 + 10_000, now) ?? '', /the canary waiting more than 50 ms/);
  log.onMessage({ type: 'sample', seq: 1, sentMs: T0 + 9000, latencyMs: 2950, status: 200 });
  assert.equal(stillBusy([], slowE, log, 50, T0, T0 + 10_000, now), 'no canary answer since the load ended');
  log.onMessage({ type: 'sent', seq: 2, sentMs: T0 + 10_500 });
  log.onMessage({ type: 'sample', seq: 2, sentMs: T0 + 10_500, latencyMs: 800, status: 200 });
  assert.equal(stillBusy([], slowE, log, 50, T0, T0 + 10_000, now), 'the canary answering in 800 ms');
  log.onMessage({ type: 'sent', seq: 3, sentMs: T0 + 11_900 });
  log.onMessage({ type: 'sample', seq: 3, sentMs: T0 + 11_900, latencyMs: 3, status: 200 });
  assert.equal(stillBusy([], slowE, log, 50, T0, T0 + 10_000, now), undefined);
});

test('the table says how long the server needed to catch up, and when the wait ran out', () => {
  const base = judgeEndpoint({ endpoint: parseEndpoint('GET /slow'), phase, stalls: [stall({ startMs: T0 + 1, handler: http('GET /slow') })], canary: null, canaryWarmupMs: 250, load, budgetMs: 50, thresholdMs: 50 });
  const slow = { ...base, catchUp: { ms: 11_200, caughtUp: true } };
  const stuck = { ...base, endpoint: parseEndpoint('GET /stuck'), catchUp: { ms: 30_000, caughtUp: false, pending: 'a stall still going on (25.0 s so far)' } };
  const table = formatCheckSummary(checkOf([slow, stuck]), { cwd: '/', durationS: 10, connections: 10 });
  assert.match(table, /GET \/slow: the server needed 11\.2 s after its load to catch up/);
  assert.match(table, /! GET \/stuck: the server was still busy 30\.0 s after its load ended \(a stall still going on \(25\.0 s so far\)\); what follows was measured in its backlog \(wait longer with --catch-up\)/);
  assert.equal(toCheckJson(checkOf([stuck])).endpoints[0].backlog, 'a stall still going on (25.0 s so far)');
});

function checkOf(endpoints: CheckResult['endpoints']): CheckResult {
  return { baseUrl: 'http://127.0.0.1:3000', thresholdMs: 50, budgetMs: 50, canary: null, canaryIdle: null, endpoints, startedAtMs: T0 - 4000, endedAtMs: T0 + 20_000 };
}

test('an endpoint that gives no answer because the loop is blocked is said so, with the stall going on and its line', async () => {
  const server = createServer(() => undefined); // never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const settings = { baseUrl: `http://127.0.0.1:${port}`, endpoints: [parseEndpoint('GET /validate/aaaa!')], canary: null, connections: 1, durationS: 1, idleS: 0, thresholdMs: 50, budgetMs: 0, requestTimeoutS: 0.3 };
  const hang = stall({ ongoing: true, startMs: Date.now() - 2000, culprit: { file: '/srv/app/search.py', line: 19, column: 1, function: 'validate' }, handler: { kind: 'http', label: 'GET /validate/{email}' }, cause: { kind: 'native', holdsGil: true } });
  try {
    for (const [stalls, expected] of [
      [[hang], /^GET \/validate\/aaaa! got no answer within 300 ms at http:\/\/127\.0\.0\.1:\d+\/validate\/aaaa!: its event loop is blocked: 2\.\d+ s ongoing stall in GET \/validate\/\{email\} at search\.py:19 \(sync native call holding the GIL\)$/],
      [[], /^GET \/validate\/aaaa! failed \(no answer within 300 ms\) at .*; stallscope check needs endpoints that answer 2xx or 3xx$/],
    ] as const) {
      await assert.rejects(runCheck(settings, { workerScript: '/nonexistent', stalls: () => stalls }), (e: Error) => {
        assert.match(e.message, expected);
        return true;
      });
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
