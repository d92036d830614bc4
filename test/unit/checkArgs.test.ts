import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/cli/args';
import { parseCheckArgs } from '../../src/cli/checkCommand';
import { EndpointError, endpointUrl, parseEndpoint, parseEndpointList, parseEndpoints, serverUrl } from '../../src/core/check/endpoint';

function usage(argv: string[]): string {
  try {
    parseCheckArgs(argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(argv)} to be refused`);
}

test('check: defaults, and the command after -- untouched', () => {
  const o = parseCheckArgs(['-e', 'GET /slow', '--', 'node', 'server.js', '--port', '0']);
  assert.deepEqual(o.endpoints, [{ method: 'GET', path: '/slow', label: 'GET /slow' }]);
  assert.equal(o.canary, null);
  assert.equal(o.connections, 10);
  assert.equal(o.durationS, 10);
  assert.equal(o.idleS, 3);
  assert.equal(o.thresholdMs, 50);
  assert.equal(o.budgetMs, 50, 'without --budget any stall is over budget');
  assert.equal(o.startTimeoutS, 30);
  assert.equal(o.json, false);
  assert.equal(o.junit, undefined);
  assert.deepEqual(o.command, ['node', 'server.js', '--port', '0']);
});

test('check: every option, repeated endpoints in order', () => {
  const o = parseCheckArgs([
    '--endpoint', 'GET /a', '-e', 'post /orders?dry=1', '--canary=GET /health', '--url', 'http://127.0.0.1:3000/api/',
    '-c', '4', '-d', '2.5', '--idle', '1', '--budget', '200', '--start-timeout', '5', '--json', '--junit', 'out.xml', '-q', '--server-output',
    '--', 'npm', 'start',
  ]);
  assert.deepEqual(o.endpoints.map((e) => e.label), ['GET /a', 'POST /orders']);
  assert.equal(o.endpoints[1].path, '/orders?dry=1', 'the query is sent, the label drops it (as the probe does)');
  assert.equal(o.canary?.label, 'GET /health');
  assert.equal(o.url, 'http://127.0.0.1:3000/api');
  assert.deepEqual([o.connections, o.durationS, o.idleS, o.budgetMs, o.thresholdMs, o.startTimeoutS], [4, 2.5, 1, 200, 50, 5]);
  assert.deepEqual([o.json, o.junit, o.quiet, o.serverOutput], [true, 'out.xml', true, true]);
});

test('check: a budget below the default threshold lowers the threshold; above an explicit one is refused', () => {
  assert.equal(parseCheckArgs(['-e', '/a', '--budget', '20', '--', 'x']).thresholdMs, 20);
  assert.equal(parseCheckArgs(['-e', '/a', '--budget', '0', '--', 'x']).thresholdMs, 10);
  assert.equal(parseCheckArgs(['-e', '/a', '--threshold', '30', '--', 'x']).budgetMs, 30);
  assert.match(usage(['-e', '/a', '--threshold', '100', '--budget', '40', '--', 'x']), /--budget 40 is below --threshold 100/);
});

test('check: each mistake has its own one-line message', () => {
  const cases: [string[], RegExp][] = [
    [['--', 'node', 's.js'], /give at least one --endpoint 'GET \/path'/],
    [['-e', 'GET /a'], /missing -- <command>/],
    [['-e', 'GET /a', '--'], /missing command after --/],
    [['-e', 'GET slow', '--', 'x'], /the path must start with \//],
    [['-e', 'GE7 /slow', '--', 'x'], /"GE7" is not an HTTP method/],
    [['-e', 'GET /a b', '--', 'x'], /is not an endpoint; write it as 'GET \/path'/],
    [['-e', 'GET /a', '-e', 'get /a?x=1', '--', 'x'], /given twice \(as GET \/a\)/],
    [['-e', '/a', '--canary', 'nope', '--', 'x'], /the path must start with \//],
    [['-e', '/a', '--connections', '0', '--', 'x'], /--connections must be between 1 and 1000, got 0/],
    [['-e', '/a', '--connections', '2.5', '--', 'x'], /--connections expects a whole number/],
    [['-e', '/a', '--duration', 'long', '--', 'x'], /--duration expects a number of seconds, got "long"/],
    [['-e', '/a', '--url', 'localhost:3000', '--', 'x'], /--url must be http:\/\/ or https:\/\//],
    [['-e', '/a', '--url', 'not a url', '--', 'x'], /--url expects a URL/],
    [['-e', '/a', '--url', 'http://h:1/?q', '--', 'x'], /--url takes no query/],
    [['-e', '/a', '--junit', '--', 'x'], /--junit expects a value \(FILE\)/],
    [['-e', '/a', '--jsn', '--', 'x'], /unknown option --jsn \(see stallscope check --help\)/],
  ];
  for (const [argv, re] of cases) {
    const msg = usage(argv);
    assert.match(msg, re, JSON.stringify(argv));
    assert.ok(!msg.includes('\n'), `one line: ${msg}`);
  }
});

test('endpoints: the label is the probe\'s handler label (method + path, no query)', () => {
  assert.deepEqual(parseEndpoint('/health'), { method: 'GET', path: '/health', label: 'GET /health' });
  assert.deepEqual(parseEndpoint('  delete   /items/7#x '), { method: 'DELETE', path: '/items/7#x', label: 'DELETE /items/7' });
  assert.throws(() => parseEndpoint(''), EndpointError);
  assert.throws(() => parseEndpoints(['/a', 'GET /a']), /given twice/);
  assert.equal(endpointUrl('http://127.0.0.1:3000/api/', parseEndpoint('GET /x?y=1')), 'http://127.0.0.1:3000/api/x?y=1');
});

test('the server the probe saw listening becomes a loopback URL when it listens on every interface', () => {
  const s = { pid: 1, protocol: 'http' as const, port: 3000 };
  assert.equal(serverUrl({ ...s, address: '::' }), 'http://127.0.0.1:3000');
  assert.equal(serverUrl({ ...s, address: '0.0.0.0' }), 'http://127.0.0.1:3000');
  assert.equal(serverUrl({ ...s, address: '::1' }), 'http://[::1]:3000');
  assert.equal(serverUrl({ ...s, address: '127.0.0.5', protocol: 'https' }), 'https://127.0.0.5:3000');
});

test('endpoints typed on one line (the VS Code input box): commas split endpoints, not queries', () => {
  assert.deepEqual(
    parseEndpointList('GET /a, post /b;/health , /search?tags=a,b').map((e) => [e.label, e.path]),
    [['GET /a', '/a'], ['POST /b', '/b'], ['GET /health', '/health'], ['GET /search', '/search?tags=a,b']],
  );
  assert.throws(() => parseEndpointList(' , '), /give at least one endpoint/);
  assert.throws(() => parseEndpointList('GET /a, GET /a'), /given twice/);
});
