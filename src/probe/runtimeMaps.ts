/**
 * Source maps that exist only in the program's memory: code transpiled as it loads (tsx, ts-node)
 * has no map on disk that matches it, so the watchdog's disk lookup (sourceMaps.ts) cannot map it.
 * Node keeps such maps when source maps are enabled (`--enable-source-maps`, or
 * `process.setSourceMapsEnabled(true)`, which tsx calls), per thread: so they are read here, on
 * the blocked thread, by the snapshot. Without them, the inline map at the end of code compiled
 * through `Module.prototype._compile` (ts-node, CommonJS) is kept aside as it loads (a slice of
 * the code string the transpiler holds anyway). A lookup is a binary search in a parsed map; the
 * first in a file parses it (a stall pays that once per file); a program without such maps pays a
 * property read per look.
 */
import type * as ModuleModule from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RawFrame } from './callSites';

type FindSourceMap = typeof ModuleModule.findSourceMap;
type NodeSourceMap = NonNullable<ReturnType<FindSourceMap>>;

let nodeModule: typeof ModuleModule | undefined;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  nodeModule = require('node:module') as typeof ModuleModule;
} catch {
  nodeModule = undefined;
}
const findSourceMap: FindSourceMap | undefined = nodeModule?.findSourceMap;

/** The inline maps (`data:` URLs) of modules compiled from memory, by filename, while Node keeps none. */
const inlineMaps = new Map<string, string>();
const INLINE_MAP = /^\/\/[#@] sourceMappingURL=(data:\S*)/;

/** The `data:` URL of a map in the code's last line (only that line is read: code without one costs a few characters). */
function lastLineMap(code: string): string | undefined {
  let end = code.length;
  while (end > 0 && code.charCodeAt(end - 1) <= 32) end--;
  const start = code.lastIndexOf('\n', end - 1) + 1;
  if (!code.startsWith('//', start)) return undefined;
  return INLINE_MAP.exec(code.slice(start, end))?.[1];
}

/**
 * Keeps the inline map of each CommonJS module compiled from now on, when Node itself does not
 * (source maps disabled). Once per thread.
 */
export function keepInlineMaps(): void {
  const proto = nodeModule?.prototype as { _compile?: (content: unknown, filename: unknown) => unknown } | undefined;
  const mark = Symbol.for('stallscope.inlineMaps');
  const p = proto as Record<symbol, unknown> | undefined;
  if (!proto || typeof proto._compile !== 'function' || p?.[mark]) return;
  const original = proto._compile;
  const wrapper = {
    _compile(this: unknown, content: unknown, filename: unknown): unknown {
      try {
        if (typeof content === 'string' && typeof filename === 'string' && !sourceMapsEnabled()) {
          const url = lastLineMap(content);
          if (url) inlineMaps.set(filename, url);
        }
      } catch {
        // a map is a nicety: the module compiles as it would without the probe
      }
      return original.call(this, content, filename);
    },
  };
  Object.defineProperty(proto, '_compile', { value: wrapper._compile, writable: true, configurable: true, enumerable: false });
  Object.defineProperty(proto, mark, { value: true });
}

/** Per generated file: its map, or null (none). A frame's file was loaded before it ran, so its map, if any, is there. */
const maps = new Map<string, NodeSourceMap | null>();
const MAX_FILES = 500;

function mapOf(file: string): NodeSourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  try {
    map = findSourceMap?.(file) ?? fromInline(file);
  } catch {
    map = null;
  }
  if (maps.size >= MAX_FILES) maps.clear();
  maps.set(file, map);
  return map;
}

/** A kept inline map, parsed (once: the caller caches it). */
function fromInline(file: string): NodeSourceMap | null {
  const url = inlineMaps.get(file.startsWith('file://') ? safePath(file) : file);
  if (!url || !nodeModule?.SourceMap) return null;
  const comma = url.indexOf(',');
  const body = url.slice(comma + 1).replace(/\s[\s\S]*$/, '');
  const json = url.slice(0, comma).endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
  const payload = JSON.parse(json) as ModuleModule.SourceMapPayload;
  // As Node does for the maps it keeps: sources resolved against the map's place (here, the file itself).
  const base = pathToFileURL(file.startsWith('file://') ? safePath(file) : file);
  const root = payload.sourceRoot ? `${payload.sourceRoot.replace(/\/?$/, '/')}` : '';
  payload.sources = payload.sources.map((src) => new URL(root + src, base).href);
  return new nodeModule.SourceMap(payload);
}

function safePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}

function sourceMapsEnabled(): boolean {
  const p = process as { sourceMapsEnabled?: boolean };
  // Node 20.7+ says; before that, assume they may be.
  return p.sourceMapsEnabled !== false;
}

/** The frames with their original locations where the runtime has a map (`original` set), in place. */
export function mapWithRuntime(frames: RawFrame[]): RawFrame[] {
  if (!findSourceMap || (!inlineMaps.size && !sourceMapsEnabled())) return frames;
  for (const f of frames) {
    if (!f.file || f.line < 1 || f.file.startsWith('node:')) continue;
    const map = mapOf(f.file);
    if (!map) continue;
    try {
      const e = map.findEntry(f.line - 1, Math.max(0, f.column - 1)) as Partial<{ originalSource: string; originalLine: number; originalColumn: number; name: string }>;
      if (typeof e.originalSource !== 'string' || typeof e.originalLine !== 'number' || typeof e.originalColumn !== 'number') continue;
      // Only a file: `webpack://…` and other namespaces are the watchdog's to place (sourceMaps.ts), from the file's own map.
      if (!/^(file:\/\/|\/|[A-Za-z]:[\\/])/.test(e.originalSource)) continue;
      f.original = { file: e.originalSource, line: e.originalLine + 1, column: e.originalColumn + 1 };
    } catch {
      // a broken map: the generated location stays
    }
  }
  return frames;
}
