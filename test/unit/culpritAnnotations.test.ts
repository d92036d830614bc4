import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationText, lineAnnotations, stackLines } from '../../src/host/culpritAnnotations';
import { frame, stall } from './samples';

test('the inline text: count, worst duration, the handler', () => {
  assert.equal(annotationText({ count: 3, maxMs: 812, handlers: ['GET /report'] }), 'blocked the loop 3× · max 812 ms · GET /report');
  assert.equal(annotationText({ count: 1, maxMs: 1500, handlers: [] }), 'blocked the loop 1× · max 1.50 s');
  assert.equal(annotationText({ count: 4, maxMs: 60, handlers: ['GET /a', 'POST /b', 'setTimeout'] }), 'blocked the loop 4× · max 60 ms · GET /a +2');
  const long = `GET /${'x'.repeat(200)}`;
  assert.ok(annotationText({ count: 1, maxMs: 60, handlers: [long] }).length < 120, 'a huge label is clipped');
});

test('one annotation per culprit line in user code, the worst stack first in the hover', () => {
  const a = frame({ file: '/app/a.js', line: 10 });
  const stalls = [
    stall({ id: '1', culprit: a, durationMs: 100 }),
    stall({ id: '2', culprit: a, durationMs: 812, handler: { kind: 'http', label: 'GET /report' } }),
    stall({ id: '3', culprit: frame({ file: '/app/b.js', line: 3 }), durationMs: 60, handler: null, cause: { kind: 'native', api: 'pbkdf2Sync' } }),
    stall({ id: '4', culprit: null }),
    stall({ id: '5', culprit: frame({ file: 'node:internal/fs', line: 1 }) }),
  ];
  const byFile = new Map(lineAnnotations(stalls).map((x) => [x.file, x]));
  assert.deepEqual([...byFile.keys()].sort(), ['/app/a.js', '/app/b.js'], 'no line for unknown or node: culprits');
  const anA = byFile.get('/app/a.js')!;
  assert.equal(anA.line, 10);
  assert.equal(anA.text, 'blocked the loop 2× · max 812 ms · GET /report');
  const texts = anA.hover.filter((p) => p.kind === 'text').map((p) => p.text);
  assert.match(texts[0], /blocked the event loop 2× \(total 912 ms, max 812 ms\)/);
  assert.match(texts[1], /^2× · max 812 ms · GET \/report · JavaScript on the CPU$/, 'one entry for the one stack, told by its worst stall');
  const frames = anA.hover.flatMap((p) => (p.kind === 'frames' ? p.frames : []));
  assert.deepEqual(frames[0], { text: 'at buildReport (/app/a.js:10:7)', file: '/app/a.js', line: 10, column: 7 }, 'a frame of user code links to its line');
  assert.ok(frames.some((f) => f.text === 'at listOnTimeout (node:internal/timers:1:1)' && f.file === undefined), 'no link into Node itself');
  assert.match(byFile.get('/app/b.js')!.hover[1].kind === 'text' ? (byFile.get('/app/b.js')!.hover[1] as { text: string }).text : '', /^60 ms · no handler · sync native call: pbkdf2Sync$/);
});

test('untrusted names stay in text the editor escapes; one entry per distinct stack, capped', () => {
  const evil = '[click](command:workbench.action.terminal.new) <img src=x>';
  const same = Array.from({ length: 8 }, (_, i) =>
    stall({ id: String(i), durationMs: 100 + i, handler: { kind: 'http', label: evil }, frames: Array.from({ length: 30 }, (_, j) => frame({ line: j + 1, function: evil })) }),
  );
  const [an] = lineAnnotations(same);
  assert.ok(an.hover.every((p) => p.kind === 'text' || p.kind === 'frames'));
  const stacks = an.hover.filter((p) => p.kind === 'frames');
  assert.equal(stacks.length, 1, 'eight stalls with the same stack: one stack');
  assert.equal(stacks[0].kind === 'frames' && stacks[0].frames.length, 13, '12 frames and a "more" line');
  assert.match(an.hover[1].kind === 'text' ? an.hover[1].text : '', /^8× · max 107 ms · /);
  // Seven different stacks: five shown, the rest counted.
  const distinct = Array.from({ length: 7 }, (_, i) => stall({ id: `d${i}`, durationMs: 100 + i, frames: [frame(), frame({ file: '/app/caller.js', line: i + 1 })] }));
  const [an2] = lineAnnotations(distinct);
  assert.equal(an2.hover.filter((p) => p.kind === 'frames').length, 5);
  const last = an2.hover[an2.hover.length - 1];
  assert.match(last.kind === 'text' ? last.text : '', /and 2 more with other stacks in the timeline/);
});

test('runs of dependency and runtime frames are folded into one line, the user\'s frames stay', () => {
  const lines = stackLines([
    frame({ file: '/app/src/pricing.ts', line: 17, function: 'price' }),
    frame({ file: '/app/node_modules/lodash/lodash.js', line: 1, function: 'map' }),
    frame({ file: '/app/node_modules/lodash/lodash.js', line: 2, function: 'arrayMap' }),
    frame({ file: '/app/src/routes.ts', line: 5, function: 'handler' }),
    frame({ file: '/app/node_modules/express/lib/router/layer.js', line: 95, function: 'handle' }),
    frame({ file: '/app/node_modules/express/lib/router/index.js', line: 284, function: 'next' }),
    frame({ file: '/app/node_modules/@scope/pkg/index.js', line: 3, function: 'x' }),
    frame({ file: 'node:internal/process/task_queues', line: 95, function: 'process' }),
  ]);
  assert.deepEqual(
    lines.map((l) => l.text),
    [
      'at price (/app/src/pricing.ts:17:7)',
      '… 2 frames in lodash',
      'at handler (/app/src/routes.ts:5:7)',
      '… 4 frames in express, @scope/pkg, node:internal',
    ],
  );
});

test('the hover says what a stall did to other requests', () => {
  const victims = [
    { label: 'GET /report', delayedMs: 300, state: 'in-flight' as const, count: 4 },
    { label: 'GET /health', delayedMs: 280, state: 'queued' as const },
  ];
  const [an] = lineAnnotations([stall({ id: 'v', durationMs: 300, victims })]);
  assert.match(an.hover[1].kind === 'text' ? an.hover[1].text : '', /^300 ms · GET \/report · JavaScript on the CPU · delayed 5 requests, 1 of them GET \/health$/);
});
