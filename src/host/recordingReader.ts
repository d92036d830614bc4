/**
 * Reading a report file back (`Stallscope: Open Recording`): the same JSON the CLI writes. Every
 * way it can be wrong gets a sentence the user can act on; nothing is guessed. Pure and `vscode`-free.
 */
import { parseReport, type Report } from '../shared/protocol/report';

export type ReadReport = { ok: true; report: Report } | { ok: false; error: string };

export function readReportText(text: string, fileName: string): ReadReport {
  if (!text.trim()) return { ok: false, error: `${fileName} is empty: it is not a Stallscope recording.` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `${fileName} is not valid JSON (${(e as Error).message}): it is not a Stallscope recording.` };
  }
  const parsed = parseReport(data);
  return parsed.ok ? parsed : { ok: false, error: `${fileName} is not a Stallscope recording: ${parsed.error}.` };
}
