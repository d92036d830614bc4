/**
 * What `stallscope run` and `stallscope check` do alike before their command runs: check the output
 * files up front, start the command under the probe, and turn a failure to start into the exit code
 * a shell would give (127 not found, 126 not executable, 125 stallscope itself).
 */
import * as path from 'node:path';
import { ProbeRun, SpawnError, type ProbeRunOptions } from '../core/probeRun';
import { ExitCode, type CliIo } from './command';
import { checkWritable } from './reportFile';

export type Err = (line: string) => void;

/**
 * An output file (`--out`, `--junit`) resolved against the working directory and checked before
 * anything runs, so a long run is not lost to a typo. `false`: it cannot be written (already said).
 */
export function outputPath(file: string | undefined, io: CliIo, err: Err, names?: Parameters<typeof checkWritable>[1]): string | undefined | false {
  if (file === undefined) return undefined;
  const resolved = path.resolve(io.cwd, file);
  const problem = checkWritable(resolved, names);
  if (!problem) return resolved;
  err(problem);
  return false;
}

/** The command under the probe, or the exit code when it could not start (the reason already printed). */
export async function startUnderProbe(
  command: string[],
  thresholdMs: number,
  io: CliIo,
  err: Err,
  o: Pick<ProbeRunOptions, 'stdio' | 'group' | 'requestContext'>,
): Promise<ProbeRun | number> {
  try {
    return await ProbeRun.start({ command, cwd: io.cwd, env: io.env, probePath: io.probePath, thresholdMs, log: (line) => io.stderr.write(`${line}\n`), ...o });
  } catch (e) {
    if (!(e instanceof SpawnError)) {
      err(`could not start the probe server on 127.0.0.1: ${(e as Error).message}`);
      return ExitCode.internal;
    }
    err(e.message);
    return e.code === 'ENOENT' ? ExitCode.notFound : e.code === 'EACCES' ? ExitCode.cannotExecute : ExitCode.internal;
  }
}
