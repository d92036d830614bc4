/**
 * What `Run Command with Stall Probe…` proposes: the commands run that way lately in this
 * workspace, then the ones a project says it is started with (its package.json scripts, with the
 * package manager its lockfile names; an ASGI app found in a top-level Python file, under uvicorn).
 * Pure and `vscode`-free: the host reads the files and hands their text in.
 */

export interface ProjectFiles {
  /** The workspace root's package.json text, if any. */
  packageJson?: string;
  /** Names of the files at the workspace root (lockfiles, *.py). */
  rootFiles: readonly string[];
  /** Top-level Python files' text, by file name (`main.py`). */
  python?: Readonly<Record<string, string>>;
}

export interface CommandSuggestion {
  command: string;
  /** Why it is proposed: `recent`, `package.json script "dev"`, `FastAPI app in main.py`. */
  detail: string;
}

/** Scripts that start a server, in the order a developer reaches for them. */
const SERVER_SCRIPTS = ['dev', 'start:dev', 'start', 'serve', 'watch'];
const MAX_RECENT = 8;

function packageManager(rootFiles: readonly string[]): 'npm' | 'pnpm' | 'yarn' | 'bun' {
  if (rootFiles.includes('pnpm-lock.yaml')) return 'pnpm';
  if (rootFiles.includes('yarn.lock')) return 'yarn';
  if (rootFiles.includes('bun.lockb') || rootFiles.includes('bun.lock')) return 'bun';
  return 'npm';
}

/** `npm start`, `npm run dev`, `pnpm dev`, `yarn dev`. */
export function scriptCommand(pm: ReturnType<typeof packageManager>, script: string): string {
  if (pm === 'npm') return script === 'start' ? 'npm start' : `npm run ${script}`;
  return pm === 'bun' ? `bun run ${script}` : `${pm} ${script}`;
}

function scriptsOf(packageJson: string | undefined): Record<string, unknown> {
  if (!packageJson) return {};
  try {
    const scripts = (JSON.parse(packageJson) as { scripts?: unknown }).scripts;
    return typeof scripts === 'object' && scripts !== null && !Array.isArray(scripts) ? (scripts as Record<string, unknown>) : {};
  } catch {
    return {}; // a package.json being edited: nothing to propose from it
  }
}

/** `app = FastAPI(…)` at the top level of a module: the name uvicorn is given (`main:app`). */
export function asgiApps(fileName: string, text: string): { target: string; framework: string }[] {
  const module = fileName.replace(/\.py$/, '');
  if (!/^[A-Za-z_]\w*$/.test(module)) return [];
  const out: { target: string; framework: string }[] = [];
  for (const m of text.matchAll(/^([A-Za-z_]\w*)\s*(?::[^=\n]+)?=\s*(FastAPI|Starlette|Quart|Litestar)\s*\(/gm)) {
    out.push({ target: `${module}:${m[1]}`, framework: m[2] });
  }
  return out;
}

export function suggestCommands(recent: readonly string[], project: ProjectFiles): CommandSuggestion[] {
  const out: CommandSuggestion[] = recent.map((command) => ({ command, detail: 'recent' }));
  const scripts = scriptsOf(project.packageJson);
  const pm = packageManager(project.rootFiles);
  for (const name of SERVER_SCRIPTS) {
    if (typeof scripts[name] === 'string') out.push({ command: scriptCommand(pm, name), detail: `package.json script "${name}": ${scripts[name] as string}` });
  }
  for (const [file, text] of Object.entries(project.python ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    for (const app of asgiApps(file, text)) out.push({ command: `python -m uvicorn ${app.target} --reload`, detail: `${app.framework} app in ${file}` });
  }
  const seen = new Set<string>();
  return out.filter((s) => !seen.has(s.command) && seen.add(s.command));
}

/** The recent list after running `command`: it goes first, once; the oldest fall off. */
export function rememberCommand(recent: readonly string[], command: string): string[] {
  return [command, ...recent.filter((c) => c !== command)].slice(0, MAX_RECENT);
}
