'use strict';
// The routes bench's server: `GET /api/users/:id` answered by one framework (argv[2]: http, express,
// fastify, koa, hono, nest), each in its usual shape (a router mounted at /api, a prefixed plugin, a
// prefixed router, a sub-app). Tells the bench its port and pid through PORT_FILE.
const fs = require('node:fs');

const kind = process.argv[2];
const port = 0;
const host = '127.0.0.1';

function ready(server) {
  const tmp = `${process.env.PORT_FILE}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ port: server.address().port, pid: process.pid }));
  fs.renameSync(tmp, process.env.PORT_FILE);
}

const user = (id) => ({ id, name: 'Ada' });

if (kind === 'http') {
  const http = require('node:http');
  const server = http.createServer((req, res) => {
    const m = /^\/api\/users\/([^/?]+)/.exec(req.url);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(user(m ? m[1] : '')));
  });
  server.listen(port, host, () => ready(server));
} else if (kind === 'express') {
  const express = require('express');
  const app = express();
  const api = express.Router();
  api.get('/users/:id', (req, res) => res.json(user(req.params.id)));
  app.use('/api', api);
  const server = app.listen(port, host, () => ready(server));
} else if (kind === 'fastify') {
  const app = require('fastify')();
  app.register(async (api) => api.get('/users/:id', async (request) => user(request.params.id)), { prefix: '/api' });
  app.listen({ port, host }).then(() => ready(app.server));
} else if (kind === 'koa') {
  const Koa = require('koa');
  const Router = require('@koa/router');
  const app = new Koa();
  const api = new Router({ prefix: '/api' });
  api.get('/users/:id', (ctx) => {
    ctx.body = user(ctx.params.id);
  });
  app.use(api.routes());
  const server = app.listen(port, host, () => ready(server));
} else if (kind === 'hono') {
  const { Hono } = require('hono');
  const { serve } = require('@hono/node-server');
  const app = new Hono();
  const users = new Hono();
  users.get('/:id', (c) => c.json(user(c.req.param('id'))));
  app.route('/api/users', users);
  const server = serve({ fetch: app.fetch, port, hostname: host }, () => ready(server));
} else if (kind === 'nest') {
  // NestJS 11 on Express, decorators applied by hand (this file is not compiled).
  require('reflect-metadata');
  const { Controller, Get, Module, Param } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  class UsersController {
    findOne(id) {
      return user(id);
    }
  }
  Param('id')(UsersController.prototype, 'findOne', 0);
  Get(':id')(UsersController.prototype, 'findOne', Object.getOwnPropertyDescriptor(UsersController.prototype, 'findOne'));
  Controller('users')(UsersController);
  class AppModule {}
  Module({ controllers: [UsersController] })(AppModule);
  NestFactory.create(AppModule, { logger: false }).then(async (app) => {
    app.setGlobalPrefix('api');
    await app.listen(port, host);
    ready(app.getHttpServer());
  });
} else {
  console.error(`routes-server: unknown framework "${kind}"`);
  process.exit(2);
}
process.on('SIGTERM', () => process.exit(0));
