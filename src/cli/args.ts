/**
 * A small, strict option parser for `stallscope <command> [options] -- <argv ...>`.
 *
 * Hand-written rather than `util.parseArgs` so every mistake gets its own one-line message that says
 * what was expected ("--threshold expects a number of milliseconds, got "fast""), and so the part after
 * `--` is passed through untouched: the user's command may have options that look like ours.
 */
import { DEFAULT_THRESHOLD_MS, MIN_THRESHOLD_MS } from '../shared/protocol/options';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface BaseSpec {
  /** Long name without dashes: `threshold` for `--threshold`. */
  name: string;
  /** One letter, for `-q`. */
  short?: string;
  /** Shown in --help. */
  help: string;
}

export interface FlagSpec extends BaseSpec {
  kind: 'flag';
}

export interface NumberSpec extends BaseSpec {
  kind: 'number';
  /** The placeholder in help and in messages: `MS`. */
  arg: string;
  /** Word used in the error message: "a number of milliseconds". */
  what: string;
  min: number;
  max: number;
  integer?: boolean;
}

export interface StringSpec extends BaseSpec {
  kind: 'string';
  arg: string;
  /** Later commands (e.g. `check --endpoint`) repeat an option; values are then collected in order. */
  repeatable?: boolean;
}

export type OptionSpec = FlagSpec | NumberSpec | StringSpec;

export type OptionValue = boolean | number | string | string[];

export interface ParsedArgs {
  /** Keyed by long name; absent when not given. */
  values: Map<string, OptionValue>;
  /** Everything after `--`, untouched. Empty when the command takes no `--` part. */
  rest: string[];
}

export interface ParseConfig {
  options: readonly OptionSpec[];
  /** `required`: the command needs `-- <command ...>` (stallscope run). */
  rest: 'required' | 'none';
  /** Used in messages: `stallscope run`. */
  usage: string;
}

export function parseArgs(argv: readonly string[], config: ParseConfig): ParsedArgs {
  const values = new Map<string, OptionValue>();
  const byLong = new Map(config.options.map((o) => [o.name, o]));
  const byShort = new Map(config.options.filter((o) => o.short).map((o) => [o.short as string, o]));
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') break;
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    let shown = arg;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (eq >= 0) inline = arg.slice(eq + 1);
      shown = `--${name}`;
      spec = byLong.get(name);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      spec = byShort.get(arg.slice(1));
    } else if (arg.startsWith('-') && arg.length > 1) {
      throw new UsageError(`unknown option ${arg} (see ${config.usage} --help)`);
    } else {
      throw new UsageError(
        config.rest === 'required'
          ? `missing -- before the command: ${config.usage} [options] -- ${arg} ...`
          : `unexpected argument "${arg}" (see ${config.usage} --help)`,
      );
    }
    if (!spec) throw new UsageError(`unknown option ${shown} (see ${config.usage} --help)`);

    if (spec.kind === 'flag') {
      if (inline !== undefined) throw new UsageError(`${shown} takes no value`);
      values.set(spec.name, true);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next === '--') throw new UsageError(`${shown} expects ${describeArg(spec)}`);
      raw = next;
      i++;
    }
    if (spec.kind === 'number') {
      values.set(spec.name, parseNumber(shown, raw, spec));
    } else if (spec.repeatable) {
      const prev = values.get(spec.name);
      values.set(spec.name, [...(Array.isArray(prev) ? prev : []), raw]);
    } else {
      if (values.has(spec.name)) throw new UsageError(`${shown} given twice`);
      if (raw === '') throw new UsageError(`${shown} expects ${describeArg(spec)}, got an empty string`);
      values.set(spec.name, raw);
    }
  }

  const rest = argv.slice(i + 1);
  if (config.rest === 'required') {
    if (i >= argv.length) throw new UsageError(`missing -- <command>: ${config.usage} [options] -- node app.js`);
    if (rest.length === 0 || rest[0] === '') throw new UsageError(`missing command after --: ${config.usage} [options] -- node app.js`);
  } else if (i < argv.length) {
    throw new UsageError(`${config.usage} takes no command after --`);
  }
  return { values, rest };
}

function describeArg(spec: NumberSpec | StringSpec): string {
  return spec.kind === 'number' ? `${spec.what} (${spec.arg})` : `a value (${spec.arg})`;
}

function parseNumber(shown: string, raw: string, spec: NumberSpec): number {
  // Number('') is 0 and Number(' 5') is 5: accept only plain decimal notation.
  const n = /^[+]?(\d+(\.\d*)?|\.\d+)$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new UsageError(`${shown} expects ${spec.what}, got "${raw}"`);
  if (spec.integer && !Number.isInteger(n)) throw new UsageError(`${shown} expects a whole number, got "${raw}"`);
  if (n < spec.min || n > spec.max) throw new UsageError(`${shown} must be between ${spec.min} and ${spec.max}, got ${raw}`);
  return n;
}

/**
 * The stall threshold for a run with a budget (`--fail-on-stall`, `--budget`): a budget below the
 * default threshold would be blind to the stalls it is about, so the threshold comes down to it;
 * a threshold given above the budget is a contradiction.
 */
export function thresholdFor(thresholdMs: number | undefined, budgetMs: number | undefined, budgetOption: string): number {
  if (budgetMs === undefined) return thresholdMs ?? DEFAULT_THRESHOLD_MS;
  if (thresholdMs === undefined) return Math.min(DEFAULT_THRESHOLD_MS, Math.max(MIN_THRESHOLD_MS, budgetMs));
  if (budgetMs < thresholdMs) {
    throw new UsageError(`${budgetOption} ${budgetMs} is below --threshold ${thresholdMs}: stalls shorter than the threshold are not measured`);
  }
  return thresholdMs;
}

/** The options block of a command's --help. */
export function formatOptions(options: readonly OptionSpec[]): string {
  const rows = options.map((o) => {
    const names = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.kind === 'flag' ? '' : ` ${o.arg}`}`;
    return [names, o.help] as const;
  });
  const width = Math.max(...rows.map(([n]) => n.length));
  return rows.map(([n, h]) => `  ${n.padEnd(width)}  ${h}`).join('\n');
}
