// The shape the code keeps (issue #8): small modules, no import circle. Checked here so that a
// change that grows a module past the limit or closes a circle fails the suite, not a later review.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import madge from 'madge';

const ROOT = path.resolve(__dirname, '..', '..');
const MAX_LINES = 450;

function sources(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p, ext));
    else if (ext.test(name)) out.push(p);
  }
  return out;
}

test(`no source module is over ${MAX_LINES} lines (TypeScript and the Python probe)`, () => {
  const files = [...sources(path.join(ROOT, 'src'), /\.(ts|py)$/), ...sources(path.join(ROOT, 'webview'), /\.ts$/)];
  assert.ok(files.length > 100, `${files.length} modules found`);
  const long = files
    .map((f) => [path.relative(ROOT, f), readFileSync(f, 'utf8').split('\n').length] as const)
    .filter(([, n]) => n > MAX_LINES);
  assert.deepEqual(long, []);
});

test('no import circle in src or webview', async () => {
  const res = await madge([path.join(ROOT, 'src'), path.join(ROOT, 'webview')], {
    fileExtensions: ['ts'],
    tsConfig: path.join(ROOT, 'tsconfig.json'),
  });
  assert.ok(Object.keys(res.obj()).length > 100, 'madge read the modules');
  assert.deepEqual(res.circular(), []);
});
