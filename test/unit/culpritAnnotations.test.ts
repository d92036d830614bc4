import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationText, lineAnnotations } from '../../src/host/culpritAnnotations';
import { frame, stall } from './samples';

test('the inline text: count, worst duration, the handler', () => {
  assert.equal(annotationText({ count: 3, maxMs: 812, handlers: ['GET /report'] }), 'blocked the loop 3× · max 812 ms · GET /report');
  assert.equal(annotationText({ count: 1, maxMs: 1500, handlers: [] }), 'blocked the loop 1× · max 1.50 s');
  assert.equal(annotationText({ count: 4, maxMs: 60, handlers: ['GET /a', 'POST /b', 'setTimeout'] }), 'blocked the loop 4× · max 60 ms · GET /a +2');
  const long = `GET /${'x'.repeat(200)}`;
  assert.ok(annotationText({ count: 1, maxMs: 60, handlers: [long] }).length < 120, 'a huge label is clipped');
});

test('one annotation per culprit line in user code, worst stalls first in the hover', () => {
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
  assert.match(texts[1], /^812 ms · GET \/report · JavaScript on the CPU$/, 'the worst stall comes first');
  assert.ok(anA.hover.some((p) => p.kind === 'code' && p.text.includes('at buildReport (/app/a.js:10:7)')));
  assert.match(byFile.get('/app/b.js')!.hover[1].text, /^60 ms · no handler · synchronous native call \(pbkdf2Sync\)$/);
});

test('untrusted names stay plain text parts (the editor escapes them), stacks and long lists are capped', () => {
  const evil = '[click](command:workbench.action.terminal.new) <img src=x>';
  const stalls = Array.from({ length: 8 }, (_, i) =>
    stall({ id: String(i), durationMs: 100 + i, handler: { kind: 'http', label: evil }, frames: Array.from({ length: 30 }, (_, j) => frame({ line: j + 1, function: evil })) }),
  );
  const [an] = lineAnnotations(stalls);
  assert.ok(an.hover.every((p) => p.kind === 'text' || p.kind === 'code'));
  const code = an.hover.filter((p) => p.kind === 'code');
  assert.equal(code.length, 5, 'five stalls with stacks');
  assert.equal(code[0].text.split('\n').length, 13, '12 frames and a "more" line');
  assert.match(an.hover[an.hover.length - 1].text, /and 3 more in the timeline/);
});

test('the hover says what a stall did to other requests', () => {
  const victims = [
    { label: 'GET /report', delayedMs: 300, state: 'in-flight' as const, count: 4 },
    { label: 'GET /health', delayedMs: 280, state: 'queued' as const },
  ];
  const [an] = lineAnnotations([stall({ id: 'v', durationMs: 300, victims })]);
  assert.match(an.hover[1].text, /^300 ms · GET \/report · JavaScript on the CPU · delayed 5 requests, 1 of them GET \/health$/);
});
