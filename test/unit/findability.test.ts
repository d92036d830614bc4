/**
 * The pure rules behind the findability features: the CodeLenses on blocking lines and their
 * callers, what Run Command with Stall Probe proposes, when a plain Node session is offered a
 * restart with the probe, and the timeline's Export message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callerOf, lensTargets } from '../../src/host/lensTargets';
import { asgiApps, rememberCommand, scriptCommand, suggestCommands } from '../../src/host/commandSuggestions';
import { offersProbe, relaunchConfig } from '../../src/host/probeOfferRule';
import { SESSION_MARKER } from '../../src/host/debugConfig';
import { isWebviewToHost } from '../../src/shared/protocol/webviewMessages';
import { frame, stall } from './samples';

const block = frame({ file: '/app/src/pricing.js', line: 17, column: 5, function: 'computePrice' });
const handlerLine = frame({ file: '/app/src/routes.js', line: 42, column: 12, function: 'getUser' });
const otherCaller = frame({ file: '/app/src/jobs.js', line: 8, column: 3, function: 'nightly' });
const express = frame({ file: '/app/node_modules/express/lib/router/layer.js', line: 95, column: 5, function: 'handle' });
const timers = frame({ file: 'node:internal/timers', line: 1, column: 1, function: 'listOnTimeout' });

test('a lens on the blocking line and one on each caller, the worst stall each opens', () => {
  const stalls = [
    stall({ id: 'a', culprit: block, frames: [block, handlerLine, express], durationMs: 120, handler: { kind: 'http', label: 'GET /users/:id' } }),
    stall({ id: 'b', culprit: block, frames: [block, frame({ ...block, line: 17, column: 5 }), handlerLine, express], durationMs: 812, handler: { kind: 'http', label: 'GET /users/:id' } }),
    stall({ id: 'c', culprit: block, frames: [block, express, otherCaller, timers], durationMs: 300, handler: null }),
    stall({ id: 'd', culprit: null, frames: [timers] }),
    stall({ id: 'e', culprit: express, frames: [express, handlerLine] }),
  ];
  const lenses = lensTargets(stalls);
  const show = lenses.map((l) => `${l.kind} ${l.file}:${l.line} ${l.stallId} ${l.title}`);
  assert.deepEqual(show, [
    'culprit /app/src/pricing.js:17 b ⚠ blocked the loop 3× · max 812 ms · GET /users/:id',
    'caller /app/src/routes.js:42 b ⚠ blocked the loop 2× · max 812 ms · GET /users/:id · at pricing.js:17',
    'caller /app/src/jobs.js:8 c ⚠ blocked the loop 1× · max 300 ms · at pricing.js:17',
  ]);
});

test('the caller is the nearest user-code frame below the culprit on another line', () => {
  assert.equal(callerOf({ culprit: block, frames: [block, express, timers] }), undefined, 'no user code below: no caller');
  assert.equal(callerOf({ culprit: null, frames: [block, handlerLine] }), undefined);
  assert.deepEqual(callerOf({ culprit: block, frames: [frame({ file: 'node:crypto', line: 3 }), block, express, handlerLine] }), handlerLine, 'frames above the culprit (a native call) are skipped');
  // A culprit the probe moved by source map still finds its place by file and line.
  assert.deepEqual(callerOf({ culprit: { ...block, column: 99 }, frames: [block, handlerLine] }), handlerLine);
});

test('Run Command with Stall Probe proposes recent commands, then package.json scripts and ASGI apps', () => {
  const packageJson = JSON.stringify({ scripts: { build: 'tsc', start: 'node dist/server.js', dev: 'tsx watch src/server.ts', test: 'node --test' } });
  const main = 'from fastapi import FastAPI\n\napp = FastAPI(title="x")\n\ndef f():\n    inner = FastAPI()\n';
  const s = suggestCommands(['npm run dev', 'nodemon server.js'], { packageJson, rootFiles: ['package.json', 'package-lock.json', 'main.py'], python: { 'main.py': main } });
  assert.deepEqual(
    s.map((x) => `${x.command} | ${x.detail}`),
    [
      'npm run dev | recent',
      'nodemon server.js | recent',
      'npm start | package.json script "start": node dist/server.js',
      'python -m uvicorn main:app --reload | FastAPI app in main.py',
    ],
    'a recent command is not proposed twice; build and test scripts are not servers; an indented app is not top-level',
  );
  assert.deepEqual(suggestCommands([], { packageJson: JSON.stringify({ scripts: { dev: 'vite' } }), rootFiles: ['pnpm-lock.yaml'] }).map((x) => x.command), ['pnpm dev']);
  assert.deepEqual(suggestCommands([], { packageJson: '{ "scripts": {', rootFiles: ['package.json'] }), [], 'a package.json being edited proposes nothing');
  assert.equal(scriptCommand('yarn', 'start'), 'yarn start');
  assert.equal(scriptCommand('bun', 'dev'), 'bun run dev');
  assert.deepEqual(asgiApps('my-app.py', 'app = FastAPI()'), [], 'not an importable module name');
  assert.deepEqual(asgiApps('api.py', 'application: Starlette = Starlette(routes=r)'), [{ target: 'api:application', framework: 'Starlette' }]);
});

test('recent commands: the last one first, once, at most 8', () => {
  const recent = rememberCommand(['a', 'b', 'c'], 'b');
  assert.deepEqual(recent, ['b', 'a', 'c']);
  let many: string[] = [];
  for (let i = 0; i < 12; i++) many = rememberCommand(many, `cmd ${i}`);
  assert.equal(many.length, 8);
  assert.equal(many[0], 'cmd 11');
});

test('a restart with the probe is offered to a plain Node launch only', () => {
  const launch = { type: 'pwa-node', request: 'launch', name: 'Server', program: '/app/server.js' };
  assert.equal(offersProbe(launch, false), true);
  assert.equal(offersProbe({ ...launch, type: 'node-terminal' }, false), true);
  assert.equal(offersProbe(launch, true), false, "js-debug's child session of the process");
  assert.equal(offersProbe({ ...launch, __pendingTargetId: 'x' }, false), false);
  assert.equal(offersProbe({ ...launch, request: 'attach' }, false), false, 'an attach cannot take a --require');
  assert.equal(offersProbe({ ...launch, [SESSION_MARKER]: 'id' }, false), false, 'already has the probe');
  assert.equal(offersProbe({ ...launch, stallscope: false }, false), false, 'kept out on purpose');
  assert.equal(offersProbe({ ...launch, type: 'debugpy' }, false), false);
  assert.deepEqual(relaunchConfig({ ...launch, __workspaceFolder: '/app', __sessionId: 'x' }), launch);
});

test('the timeline may ask for an HTML export, with nothing else in the message', () => {
  assert.equal(isWebviewToHost({ type: 'exportHtml' }), true);
  assert.equal(isWebviewToHost({ type: 'exportHtml ' }), false);
});
