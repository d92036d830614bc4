/**
 * The JSON.parse wrapper (nativeCalls.ts) in this very process: it must behave exactly like the
 * engine's JSON.parse for the program (results, reviver, errors and their stacks, name, length),
 * and keep the call site of a slow parse for the look that comes after it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BIG_TEXT, nativeInProgress, slowCallEndedSince, wrapJsonParse } from '../../src/probe/nativeCalls';
import { rawFrames } from '../../src/probe/callSites';
import { hrMs } from '../../src/probe/clock';
import type { Handler } from '../../src/shared/protocol/model';

const original = JSON.parse;
const bad = '{"a": 1,,}';

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a throw');
}

function parseBadHere(): unknown {
  return JSON.parse(bad);
}

describe('JSON.parse wrapper', () => {
  const before = errorOf(parseBadHere);
  // What the probe's snapshot would name as running (a request, a timer), as the test sets it.
  let running: Handler | null = null;
  wrapJsonParse(rawFrames, () => running);

  it('is installed once, looks like the original', () => {
    assert.notEqual(JSON.parse, original);
    const again = JSON.parse;
    wrapJsonParse(rawFrames);
    assert.equal(JSON.parse, again, 'a second install does nothing');
    assert.equal(JSON.parse.name, 'parse');
    assert.equal(JSON.parse.length, 2);
    assert.equal(Object.getOwnPropertyDescriptor(JSON, 'parse')?.enumerable, false);
  });

  it('parses small and big texts, with and without a reviver, like the original', () => {
    const small = '{"a":[1,2,{"b":null}],"c":"d"}';
    assert.deepEqual(JSON.parse(small), original(small));
    const big = JSON.stringify(Array.from({ length: BIG_TEXT / 8 }, (_, i) => ({ i })));
    assert.ok(big.length >= BIG_TEXT);
    assert.deepEqual(JSON.parse(big), original(big));
    const reviver = (_k: string, v: unknown) => (typeof v === 'number' ? v * 2 : v);
    assert.deepEqual(JSON.parse(small, reviver), original(small, reviver));
    assert.deepEqual(JSON.parse(big, reviver).slice(0, 3), [{ i: 0 }, { i: 2 }, { i: 4 }]);
    assert.equal(JSON.parse(5 as unknown as string), 5, 'non-strings are coerced as by the original');
  });

  it('throws the same error, its stack without the wrapper line', () => {
    const after = errorOf(parseBadHere);
    assert.equal(after.constructor, SyntaxError);
    assert.equal(after.message, before.message);
    const lines = (e: Error) => (e.stack ?? '').split('\n').slice(0, 3);
    assert.deepEqual(lines(after), lines(before));
    assert.doesNotMatch(after.stack ?? '', /src.probe.nativeCalls/);
  });

  it('keeps the call site of a slow parse, and marks a parse in progress', () => {
    const t0 = hrMs();
    const big = JSON.stringify(Array.from({ length: 150_000 }, (_, i) => ({ id: i, name: `n${i}`, tags: ['a', 'b'] })));
    // Slow enough on any machine: several MB, parsed with a reviver that looks inside the parse.
    let seen: string | undefined;
    running = { kind: 'http', label: 'GET /report' };
    const parsed = JSON.parse(big, function (this: unknown, _k: string, v: unknown) {
      seen ??= nativeInProgress();
      return v;
    }) as unknown[];
    // The loop may go on to the next request in the same turn before the look runs.
    running = { kind: 'http', label: 'GET /search' };
    assert.equal(parsed.length, 150_000);
    assert.equal(seen, 'JSON.parse', 'a look during the parse knows it is inside it');
    assert.equal(nativeInProgress(), undefined);
    const slow = slowCallEndedSince(t0);
    assert.ok(slow, 'the parse took over 10 ms and was recorded');
    assert.equal(slow.api, 'JSON.parse');
    assert.ok(slow.endHr - slow.startHr >= 10);
    const site = slow.frames.find((f) => f.file === __filename);
    assert.ok(site, JSON.stringify(slow.frames.slice(0, 3)));
    assert.deepEqual(slow.handler, { kind: 'http', label: 'GET /report' }, 'what it ran for, not what runs when the look comes');
    assert.equal(slowCallEndedSince(hrMs() + 1), undefined, 'older than asked: not this stall\'s');
  });
});
