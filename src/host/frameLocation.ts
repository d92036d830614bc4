/**
 * From the ids the webview sends (`revealFrame {stallId, frameIndex}`) to a place in a file. The
 * webview never names paths; the host looks the stall up in its own store. Pure and `vscode`-free.
 */
import { fileURLToPath } from 'node:url';
import type { Frame, Stall } from '../shared/protocol/model';

export type FrameLocation = { ok: true; file: string; line: number; column: number; frame: Frame } | { ok: false; error: string };

/** `frameIndex` omitted: the culprit (the first frame in the user's code), else the innermost frame. */
export function frameLocation(stall: Stall | undefined, frameIndex?: number): FrameLocation {
  if (!stall) return { ok: false, error: 'That stall is no longer in the recording (it was cleared or replaced).' };
  const frame = frameIndex === undefined ? (stall.culprit ?? stall.frames[0]) : stall.frames[frameIndex];
  if (!frame) {
    return frameIndex === undefined
      ? { ok: false, error: 'This stall has no stack: the probe ran in lag-only mode, or the loop was blocked outside JavaScript.' }
      : { ok: false, error: `This stall has no frame #${frameIndex}.` };
  }
  if (frame.file.startsWith('node:')) return { ok: false, error: `${frame.file} is part of Node.js itself; there is no source to open.` };
  let file = frame.file;
  if (file.startsWith('file:')) {
    try {
      file = fileURLToPath(file);
    } catch {
      return { ok: false, error: `Cannot open ${frame.file}: not a local file.` };
    }
  }
  if (!isAbsolutePath(file)) return { ok: false, error: `Cannot open ${frame.file}: the probe did not report a file on disk.` };
  return { ok: true, file, line: frame.line, column: frame.column, frame };
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}
