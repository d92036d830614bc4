'use strict';
// Reference config for the overhead bench (BENCH_CONFIGS=none,stallscope,als): what AsyncLocalStorage
// alone costs when a store is entered around every request, as `--track-requests` (and the probe's
// on-demand tracking once armed) do. On Node 20 it switches on async_hooks and V8's promise hooks.
const { AsyncLocalStorage } = require('node:async_hooks');
const net = require('node:net');

const als = new AsyncLocalStorage();
const emit = net.Server.prototype.emit;
net.Server.prototype.emit = function (event, ...args) {
  if (event === 'request') return als.run(args[0], () => emit.call(this, event, ...args));
  return emit.call(this, event, ...args);
};
