/**
 * Runs real pytest on a fixture folder and reads what happened to each test from its JUnit XML:
 * the outcome and the first line of the failure text, as a pytest user reads them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestOutcome {
  outcome: 'passed' | 'failed' | 'error' | 'skipped';
  /** The failure's text (pytest.fail's message), entities decoded. */
  message?: string;
}

export interface PytestRun {
  code: number | null;
  output: string;
  /** By `file.py::test_name[param]`. */
  tests: Map<string, TestOutcome>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? decode(m[1]) : undefined;
};

export function parseJunit(xml: string): Map<string, TestOutcome> {
  const tests = new Map<string, TestOutcome>();
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const head = m[1];
    const body = m[3] ?? '';
    const file = (attr(head, 'file') ?? `${(attr(head, 'classname') ?? '').replace(/\./g, '/')}.py`).replace(/^.*\//, '');
    const key = `${file}::${attr(head, 'name')}`;
    const child = /<(failure|error|skipped)\b([^>]*)/.exec(body);
    if (!child) tests.set(key, { outcome: 'passed' });
    else {
      const kind = child[1] === 'failure' ? 'failed' : child[1] === 'error' ? 'error' : 'skipped';
      tests.set(key, { outcome: kind, message: attr(`${child[2]} `, 'message') });
    }
  }
  return tests;
}

/** `python -m pytest ARGS` in `cwd` with `env`, killed after `timeoutMs`. */
export async function runPytest(python: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<PytestRun> {
  const dir = mkdtempSync(join(tmpdir(), 'stallscope-pytest-'));
  const junit = join(dir, 'junit.xml');
  try {
    const child = spawn(python, ['-m', 'pytest', '-p', 'no:cacheprovider', `--junitxml=${junit}`, '-o', 'junit_family=xunit2', ...args], {
      cwd,
      env: { COLUMNS: '200', ...env }, // a terminal wide enough for the summary line to show the whole failure text
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    clearTimeout(timer);
    let xml = '';
    try {
      xml = readFileSync(junit, 'utf8');
    } catch {
      // no report: the run crashed before writing it; the caller sees `output`
    }
    return { code, output, tests: parseJunit(xml) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
