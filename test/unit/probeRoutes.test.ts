/**
 * The route each framework keeps, read the way the probe reads it (src/probe/routes), on the
 * frameworks' own objects where one is needed: Hono's real router and Koa's real createContext.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Hono as HonoApp } from 'hono';
import { httpHandler, routeOf } from '../../src/probe/routes';
import { expressRoute } from '../../src/probe/routes/express';
import { honoRoute, patchHono } from '../../src/probe/routes/hono';
import { koaRoute, patchKoa } from '../../src/probe/routes/koa';
import { MAX_HTTP_LABEL } from '../../src/shared/protocol/model';

function rawRequest(method: string, url: string): http.IncomingMessage {
  const req = new http.IncomingMessage(new net.Socket());
  req.method = method;
  req.url = url;
  return req;
}

describe('route of a request', () => {
  it('Express: the route under the mount path the router stripped from req.url', () => {
    assert.equal(expressRoute({ route: { path: '/users/:id' }, baseUrl: '/api' }), '/api/users/:id');
    assert.equal(expressRoute({ route: { path: '/users/:id' }, baseUrl: '' }), '/users/:id');
    assert.equal(expressRoute({ route: { path: '/' }, baseUrl: '/api/users' }), '/api/users');
    assert.equal(expressRoute({ route: { path: /^\/re/ }, baseUrl: '/api' }), undefined, 'a RegExp route has no pattern to name');
    assert.equal(expressRoute({}), undefined);
  });

  it('the handler: the route in the label, the full path beside it (from originalUrl, without the query)', () => {
    const req = Object.assign(rawRequest('GET', '/users/42?x=1'), { originalUrl: '/api/users/42?x=1', baseUrl: '/api', route: { path: '/users/:id' } });
    assert.deepEqual(httpHandler(req), { kind: 'http', label: 'GET /api/users/:id', route: '/api/users/:id', path: '/api/users/42' });
    // No route known: the label is the path (the one rewritten under a mount is not used), nothing repeated.
    const plain = Object.assign(rawRequest('POST', '/users/42?x=1'), { originalUrl: '/api/users/42?x=1' });
    assert.deepEqual(httpHandler(plain), { kind: 'http', label: 'POST /api/users/42' });
    // A pattern keeps its `?` (an optional parameter), and the label stays within its bound.
    const long = Object.assign(rawRequest('GET', '/a'), { route: { path: `/x/:id?/${'y'.repeat(300)}` } });
    assert.equal(httpHandler(long).label.length, MAX_HTTP_LABEL);
    assert.ok(httpHandler(long).label.startsWith('GET /x/:id?/'));
  });

  it("Hono: the answering route from the router's match noted on the request, not the middleware's", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Hono } = require('hono') as { Hono: typeof HonoApp };
    const app = new Hono();
    const SmartRouter = Object.getPrototypeOf(app.router).constructor as unknown;
    let current: object | undefined;
    patchHono(SmartRouter, () => current);
    app.use('*', async (_c, next) => next());
    const users = new Hono();
    users.get('/:id', (c) => c.text('user'));
    app.route('/api/users', users);
    app.get('/ping', (c) => c.text('pong'));
    // The first match goes through the prototype, the later ones through the instance's own bound match.
    for (const [path, route] of [['/api/users/42', '/api/users/:id'], ['/ping', '/ping'], ['/api/users/7', '/api/users/:id']]) {
      const req = rawRequest('GET', path);
      current = req;
      app.router.match('GET', path);
      assert.equal(honoRoute(req), route, path);
      assert.equal(routeOf(req), route, path);
    }
    const unmatched = rawRequest('GET', '/nowhere');
    current = unmatched;
    app.router.match('GET', '/nowhere');
    assert.equal(honoRoute(unmatched), undefined, 'only the * middleware matched: no route');
  });

  it("Koa: the router's matched route, through the context createContext linked to the raw request", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Koa = require('koa') as new () => { createContext(req: unknown, res: unknown): { _matchedRoute?: string } };
    class App extends Koa {}
    patchKoa(App);
    const req = rawRequest('GET', '/api/users/42');
    const ctx = new App().createContext(req, new http.ServerResponse(req));
    assert.equal(koaRoute(req), undefined, 'not routed yet');
    ctx._matchedRoute = '/api/users/:id';
    assert.equal(koaRoute(req), '/api/users/:id');
    assert.equal(routeOf(rawRequest('GET', '/x')), undefined);
  });
});
