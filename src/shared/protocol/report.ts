/** The report file: what `stallscope run` writes and the extension saves, opens and shows again. */
import { isArr, isInt, isObj, isStr } from '../guards';
import { MAX_ARGV, REPORT_VERSION } from './constants';
import {
  isLagSample,
  isListeningServer,
  isPauseRange,
  isProcessInfo,
  isStall,
  type LagSample,
  type ListeningServer,
  type PauseRange,
  type ProcessInfo,
  type Stall,
} from './model';
import { isCheckView, type CheckView } from './webviewMessages';

export interface Report {
  version: typeof REPORT_VERSION;
  /** The root process the CLI started (or the first probe of a debug session). */
  pid: number;
  command: string[];
  /** ISO-8601. */
  startedAt: string;
  endedAt?: string;
  exitCode?: number | null;
  thresholdMs?: number;
  stalls: Stall[];
  lag: LagSample[];
  processes?: ProcessInfo[];
  pauses?: PauseRange[];
  servers?: ListeningServer[];
  /** Messages the probes had to drop, plus frames the host refused. */
  dropped?: number;
  /** The endpoint check of this recording (Check Endpoints), kept when the extension saves it. */
  check?: CheckView;
}

/** A process as reports written before protocol v2 describe it (`nodeVersion` instead of `runtime`). */
function upgradeProcess(p: unknown): unknown {
  if (!isObj(p) || p.runtime !== undefined || !isStr(p.nodeVersion, 64)) return p;
  const { nodeVersion, ...rest } = p;
  return { ...rest, runtime: { name: 'node', version: nodeVersion } };
}

/** Parses a report read back from disk, saying what is wrong instead of a bare false. */
export function parseReport(v: unknown): { ok: true; report: Report } | { ok: false; error: string } {
  if (!isObj(v)) return { ok: false, error: 'not a JSON object' };
  if (v.version !== REPORT_VERSION) {
    return { ok: false, error: `unsupported report version ${JSON.stringify(v.version)} (this build reads version ${REPORT_VERSION})` };
  }
  if (!isInt(v.pid)) return { ok: false, error: '"pid" must be a non-negative integer' };
  if (!isArr(v.command, (x): x is string => isStr(x), MAX_ARGV)) return { ok: false, error: '"command" must be an array of strings' };
  if (!isStr(v.startedAt, 64) || Number.isNaN(Date.parse(v.startedAt))) return { ok: false, error: '"startedAt" must be an ISO-8601 date' };
  if (!Array.isArray(v.stalls)) return { ok: false, error: '"stalls" must be an array' };
  const badStall = v.stalls.findIndex((s) => !isStall(s));
  if (badStall >= 0) return { ok: false, error: `stalls[${badStall}] is not a valid stall` };
  if (!Array.isArray(v.lag)) return { ok: false, error: '"lag" must be an array' };
  const badLag = v.lag.findIndex((s) => !isLagSample(s));
  if (badLag >= 0) return { ok: false, error: `lag[${badLag}] is not a valid lag sample` };
  const processes = Array.isArray(v.processes) ? v.processes.map(upgradeProcess) : v.processes;
  if (processes !== undefined && !isArr(processes, isProcessInfo, 100_000)) return { ok: false, error: '"processes" is malformed' };
  if (v.pauses !== undefined && !isArr(v.pauses, isPauseRange, 1_000_000)) return { ok: false, error: '"pauses" is malformed' };
  if (v.servers !== undefined && !isArr(v.servers, isListeningServer, 10_000)) return { ok: false, error: '"servers" is malformed' };
  if (v.check !== undefined && !isCheckView(v.check)) return { ok: false, error: '"check" is malformed' };
  const report = (processes === undefined ? v : { ...v, processes }) as unknown as Report;
  return { ok: true, report };
}
