import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkWritable, writeFileAtomic } from '../../src/cli/reportFile';

test('the report is written atomically, creating its folder, leaving no temp file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-report-'));
  try {
    const file = path.join(dir, 'nested', 'r.json');
    assert.equal(checkWritable(file), undefined);
    writeFileAtomic(file, '{"a":1}\n');
    writeFileAtomic(file, '{"a":2}\n');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"a":2}\n');
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['r.json']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an unusable --out is caught before the run starts', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ss-report-'));
  try {
    assert.match(checkWritable(dir) ?? '', /is a directory; give a file name/);
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, '');
    assert.match(checkWritable(path.join(blocker, 'r.json')) ?? '', /cannot write the report to .*: (ENOTDIR|EEXIST)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
