/**
 * Writing the report file. The write is atomic (a temp file in the same folder, then rename), so a
 * reader (the extension, a CI step) never sees half a report, and an interrupted write leaves the
 * previous report in place instead of a truncated one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Report } from '../shared/protocol/report';

export function writeFileAtomic(file: string, data: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export function serializeReport(report: Report, pretty = true): string {
  return JSON.stringify(report, null, pretty ? 2 : undefined) + '\n';
}

/**
 * Checks up front that the report can be written, so a long run is not lost to a typo in --out.
 * Returns an error message, or undefined when fine. Creates the folder if it is missing.
 * The messages name the option, the file and an example name (`--junit`, `the JUnit file`, `stallscope.xml`).
 */
export function checkWritable(file: string, o: { option?: string; what?: string; example?: string } = {}): string | undefined {
  const { option = '--out', what = 'the report', example = 'stallscope-report.json' } = o;
  try {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st?.isDirectory()) return `${option} ${file} is a directory; give a file name, e.g. ${path.join(file, example)}`;
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return undefined;
  } catch (e) {
    return `cannot write ${what} to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}
