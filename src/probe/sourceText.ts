/**
 * Lines of the user's generated files, read in the watchdog when a frame alone cannot say what was
 * called: the name at a call site, as the user wrote it. Few files, read once each, bounded.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 20;

export class SourceText {
  private readonly files = new Map<string, string[] | null>();

  /** The identifier that starts at `line`:`column` (1-based) of `file`, e.g. `deflateSync` in `deflateSync(buf)`. */
  identifierAt(file: string, line: number, column: number): string | undefined {
    const text = this.lines(file)?.[line - 1];
    if (text === undefined) return undefined;
    return /^[A-Za-z_$][\w$]*/.exec(text.slice(Math.max(0, column - 1)))?.[0];
  }

  private lines(file: string): string[] | null {
    let lines = this.files.get(file);
    if (lines !== undefined) return lines;
    try {
      lines = isAbsolute(file) && statSync(file).size <= MAX_FILE_BYTES ? readFileSync(file, 'utf8').split('\n') : null;
    } catch {
      lines = null;
    }
    if (this.files.size >= MAX_FILES) this.files.delete(this.files.keys().next().value as string);
    this.files.set(file, lines);
    return lines;
  }
}
