/**
 * `stallscope`: the headless host. Dispatches to a command; each command owns its options and help.
 */
import * as path from 'node:path';
import { isatty } from 'node:tty';
import { version } from '../../package.json';
import { UsageError } from './args';
import { ExitCode, type CliIo, type Command } from './command';
import { checkCommand } from './checkCommand';
import { runCommand } from './runCommand';

export const commands: readonly Command[] = [runCommand, checkCommand];

export function mainHelp(): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    `stallscope ${version}: find the code that blocks your Node.js event loop`,
    '',
    'Usage:',
    '  stallscope run [options] -- <command ...>   run a command under the probe and report its stalls',
    "  stallscope check -e 'GET /path' [options] -- <command ...>",
    '                                              load endpoints of the server it starts: blocking or not',
    '  stallscope <command> --help                 options of a command',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help',
    '  -V, --version  print the version',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      io.stderr.write(mainHelp());
      return ExitCode.usage;
    }
    if (first === '-h' || first === '--help') {
      io.stdout.write(mainHelp());
      return ExitCode.ok;
    }
    if (first === '-V' || first === '--version') {
      io.stdout.write(`${version}\n`);
      return ExitCode.ok;
    }
    if (first === 'help') {
      const cmd = rest[0] === undefined ? undefined : findCommand(rest[0]);
      io.stdout.write(cmd ? cmd.help() : mainHelp());
      return ExitCode.ok;
    }
    const cmd = findCommand(first);
    // `--help` before the `--` asks for help; after it, it belongs to the user's command.
    const end = rest.indexOf('--');
    if ((end < 0 ? rest : rest.slice(0, end)).some((a) => a === '--help' || a === '-h')) {
      io.stdout.write(cmd.help());
      return ExitCode.ok;
    }
    return await cmd.main(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`stallscope: ${e.message}\n`);
      return ExitCode.usage;
    }
    io.stderr.write(`stallscope: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return ExitCode.internal;
  }
}

function findCommand(name: string): Command {
  const cmd = commands.find((c) => c.name === name);
  if (cmd) return cmd;
  if (name.startsWith('-')) throw new UsageError(`unknown option ${name} (see stallscope --help)`);
  throw new UsageError(`unknown command "${name}" (commands: ${commands.map((c) => c.name).join(', ')}; see stallscope --help)`);
}

function defaultIo(): CliIo {
  // EPIPE on our stdout (`stallscope run --json ... | head`) must not turn into a crash.
  process.stdout.on('error', () => undefined);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    stdinIsTTY: isatty(0), // not process.stdin: creating that stream would touch the terminal the command reads
    // The CLI bundle and the probe bundle are built side by side into dist/.
    probePath: path.join(__dirname, 'probe.js'),
    checkWorkerPath: path.join(__dirname, 'checkWorker.js'),
  };
}

if (require.main === module) {
  void main(process.argv.slice(2), defaultIo()).then((code) => {
    process.exitCode = code;
    // Normally nothing is left and the process ends here. If a handle leaked (an orphaned grandchild's
    // socket, a bug), do not hang the user's shell or CI job: this timer only fires if something else is alive.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}
