/**
 * The extension page shows the README from inside the VSIX, so every picture it references must be
 * packaged: .vscodeignore is an allow-list, and a picture it does not name is a broken image on the
 * Marketplace and in the Extensions view. The list comes from vsce itself (the packager's own
 * matching of .vscodeignore), run on a copy of the manifest, the README, the ignore file and the
 * referenced files, so it is quick and does not walk node_modules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PackageManager, listFiles } from '@vscode/vsce';

const ROOT = path.resolve(__dirname, '../..');

/** The images a markdown file shows: `![alt](src "title")`, `![alt](<src with spaces>)` and `<img src="…">`. */
function imageRefs(markdown: string): string[] {
  const refs = [...markdown.matchAll(/!\[[^\]]*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? m[2]);
  refs.push(...[...markdown.matchAll(/<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]));
  return [...new Set(refs)];
}

test('imageRefs finds markdown and HTML images', () => {
  const md = 'a ![x](docs/a.png) b ![y](<media/b c.png>) ![w](https://x/y.png "t")\n<p><img alt="z" src="./c.svg"></p> [not](d.png)';
  assert.deepEqual(imageRefs(md), ['docs/a.png', 'media/b c.png', 'https://x/y.png', './c.svg']);
});

test('every picture the README shows is in the VSIX', async () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const refs = imageRefs(readme);
  assert.ok(refs.length > 0, 'the README shows at least one picture');
  const local = refs.filter((r) => !/^[a-z]+:/i.test(r)).map((r) => path.posix.normalize(r.replace(/^\.\//, '')));
  for (const r of refs.filter((x) => /^[a-z]+:/i.test(x))) assert.match(r, /^https:\/\//, `${r}: the Marketplace shows only https pictures`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-vsix-'));
  try {
    for (const f of ['package.json', 'README.md', '.vscodeignore', ...local]) {
      assert.ok(fs.existsSync(path.join(ROOT, f)), `${f} exists`);
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    const packaged = await listFiles({ cwd: dir, packageManager: PackageManager.None });
    for (const f of local) assert.ok(packaged.includes(f), `${f} is shown by the README but left out of the VSIX by .vscodeignore (packaged: ${packaged.join(', ')})`);
    assert.ok(packaged.includes('README.md'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
