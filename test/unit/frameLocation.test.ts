import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameLocation } from '../../src/host/frameLocation';
import { frame, stall } from './samples';

test('no frame index: the culprit; an index: that frame of the stack', () => {
  const s = stall({ culprit: frame({ file: '/app/a.js', line: 12, column: 5 }), frames: [frame({ file: '/app/lib.js', line: 3 }), frame({ file: '/app/a.js', line: 12, column: 5 })] });
  assert.deepEqual(pick(frameLocation(s)), ['/app/a.js', 12, 5]);
  assert.deepEqual(pick(frameLocation(s, 0)), ['/app/lib.js', 3, 7]);
  const noCulprit = stall({ culprit: null, frames: [frame({ file: '/app/lib.js', line: 3 })] });
  assert.deepEqual(pick(frameLocation(noCulprit)), ['/app/lib.js', 3, 7], 'the innermost frame when no user code is on the stack');
});

test('file URLs become paths', () => {
  assert.deepEqual(pick(frameLocation(stall({ culprit: frame({ file: 'file:///app/esm%20dir/m.mjs', line: 2 }) }))), ['/app/esm dir/m.mjs', 2, 7]);
});

test('each way it cannot open says why', () => {
  const cases: Array<[ReturnType<typeof frameLocation>, RegExp]> = [
    [frameLocation(undefined), /no longer in the recording/],
    [frameLocation(stall({ culprit: null, frames: [] })), /no stack/],
    [frameLocation(stall(), 9), /no frame #9/],
    [frameLocation(stall({ culprit: frame({ file: 'node:internal/timers' }) })), /part of Node\.js/],
    [frameLocation(stall({ culprit: frame({ file: 'evalmachine.<anonymous>' }) })), /did not report a file on disk/],
    [frameLocation(stall({ culprit: frame({ file: 'file://remote-host/x.js' }) })), /not a local file/],
  ];
  for (const [loc, re] of cases) {
    assert.equal(loc.ok, false);
    assert.match((loc as { error: string }).error, re);
  }
});

function pick(loc: ReturnType<typeof frameLocation>) {
  assert.ok(loc.ok, loc.ok ? '' : loc.error);
  return [loc.file, loc.line, loc.column];
}
