import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCheckSummary } from '../../src/cli/checkSummary';
import { makeStyle } from '../../src/cli/style';
import { toCheckJson } from '../../src/core/check/checkJson';
import { resultView, runningView } from '../../src/core/check/checkView';
import { parseEndpoint } from '../../src/core/check/endpoint';
import { toJUnit, xmlAttr, xmlText } from '../../src/core/check/junit';
import type { CheckResult } from '../../src/core/check/runCheck';
import { judgeEndpoint } from '../../src/core/check/verdict';
import { victimsPhrase } from '../../src/shared/phrases';
import { summarizeVictims } from '../../src/shared/victims';
import { isCheckView, isHostToWebview } from '../../src/shared/protocol/webviewMessages';
import { frame, stall } from './samples';

const T0 = 1_700_000_000_000;
const canary = (sentMs: number, latencyMs: number) => ({ sentMs, latencyMs, status: 200 });

function result(): CheckResult {
  const phase = (i: number) => ({ startMs: T0 + i * 12_000, loadEndMs: T0 + i * 12_000 + 10_000, endMs: T0 + i * 12_000 + 11_000 });
  const load = { requests: 80, durationS: 10, statusCodes: { '200': 80 }, errorCodes: {}, timeouts: 0 };
  const culprit = frame({ file: '/srv/app/routes/<report>.js', line: 12, function: 'render & "send"' });
  const samples = [
    ...Array.from({ length: 40 }, (_, i) => canary(T0 - 3000 + i * 50, 2)),
    ...Array.from({ length: 100 }, (_, i) => canary(T0 + 500 + i * 90, i < 90 ? 3 : 640)),
    ...Array.from({ length: 100 }, (_, i) => canary(T0 + 12_500 + i * 90, 4)),
  ];
  const stalls = [
    stall({
      id: 'a',
      startMs: T0 + 1000,
      durationMs: 640,
      culprit,
      handler: { kind: 'http', label: 'GET /report' },
      victims: [
        { label: 'GET /report', delayedMs: 640, state: 'in-flight', count: 34 },
        { label: 'GET /health', delayedMs: 600, state: 'queued', count: 3 },
      ],
    }),
    stall({ id: 'b', startMs: T0 + 4000, durationMs: 90, culprit, handler: { kind: 'http', label: 'GET /report' } }),
  ];
  const judge = (spec: string, i: number, error?: string) =>
    judgeEndpoint({ endpoint: parseEndpoint(spec), phase: phase(i), stalls, canary: samples, canaryWarmupMs: 250, load, budgetMs: 100, thresholdMs: 50, error });
  return {
    baseUrl: 'http://127.0.0.1:3000',
    thresholdMs: 50,
    budgetMs: 100,
    canary: parseEndpoint('GET /health'),
    canaryIdle: { samples: 40, p50Ms: 2, p99Ms: 2, maxMs: 2, failed: 0 },
    endpoints: [judge('GET /report', 0), judge('GET /fast', 1), judge('POST /orders', 2, 'POST /orders failed under load: 3 × status 500 (of 80 requests)')],
    startedAtMs: T0 - 4000,
    endedAtMs: T0 + 40_000,
  };
}

test('--json: exactly the documented shape', () => {
  const json = toCheckJson(result());
  assert.deepEqual(json, {
    version: 1,
    endpoints: [
      {
        endpoint: 'GET /report',
        verdict: 'blocking',
        maxStallMs: 640,
        stalls: 2,
        culprits: [{ file: '/srv/app/routes/<report>.js', line: 12, function: 'render & "send"', totalMs: 730 }],
        canaryP99Ms: 640,
        canaryIdleP99Ms: 2,
      },
      { endpoint: 'GET /fast', verdict: 'non-blocking', maxStallMs: 0, stalls: 0, culprits: [], canaryP99Ms: 4, canaryIdleP99Ms: 2 },
      {
        endpoint: 'POST /orders',
        verdict: 'non-blocking',
        maxStallMs: 0,
        stalls: 0,
        culprits: [],
        canaryP99Ms: null,
        canaryIdleP99Ms: 2,
        error: 'POST /orders failed under load: 3 × status 500 (of 80 requests)',
      },
    ],
  });
  const noCanary = toCheckJson({ ...result(), canary: null, canaryIdle: null, endpoints: result().endpoints.map((e) => ({ ...e, canary: null })) });
  assert.equal(noCanary.endpoints[0].canaryP99Ms, null);
  assert.equal(noCanary.endpoints[0].canaryIdleP99Ms, null);
});

test('--junit: one testcase per endpoint, a failure over budget, an error for failed requests, user text escaped', () => {
  const xml = toJUnit(result());
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="stallscope check" tests="3" failures="1" errors="1" time="44.000">/);
  assert.equal(xml.match(/<testcase /g)?.length, 3);
  assert.match(xml, /<testcase classname="stallscope.check" name="GET \/report" time="10.000">\n {6}<failure message="GET \/report blocked the event loop for 640 ms, over the budget of 100 ms" type="StallBudgetExceeded">/);
  assert.match(xml, /<error message="POST \/orders failed under load: 3 × status 500 \(of 80 requests\)" type="EndpointError"\/>/);
  assert.ok(xml.includes('/srv/app/routes/&lt;report&gt;.js:12 render &amp; "send"'), 'text content escaped');
  assert.ok(!/<report>/.test(xml));
  assert.equal(xmlAttr(`a"b'c<d>&\n\u0001\uD800`), 'a&quot;b&apos;c&lt;d&gt;&amp;&#10;');
  assert.equal(xmlText('ok \u{1F600} \uFFFE'), 'ok \u{1F600} ', 'astral characters stay, non-characters go');
});

test('the table: verdicts, evidence, canary inflation, victims, errors, budget and the rule', () => {
  const text = formatCheckSummary(result(), { cwd: '/srv/app', durationS: 10, connections: 10 });
  const lines = text.split('\n');
  assert.match(lines[0], /^stallscope check: 3 endpoints on http:\/\/127.0.0.1:3000 · 10 s each at 10 connections · canary GET \/health · threshold 50 ms · budget 100 ms · 44.0 s$/);
  const header = lines.findIndex((l) => /^ {2}endpoint +verdict +stalls +max +p99 +canary p99 idle → load +top culprit$/.test(l));
  assert.ok(header > 0, text);
  assert.match(lines[header + 1], /^ {2}GET \/report +blocking +2 +640 ms +640 ms +2\.0 ms → 640 ms ×320 +routes\/<report>\.js:12 render & "send"$/);
  assert.match(lines[header + 2], /^ {2}GET \/fast +non-blocking +0 +– +– +2\.0 ms → 4\.0 ms +–$/);
  assert.match(text, /\n {2}GET \/report: its longest stall \(640 ms\) delayed 37 requests, 3 of them GET \/health\n/);
  assert.match(text, /\n {2}✗ POST \/orders failed under load: 3 × status 500/);
  assert.match(text, /\n {2}✗ 1 endpoint over the budget of 100 ms: GET \/report \(640 ms\)\n/);
  assert.match(text, /blocking = at least one stall of 50 ms or more ran in the endpoint's own handler while it was under load\n$/);
  assert.ok(!text.includes('\u001b['), 'no colour unless asked');
  const coloured = formatCheckSummary(result(), { cwd: '/srv/app', durationS: 10, connections: 10, style: makeStyle(true) });
  const cols = (s: string) => s.split('\n').map((l) => l.replace(/\u001b\[[0-9;]*m/g, '')); // eslint-disable-line no-control-regex
  assert.deepEqual(cols(coloured), cols(text), 'colour changes no column');
});

test('victims: counted per label and state; the phrase names the requests other than the stall\'s own', () => {
  const s = summarizeVictims([
    { label: 'GET /slow', delayedMs: 640, state: 'in-flight', count: 30 },
    { label: 'GET /slow', delayedMs: 300, state: 'queued', count: 4 },
    { label: 'GET /health', delayedMs: 500, state: 'queued', count: 3 },
    { label: 'POST /x', delayedMs: 10 },
  ]);
  assert.deepEqual(s, {
    total: 38,
    inFlight: 30,
    queued: 7,
    groups: [
      { label: 'GET /slow', count: 34, maxDelayMs: 640 },
      { label: 'GET /health', count: 3, maxDelayMs: 500 },
      { label: 'POST /x', count: 1, maxDelayMs: 10 },
    ],
  });
  const handler = { kind: 'http' as const, label: 'GET /slow' };
  assert.equal(victimsPhrase({ handler, victims: [{ label: 'GET /slow', delayedMs: 1, count: 34 }, { label: 'GET /health', delayedMs: 1, count: 3 }] }), 'delayed 37 requests, 3 of them GET /health');
  assert.equal(victimsPhrase({ handler, victims: [{ label: 'GET /slow', delayedMs: 1, count: 5 }] }), 'delayed 5 requests (all GET /slow)');
  assert.equal(victimsPhrase({ handler, victims: [{ label: 'GET /a', delayedMs: 1 }] }), 'delayed 1 request (GET /a)');
  assert.equal(
    victimsPhrase({ handler: null, victims: ['a', 'b', 'c'].map((l, i) => ({ label: `GET /${l}`, delayedMs: 1, count: 3 - i })) }),
    'delayed 6 requests, 3 of them GET /a, 2 of them GET /b, …',
  );
  assert.equal(victimsPhrase({ handler, victims: [] }), undefined);
  assert.equal(victimsPhrase({ handler, victims: undefined }), undefined);
});

test('the timeline\'s view of a check: plain data that passes the webview guard, culprits tied to their longest stall', () => {
  const r = result();
  const view = resultView(r);
  assert.ok(isHostToWebview({ type: 'check', check: view }));
  assert.ok(isHostToWebview({ type: 'check', check: null }));
  assert.equal(view.status, 'done');
  assert.equal(view.canary, 'GET /health');
  assert.equal(view.canaryIdleP99Ms, 2);
  const [report, fast, orders] = view.endpoints;
  assert.deepEqual(
    { ...report },
    {
      endpoint: 'GET /report',
      verdict: 'blocking',
      stalls: 2,
      maxStallMs: 640,
      p99StallMs: 640,
      canaryP99Ms: 640,
      inflated: true,
      culprit: { file: '/srv/app/routes/<report>.js', line: 12, function: 'render & "send"', totalMs: 730, stallId: 'a' },
      victims: 'delayed 37 requests, 3 of them GET /health',
      overBudget: true,
    },
  );
  assert.equal(fast.inflated, false);
  assert.equal(fast.culprit, null);
  assert.equal(orders.error, 'POST /orders failed under load: 3 × status 500 (of 80 requests)');
  assert.equal(orders.canaryP99Ms, null);
  const running = runningView(r, r.startedAtMs, null, [], 'running', 'trying each endpoint once');
  assert.deepEqual([running.status, running.message, running.endpoints, running.canaryIdleP99Ms], ['running', 'trying each endpoint once', [], null]);
  assert.ok(isCheckView(running));
  assert.equal(isCheckView({ ...view, status: 'maybe' }), false);
  assert.equal(isCheckView({ ...view, endpoints: [{ ...report, culprit: { ...report.culprit, line: 0 } }] }), false);
  assert.equal(isCheckView({ ...view, endpoints: [{ ...report, verdict: 'slow' }] }), false);
});
