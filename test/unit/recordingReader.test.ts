import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recording } from '../../src/core/recording';
import { serializeReport } from '../../src/cli/reportFile';
import { readReportText } from '../../src/host/recordingReader';
import { hello, stall } from './samples';

test('a report the CLI serializer wrote reads back into the same recording', () => {
  const rec = new Recording({ command: ['node', 'server.js'] });
  rec.addProcess(hello());
  rec.upsertStall(stall());
  const read = readReportText(serializeReport(rec.toReport()), 'r.json');
  assert.ok(read.ok);
  const back = Recording.fromReport(read.report, 'r.json');
  assert.deepEqual(back.stalls, rec.stalls);
  assert.equal(back.title, 'r.json');
  rec.dispose();
});

test('every way a file is not a report gets one clear sentence naming the file', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /^r\.json is empty: it is not a Stallscope recording\.$/],
    ['{"version": 1,', /^r\.json is not valid JSON \(.+\): it is not a Stallscope recording\.$/],
    ['[1, 2]', /^r\.json is not a Stallscope recording: not a JSON object\.$/],
    ['{"version": 7}', /^r\.json is not a Stallscope recording: unsupported report version 7 \(this build reads version 1\)\.$/],
    [JSON.stringify({ version: 1, pid: 'x', command: [], startedAt: new Date().toISOString(), stalls: [], lag: [] }), /"pid" must be a non-negative integer\.$/],
    [JSON.stringify({ version: 1, pid: 1, command: [], startedAt: new Date().toISOString(), stalls: [{ id: 1 }], lag: [] }), /stalls\[0\] is not a valid stall\.$/],
  ];
  for (const [text, re] of cases) {
    const read = readReportText(text, 'r.json');
    assert.equal(read.ok, false, text);
    assert.match((read as { error: string }).error, re);
  }
});
