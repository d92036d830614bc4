// A runnable example of stallscope/testing (the README shows it): `node --test examples/measure-stalls/`.
// measureStalls(fn) runs fn and resolves to the stalls it caused in this process, each with its
// culprit line, so a unit test can assert that a handler never blocks the event loop.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { measureStalls } = require('stallscope/testing');

function hashSync(password) {
  return crypto.pbkdf2Sync(password, 'salt', 100000, 64, 'sha512'); // blocks the loop ~100 ms
}

function hashAsync(password) {
  return new Promise((resolve, reject) =>
    crypto.pbkdf2(password, 'salt', 100000, 64, 'sha512', (err, key) => (err ? reject(err) : resolve(key))),
  );
}

test('the async hash never blocks the event loop for 20 ms or more', async () => {
  const stalls = await measureStalls(() => hashAsync('hunter2'), { thresholdMs: 20 });
  assert.deepEqual(stalls, []);
});

test('the sync hash does, and the stall names its line', async () => {
  const stalls = await measureStalls(() => hashSync('hunter2'), { thresholdMs: 20 });
  assert.equal(stalls.length, 1);
  assert.ok(stalls[0].durationMs >= 20);
  assert.equal(stalls[0].culprit.file, __filename);
  assert.equal(stalls[0].culprit.function, 'hashSync');
  assert.equal(stalls[0].cause.api, 'pbkdf2Sync');
});
