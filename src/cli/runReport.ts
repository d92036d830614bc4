/**
 * The JSON report of a command run under the probe, as `run --out` and `check --out` write it: the
 * recording closed at the end of the run, and written atomically, to a temporary folder if the
 * chosen file cannot be written (losing a recording is worse than finding it in an odd place).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProbeServer } from '../core/probeServer';
import type { Recording } from '../core/recording';
import type { Report } from '../shared/protocol/report';
import { serializeReport, writeFileAtomic } from './reportFile';

/** Closes what is still open and returns the report (the recording stays usable for a later call). */
export function finishReport(rec: Recording, server: ProbeServer, endedMs: number, exitCode: number | undefined): Report {
  if (exitCode !== undefined) {
    rec.end(endedMs);
    rec.exitCode = exitCode;
  }
  rec.flush();
  const report = rec.toReport();
  // Frames the host refused are lost data too; the report counts them with the probes' own drops.
  report.dropped = rec.dropped + server.refusals['bad-frame'] + server.refusals['oversized-frame'];
  return report;
}

export function tryWrite(file: string, report: Report, err: (line: string) => void): string | undefined {
  try {
    writeFileAtomic(file, serializeReport(report));
    return file;
  } catch (e) {
    // Losing the recording to a full disk or a vanished folder is worse than a report in an odd place.
    const fallback = path.join(os.tmpdir(), `stallscope-report-${process.pid}.json`);
    try {
      writeFileAtomic(fallback, serializeReport(report));
      err(`could not write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the report is in ${fallback}`);
      return fallback;
    } catch {
      err(`could not write the report to ${file}: ${(e as Error).message}`);
      return undefined;
    }
  }
}
