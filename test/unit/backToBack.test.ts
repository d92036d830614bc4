import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backToBack } from '../../src/probe/requestLog';
import { victimsLine } from '../../src/cli/summary';
import { backToBackPhrase } from '../../src/shared/phrases';
import { isStall } from '../../src/shared/protocol/model';
import { stall } from './samples';

test('handlers started inside a stall are counted by label and timed to the next start', () => {
  const starts = [0, 150, 300, 450].map((atHr) => ({ label: 'GET /hash', atHr: 1000 + atHr }));
  starts.splice(2, 0, { label: 'GET /health', atHr: 1299 });
  const runs = backToBack(starts, 1640);
  assert.deepEqual(runs, [
    { label: 'GET /hash', count: 4, eachMs: 150, maxMs: 190 },
    { label: 'GET /health', count: 1, eachMs: 1, maxMs: 1 },
  ]);
  assert.deepEqual(backToBack([{ label: 'GET /hash', atHr: 0 }], 900), [], 'one handler is no merged stall');
});

test('the phrase says N requests of ~each ms, and nothing for one handler', () => {
  assert.equal(backToBackPhrase({ backToBack: [{ label: 'GET /hash', count: 14, eachMs: 150.4 }] }), '14 requests of GET /hash back to back, ~150 ms each');
  assert.equal(
    backToBackPhrase({ backToBack: [{ label: 'GET /health', count: 1, eachMs: 0.2 }, { label: 'GET /hash', count: 5, eachMs: 151 }] }),
    '5 requests of GET /hash back to back, ~151 ms each (+1 other request)',
  );
  assert.equal(backToBackPhrase({ backToBack: [{ label: 'GET /hash', count: 1 }] }), undefined);
  assert.equal(backToBackPhrase({}), undefined);
});

test('the guard accepts the field and rejects a malformed one', () => {
  const s = stall({ backToBack: [{ label: 'GET /hash', count: 3, eachMs: 150 }] });
  assert.ok(isStall(s));
  assert.ok(!isStall({ ...s, backToBack: [{ label: 'GET /hash', count: 0 }] }));
  assert.ok(!isStall({ ...s, backToBack: [{ label: 'GET /hash', count: 2, eachMs: -1 }] }));
  assert.ok(isStall({ ...s, backToBack: [{ label: 'GET /hash', count: 2, eachMs: 1, maxMs: 3 }] }));
  assert.ok(!isStall({ ...s, backToBack: [{ label: 'GET /hash', count: 2, eachMs: 1, maxMs: '3' }] }));
});

test('the CLI summary line tells a merged stall as its requests', () => {
  const s = stall({
    durationMs: 2190,
    handler: { kind: 'http', label: 'GET /hash' },
    victims: [{ label: 'GET /hash', delayedMs: 2000, state: 'queued', count: 13 }],
    backToBack: [{ label: 'GET /hash', count: 14, eachMs: 150 }],
  });
  assert.equal(victimsLine([s]), 'the longest stall (2.19 s in GET /hash: 14 requests of GET /hash back to back, ~150 ms each) delayed 13 requests (all GET /hash)');
});
