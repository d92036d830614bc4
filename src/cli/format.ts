/** Small formatting helpers shared by the CLI's human output. */
import * as path from 'node:path';

// Durations and counts are said as everywhere else (the editor, the timeline).
export { formatDuration, plural } from '../shared/phrases';

/** `file` relative to `cwd` when it is inside it (what a terminal user can click or type), else as is. */
export function displayPath(file: string, cwd: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
