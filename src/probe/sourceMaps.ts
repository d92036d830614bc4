/**
 * Source maps, resolved in the watchdog thread only (reading and parsing a map on the user's main
 * thread would be a stall of our own). The map is found the way Node and browsers find it: the
 * generated file's last `//# sourceMappingURL=` comment, an inline `data:` URL or a file beside it.
 * One parse per generated file, cached; a missing or broken map is cached as "none" and the
 * generated location is kept.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import type { SourceLocation } from '../shared/protocol/model';
import type { LocationResolver } from './frames';
import { SourceText } from './sourceText';

const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_CACHED = 500;

export class SourceMapResolver implements LocationResolver {
  private readonly maps = new Map<string, TraceMap | null>();
  /** Maps that failed to load, for the notice the watchdog may send once. */
  readonly failures: string[] = [];
  private readonly text = new SourceText();

  constructor(private readonly cwd: string) {}

  original(loc: SourceLocation): (SourceLocation & { name?: string }) | undefined {
    const map = this.mapFor(loc.file);
    if (!map) return undefined;
    try {
      const o = originalPositionFor(map, { line: loc.line, column: loc.column - 1 });
      if (o.source === null || o.line === null || o.column === null) return undefined;
      return { file: this.sourcePath(o.source), line: o.line, column: o.column + 1, ...(o.name ? { name: o.name } : {}) };
    } catch {
      return undefined;
    }
  }

  calleeAt(loc: SourceLocation): string | undefined {
    return this.text.identifierAt(loc.file, loc.line, loc.column);
  }

  private sourcePath(source: string): string {
    if (source.startsWith('file://')) {
      try {
        return fileURLToPath(source);
      } catch {
        return source;
      }
    }
    // webpack://<name>/./src/x.ts: the project-relative path after the namespace.
    const webpack = /^webpack:\/\/[^/]*\/(.*)$/.exec(source);
    if (webpack) return resolve(this.cwd, webpack[1]);
    return isAbsolute(source) ? source : resolve(this.cwd, source);
  }

  private mapFor(file: string): TraceMap | null {
    const cached = this.maps.get(file);
    if (cached !== undefined) return cached;
    let map: TraceMap | null;
    try {
      map = loadMap(file);
    } catch (e) {
      if (this.failures.length < 20) this.failures.push(`${file}: ${(e as Error).message}`);
      map = null;
    }
    if (this.maps.size >= MAX_CACHED) this.maps.delete(this.maps.keys().next().value as string);
    this.maps.set(file, map);
    return map;
  }
}

function loadMap(file: string): TraceMap | null {
  if (!isAbsolute(file) || !existsSync(file)) return null; // eval'd or virtual code: nothing to map
  if (statSync(file).size > MAX_FILE_BYTES) return null;
  const text = readFileSync(file, 'utf8');
  const url = lastSourceMappingUrl(text);
  if (!url) return null;
  let json: string;
  let mapLocation: string;
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    if (comma < 0) throw new Error('malformed data: URL');
    const meta = url.slice(5, comma);
    const body = url.slice(comma + 1);
    json = meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
    mapLocation = file;
  } else {
    mapLocation = url.startsWith('file://') ? fileURLToPath(url) : resolve(dirname(file), decodeURIComponent(url));
    json = readFileSync(mapLocation, 'utf8');
  }
  // TraceMap resolves `sources` against the map's own URL (and sourceRoot).
  return new TraceMap(JSON.parse(json), pathToFileURL(mapLocation).href);
}

/** The last `//# sourceMappingURL=` (or the legacy `//@`) comment; the last one wins, as in V8. */
export function lastSourceMappingUrl(text: string): string | undefined {
  let i = text.length;
  while ((i = text.lastIndexOf('sourceMappingURL=', i - 1)) >= 0) {
    const before = text.slice(Math.max(0, i - 8), i);
    if (/(?:\/\/|\/\*)[#@]\s*$/.test(before)) {
      const m = /^[^\s*'"]+/.exec(text.slice(i + 'sourceMappingURL='.length, i + 'sourceMappingURL='.length + 64 * 1024 * 1024));
      return m ? m[0] : undefined;
    }
    if (i === 0) break;
  }
  return undefined;
}
