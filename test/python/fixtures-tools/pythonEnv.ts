/**
 * Where the Python tools' tests find their interpreters and the probe: the pinned venvs that
 * scripts/ensure-python.sh builds (idempotent, under a second once done) and the probe folder as
 * it ships, dist/python (rebuilt with esbuild.mjs when src/python is newer).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..', '..');
export const TOOLS_FIXTURES = __dirname;
/** CPython 3.11 with FastAPI, uvicorn[standard], httpx, pytest, debugpy (test/python/requirements.txt). */
export const VENV_PYTHON = join(ROOT, '.venv', 'bin', 'python');
/** CPython 3.13, the newest supported: Starlette, uvicorn (h11), httpx, pytest (test/python/requirements-py313.txt). */
export const VENV313_PYTHON = join(ROOT, '.venv-3.13', 'bin', 'python');
export const PROBE_DIR = join(ROOT, 'dist', 'python');
const PROBE_SOURCES = join(ROOT, 'src', 'python');

function newestMtime(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    if (name === '__pycache__') continue;
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return t;
}

/** Builds the venvs if needed and dist/python if stale; throws with the failing step's output. */
export function ensurePythonTools(): void {
  const venvs = spawnSync('bash', [join(ROOT, 'scripts', 'ensure-python.sh')], { cwd: ROOT, encoding: 'utf8' });
  if (venvs.status !== 0) throw new Error(`scripts/ensure-python.sh failed (exit ${venvs.status}):\n${venvs.stdout}${venvs.stderr}`);
  const built = () => existsSync(join(PROBE_DIR, 'sitecustomize.py')) && newestMtime(PROBE_DIR) >= newestMtime(PROBE_SOURCES);
  if (built()) return;
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0 || !built()) throw new Error(`node esbuild.mjs did not produce an up-to-date dist/python (exit ${build.status}):\n${build.stdout}${build.stderr}`);
}

/** `env` with the probe folder first on PYTHONPATH (then `extra` folders), without any inherited PYTHONPATH. */
export function pythonEnv(extra: string[] = [], env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, PYTHONPATH: [PROBE_DIR, ...extra].join(delimiter), PYTHONDONTWRITEBYTECODE: '1' };
  delete out.STALLSCOPE_OPTIONS;
  return out;
}

/** The 1-based line of the only line in `file` that contains `marker`. */
export function lineOf(file: string, marker: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const hits = lines.flatMap((l, i) => (l.includes(marker) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`${file}: expected one line with "${marker}", found ${hits.length}`);
  return hits[0];
}
