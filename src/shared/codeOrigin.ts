/**
 * Whose code a file is: the user's, a dependency's (an installed package), or the runtime's (Node's
 * `node:` modules, Python's standard library). One rule for the editor's lenses, the hover's folded
 * frames and the names the CLI and `check` give a dependency's frame. (The probes pick a stall's
 * culprit by their own runtime's rule, which knows its folders exactly.)
 */

/** Folders that hold installed packages: npm's, pip's, Debian's pip. */
const PACKAGE_FOLDERS = new Set(['node_modules', 'site-packages', 'dist-packages']);
/** Python's standard library: `…/lib/python3.11/…` (POSIX), `…\Python311\Lib\…` (Windows). */
const PYTHON_STDLIB = /[\\/]lib[\\/]python\d+(?:\.\d+)?[\\/]|[\\/]python\d+[\\/]lib[\\/]/i;

export interface PackageFile {
  /** `site-packages`, `node_modules`. */
  folder: string;
  /** `fastapi`, `@scope/pkg`. */
  name: string;
  /** The file as its package names it: `fastapi/encoders.py`. */
  path: string;
}

/** The innermost installed package `file` is in, or undefined. */
export function packageOf(file: string): PackageFile | undefined {
  const parts = file.split(/[\\/]/);
  let at = -1;
  for (let i = parts.length - 2; i >= 0; i--) {
    if (PACKAGE_FOLDERS.has(parts[i])) {
      at = i;
      break;
    }
  }
  const rest = parts.slice(at + 1);
  if (at < 0 || !rest[0]) return undefined;
  const scoped = rest[0].startsWith('@') && rest.length > 2;
  const name = scoped ? `${rest[0]}/${rest[1]}` : rest.length === 1 ? rest[0].replace(/\.[cm]?js$|\.py$/, '') : rest[0];
  return { folder: parts[at], name, path: rest.join('/') };
}

export function isRuntimeFile(file: string): boolean {
  return file.startsWith('node:') || (PYTHON_STDLIB.test(file) && !packageOf(file));
}

export function isUserFile(file: string): boolean {
  return !isRuntimeFile(file) && !packageOf(file);
}

/** Where a frame outside the user's code comes from, in a word: `express`, `node:internal`, `asyncio`. */
export function originOf(file: string): string {
  if (file.startsWith('node:')) return file.split('/')[0];
  const pkg = packageOf(file);
  if (pkg) return pkg.name;
  const m = PYTHON_STDLIB.exec(file);
  if (m) return file.slice(m.index + m[0].length).split(/[\\/]/)[0].replace(/\.py$/, '');
  return file;
}
