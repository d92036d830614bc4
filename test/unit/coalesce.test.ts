import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { coalesce } from '../../src/host/coalesce';

test('a burst of schedules runs the function once; a later burst runs it again; dispose cancels', async () => {
  let calls = 0;
  const c = coalesce(() => calls++, 5);
  for (let i = 0; i < 10; i++) c.schedule();
  assert.equal(calls, 0, 'not synchronously');
  await sleep(40);
  assert.equal(calls, 1);
  c.schedule();
  await sleep(40);
  assert.equal(calls, 2);
  c.schedule();
  c.dispose();
  await sleep(40);
  assert.equal(calls, 2);
});
