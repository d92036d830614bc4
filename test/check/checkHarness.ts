/**
 * Runs the real built `stallscope check` (dist/cli.js with dist/probe.js and dist/checkWorker.js
 * beside it) against the real fixture server, and reads its results the way CI would: exit code,
 * stdout, stderr, files. JUnit files are parsed by a real XML parser: Chromium's DOMParser.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../webview/harness';
import { CLI, ensureBuilt, tagLine } from '../cli/cliHarness';

export { ensureBuilt, tagLine };

export const FIXTURES = path.join(__dirname, 'fixtures');
export const SERVER = path.join(FIXTURES, 'checkServer.js');

export interface CheckRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; wallMs: number }>;
  /** Resolves with the first match of `re` on stderr (the progress lines). */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export function startCheck(args: string[], cwd = FIXTURES): CheckRun {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  delete env.NODE_OPTIONS; // the test runner's own (tsx) must not leak into the server under test
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI, 'check', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters) w();
  });
  const done = new Promise<Awaited<CheckRun['done']>>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, wallMs: Date.now() - t0 })),
  );
  const waitForStderr = (re: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = stderr.match(re);
        if (!m) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${re} on stderr: ${stderr}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { child, done, waitForStderr };
}

export function runCheckCli(args: string[], cwd?: string): CheckRun['done'] {
  return startCheck(args, cwd).done;
}

/** The server's pid, from the "server listening on … (pid N)" progress line. */
export function serverPid(stderr: string): number | undefined {
  const m = /server listening on \S+ \(pid (\d+)\)/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface JUnitCase {
  name: string;
  classname: string;
  time: number;
  failure: { message: string; type: string; text: string } | null;
  error: { message: string; type: string } | null;
}

export interface JUnitSuite {
  tests: number;
  failures: number;
  errors: number;
  cases: JUnitCase[];
}

/**
 * Runs in the page (plain JavaScript: the test tsconfig has no DOM types). Returns the suite, or
 * `{ error }` when the XML does not parse or is not JUnit.
 */
const PARSE_JUNIT = `(text) => {
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  const err = doc.querySelector('parsererror');
  if (err) return { error: err.textContent || 'parse error' };
  const root = doc.documentElement;
  const suite = root.querySelector(':scope > testsuite');
  if (root.nodeName !== 'testsuites' || !suite) return { error: 'unexpected root ' + root.nodeName };
  const num = (el, a) => Number(el.getAttribute(a));
  const cases = [...suite.querySelectorAll(':scope > testcase')].map((c) => {
    const f = c.querySelector(':scope > failure');
    const e = c.querySelector(':scope > error');
    return {
      name: c.getAttribute('name'),
      classname: c.getAttribute('classname'),
      time: num(c, 'time'),
      failure: f ? { message: f.getAttribute('message'), type: f.getAttribute('type'), text: f.textContent } : null,
      error: e ? { message: e.getAttribute('message'), type: e.getAttribute('type') } : null,
    };
  });
  return { suite: { tests: num(suite, 'tests'), failures: num(suite, 'failures'), errors: num(suite, 'errors'), cases } };
}`;

/** Parses JUnit XML with Chromium's DOMParser (a strict XML parser): a parse error is an exception, not a guess. */
export async function parseJUnit(browser: Browser, xml: string): Promise<JUnitSuite> {
  const page = await browser.newPage();
  try {
    const r = (await page.evaluate(`(${PARSE_JUNIT})(${JSON.stringify(xml)})`)) as { error: string } | { suite: JUnitSuite };
    if ('error' in r) throw new Error(`the JUnit file is not valid XML: ${r.error}`);
    return r.suite;
  } finally {
    await page.close();
  }
}

export function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}
