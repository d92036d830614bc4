/**
 * Real framework apps, run the way their users run them, under `stallscope run` and `stallscope
 * check`: each stall of a route is named by the framework's route pattern (`GET /api/users/:id`,
 * the path requested beside it), its culprit is the original source line (TypeScript through its
 * source maps), and its cause is told. The apps are the frameworks' own idioms: a router mounted at
 * a prefix (Express strips it from req.url inside the router), a prefixed plugin (Fastify), a
 * prefixed router (Koa), a global prefix with a handler that runs after awaits (NestJS), a sub-app
 * (Hono).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Stall } from '../../src/shared/protocol/model';
import { startCheck } from '../check/checkHarness';
import * as path from 'node:path';
import { app, blockLine, compileTs, describeStalls, ensureBuilt, node24, runApp } from './appsHarness';

const ROUTE = { kind: 'http', label: 'GET /api/users/:id', route: '/api/users/:id', path: '/api/users/42' };

/** The stalls a request to /api/users/42 made. */
function routeStalls(stalls: readonly Stall[]): Stall[] {
  return stalls.filter((s) => s.handler?.kind === 'http' && s.handler.path === '/api/users/42');
}

/**
 * Every stall of GET /api/users/42 is named by its route and blocked at the app's `// @block` line
 * for `cause`; and every stall at that line is one of them (none went unnamed, not even the first).
 */
function assertBlockedAt(stalls: readonly Stall[], file: string, cause: Stall['cause']): void {
  const own = routeStalls(stalls);
  assert.ok(own.length >= 1, `no stall of GET /api/users/42 among ${describeStalls(stalls)}`);
  for (const s of own) {
    assert.deepEqual(s.handler, ROUTE, describeStalls(own));
    assert.equal(s.culprit?.file, file, describeStalls(own));
    assert.equal(s.culprit?.line, blockLine(file), describeStalls(own));
    assert.deepEqual(s.cause, cause, describeStalls(own));
  }
  const atBlock = stalls.filter((s) => s.culprit?.file === file && s.culprit.line === blockLine(file));
  assert.equal(atBlock.length, own.length, describeStalls(stalls));
}

describe('real framework apps under stallscope run', () => {
  before(async () => {
    ensureBuilt();
    await Promise.all([compileTs('fastify'), compileTs('nest')]);
  });

  it('Express 5, a router mounted at /api, started by npm start: the mount path is in the route, the path and the victims', async () => {
    // /api/users/7 arrives while /api/users/42 blocks: its victim, told by the same route.
    const r = await runApp('express', ['npm', 'start'], [['/api/users/42?ms=400', '/api/users/7?ms=1'], '/ping']);
    assert.equal(r.result.code, 0, r.result.stderr);
    assert.deepEqual(r.answers.map((a) => a.status), [200, 200, 200]);
    assertBlockedAt(r.report.stalls, app('express', 'routes', 'users.js'), { kind: 'js' });
    const victims = routeStalls(r.report.stalls).flatMap((s) => s.victims ?? []);
    assert.ok(victims.some((v) => v.label === 'GET /api/users/:id' && v.state === 'queued'), JSON.stringify(victims));
    assert.ok(!victims.some((v) => /\/users\/7$/.test(v.label)), `a victim named by its path: ${JSON.stringify(victims)}`);
  });

  it('Fastify 5 in TypeScript compiled by tsc: the prefixed route, the .ts line of a pbkdf2Sync, a native cause', async () => {
    const r = await runApp('fastify', ['node', 'build/server.js'], ['/api/users/42?iterations=300000', '/ping']);
    assert.equal(r.result.code, 0, r.result.stderr);
    assertBlockedAt(r.report.stalls, app('fastify', 'src', 'routes', 'users.ts'), { kind: 'native', api: 'pbkdf2Sync' });
  });

  it('Koa 3 + @koa/router in ESM: the router prefix is in the route', async () => {
    const r = await runApp('koa', ['node', 'server.mjs'], ['/api/users/42?ms=150', '/ping']);
    assert.equal(r.result.code, 0, r.result.stderr);
    assertBlockedAt(r.report.stalls, app('koa', 'server.mjs'), { kind: 'js' });
  });

  it('NestJS 11 compiled with decorators: its first stall, which runs after awaits, is already named by its route', async () => {
    const r = await runApp('nest', ['node', 'build/main.js'], ['/api/users/42?ms=150', '/api/ping'], '/api/shutdown');
    assert.equal(r.result.code, 0, r.result.stderr);
    assertBlockedAt(r.report.stalls, app('nest', 'src', 'users', 'users.service.ts'), { kind: 'js' });
  });

  it('Hono 4 on @hono/node-server under npx tsx (ES modules): the sub-app route and the .ts line', async () => {
    const r = await runApp('hono', ['npx', 'tsx', 'src/server.ts'], ['/api/users/42?ms=150', '/ping']);
    assert.equal(r.result.code, 0, r.result.stderr);
    assertBlockedAt(r.report.stalls, app('hono', 'src', 'users.ts'), { kind: 'js' });
  });
});

describe('Node 24 under stallscope run', () => {
  let node = '';
  before(() => {
    ensureBuilt();
    node = node24();
  });

  it("a .ts server run by Node's own type stripping via npm start: the .ts line, and its first stall, after an await, named by its request without --track-requests", async () => {
    // `npm start` runs `node src/server.ts` with Node 24 first on the PATH, as on a machine where it is the Node.
    const env = { PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}` };
    const r = await runApp('stripped', ['npm', 'start'], ['/orders/7?ms=150', '/orders/8?ms=120', '/ping'], '/shutdown', env);
    assert.equal(r.result.code, 0, r.result.stderr);
    assert.deepEqual(r.answers.map((a) => a.status), [200, 200, 200]);
    const file = app('stripped', 'src', 'pricing.ts');
    const own = r.report.stalls.filter((s) => s.culprit?.file === file);
    assert.deepEqual(
      own.map((s) => [s.handler?.label, s.culprit?.line, s.cause]),
      [['GET /orders/7', blockLine(file), { kind: 'js' }], ['GET /orders/8', blockLine(file), { kind: 'js' }]],
      describeStalls(r.report.stalls),
    );
    // The stalls while Node strips the types of a module (its own wasm) are no line of the user's, and
    // none is any request's. (On a loaded machine the server's own start, `listen`, can take a stall
    // too: that one is on its real line, and no request's either.)
    for (const s of r.report.stalls.filter((x) => x.culprit?.file !== file)) {
      assert.equal(s.handler?.kind === 'http' ? s.handler.label : null, null, describeStalls([s]));
      if (s.culprit !== null) assert.equal(s.culprit.file, app('stripped', 'src', 'server.ts'), describeStalls([s]));
    }
    assert.deepEqual((r.report.processes ?? []).map((p) => p.runtime.version.split('.')[0]), ['24'], 'npm start ran the server with Node 24');
  });
});

interface CheckJson {
  endpoints: Array<{
    endpoint: string;
    handler?: string;
    verdict: string;
    stalls: number;
    culprits: Array<{ file: string; line: number }>;
    canaryP99Ms: number | null;
    canaryIdleP99Ms: number | null;
  }>;
}

describe('real framework apps under stallscope check', () => {
  before(async () => {
    ensureBuilt();
    await compileTs('nest');
  });

  const short = ['-d', '2', '--idle', '2', '-c', '4', '--json'];

  it("Express via npm start: 'GET /api/users/42' is blocking, judged by the stalls its route's label carries", async () => {
    const r = await startCheck(['-e', 'GET /api/users/42?ms=80', ...short, '--', 'npm', 'start'], app('express')).done;
    assert.equal(r.code, 1, r.stderr);
    const [users] = (JSON.parse(r.stdout) as CheckJson).endpoints;
    assert.equal(users.endpoint, 'GET /api/users/42?ms=80');
    assert.equal(users.handler, 'GET /api/users/:id', r.stderr);
    assert.equal(users.verdict, 'blocking', r.stderr);
    const file = app('express', 'routes', 'users.js');
    assert.deepEqual(users.culprits.map((c) => `${c.file}:${c.line}`), [`${file}:${blockLine(file)}`], r.stderr);
  });

  it("NestJS: 'GET /api/users/42' is blocking, its culprit the service's .ts line; the canary, a bystander, waited", async () => {
    const r = await startCheck(['-e', 'GET /api/users/42?ms=80', '--canary', 'GET /api/ping', ...short, '--', 'node', 'build/main.js'], app('nest')).done;
    assert.equal(r.code, 1, r.stderr);
    const [users] = (JSON.parse(r.stdout) as CheckJson).endpoints;
    assert.equal(users.handler, 'GET /api/users/:id', r.stderr);
    assert.equal(users.verdict, 'blocking', r.stderr);
    const file = app('nest', 'src', 'users', 'users.service.ts');
    assert.deepEqual(users.culprits.map((c) => `${c.file}:${c.line}`), [`${file}:${blockLine(file)}`], r.stderr);
    // Every block of 80 ms holds up the canary's requests that arrive during it.
    assert.ok(users.canaryP99Ms !== null && users.canaryIdleP99Ms !== null && users.canaryP99Ms > users.canaryIdleP99Ms + 40, r.stderr);
  });
});
