/** STALLSCOPE_DEBUG=1: the watchdog explains its decisions on stderr (development aid only). */
import { writeSync } from 'node:fs';

const DEBUG = !!process.env.STALLSCOPE_DEBUG;

export function debug(msg: () => string): void {
  if (!DEBUG) return;
  try {
    writeSync(2, `[stallscope ${process.pid}] ${msg()}\n`);
  } catch {
    // ignore
  }
}
