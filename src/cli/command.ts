/**
 * What every `stallscope <command>` provides. `main.ts` only dispatches: adding a command is one
 * new module exporting a Command and one line in its registry.
 */
import type { Env } from '../core/probeEnv';

/** The outside world of a command, passed in so tests can give their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Env;
  cwd: string;
  /** Whether stdin is a terminal: then Ctrl-C reaches the command directly (see runCommand). */
  stdinIsTTY?: boolean;
  /** dist/probe.js, next to the CLI bundle. */
  probePath: string;
  /** dist/checkWorker.js (default: next to the probe bundle). */
  checkWorkerPath?: string;
}

export interface Command {
  name: string;
  /** One line for `stallscope --help`. */
  summary: string;
  /** The full `stallscope <name> --help` text. */
  help(): string;
  /** Resolves to the process exit code. Throws UsageError for bad arguments. */
  main(argv: string[], io: CliIo): Promise<number>;
}

/** Exit codes of stallscope itself; everything else is the user's command's own code. */
export const ExitCode = {
  ok: 0,
  /** --fail-on-stall: a stall was longer than the budget. */
  stallOverBudget: 1,
  usage: 2,
  /** Stallscope itself failed (could not start its probe server, missing probe bundle): as `env`/`timeout` do. */
  internal: 125,
  /** The command exists but cannot be run (permission denied). */
  cannotExecute: 126,
  /** The command does not exist. */
  notFound: 127,
} as const;
