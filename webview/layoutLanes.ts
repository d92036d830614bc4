/**
 * Lane order, labels and vertical geometry. One lane per process main thread and per worker
 * thread; workers sit under their process and child processes under their parent, depth first,
 * oldest first, so a cluster or a forked worker pool reads like a process tree. Pure (no DOM).
 */
import type { ProcessInfo } from '../src/shared/protocol/model';
import { runtimeText, shortArgv } from './format';
import { laneIdOf, type LaneId, type LaneSource } from './timelineModel';

export interface LaneInfo {
  id: LaneId;
  pid: number;
  threadId: number;
  /** Indentation level in the process tree (0 = a root process). */
  depth: number;
  /** `server.js --port 3000` for a process, `resize-pool (worker 2)` for a worker. Untrusted text. */
  label: string;
  /** `pid 4242 · main thread`, `pid 4242 · exited`. */
  detail: string;
  /** Everything, for the hover title. */
  title: string;
  isProcess: boolean;
  ended: boolean;
}

export function orderLanes(processes: ReadonlyMap<number, ProcessInfo>, lanes: Iterable<LaneSource>): LaneInfo[] {
  const byPid = new Map<number, LaneSource[]>();
  for (const l of lanes) {
    let list = byPid.get(l.pid);
    if (!list) byPid.set(l.pid, (list = []));
    list.push(l);
  }
  for (const p of processes.values()) if (!byPid.has(p.pid)) byPid.set(p.pid, [{ pid: p.pid, threadId: 0 }]);

  // A process is a root unless its parent is in the recording too.
  const children = new Map<number, number[]>();
  const roots: number[] = [];
  for (const pid of byPid.keys()) {
    const ppid = processes.get(pid)?.ppid;
    if (ppid !== undefined && ppid !== pid && byPid.has(ppid)) {
      let list = children.get(ppid);
      if (!list) children.set(ppid, (list = []));
      list.push(pid);
    } else roots.push(pid);
  }
  const started = (pid: number): number => processes.get(pid)?.startedAtMs ?? Number.POSITIVE_INFINITY;
  const byAge = (a: number, b: number): number => started(a) - started(b) || a - b;

  const out: LaneInfo[] = [];
  const seen = new Set<number>();
  const visit = (pid: number, depth: number): void => {
    if (seen.has(pid)) return; // a ppid cycle (pid reuse) must not loop forever
    seen.add(pid);
    const info = processes.get(pid);
    const threads = [...(byPid.get(pid) ?? [])].sort((a, b) => a.threadId - b.threadId);
    if (!threads.length || threads[0].threadId !== 0) threads.unshift({ pid, threadId: 0 });
    const ended = info?.endedAtMs !== undefined;
    for (const t of threads) {
      const isProcess = t.threadId === 0;
      const name = t.name ?? info?.threads.find((x) => x.id === t.threadId)?.name;
      const label = isProcess ? (info ? shortArgv(info.argv) : `process ${pid}`) : (name ?? `worker ${t.threadId}`);
      const detail = isProcess ? `pid ${pid}${ended ? ' · exited' : ''}${info?.mode === 'lag-only' ? ' · lag only' : ''}` : `worker thread ${t.threadId}`;
      const title = isProcess && info ? `${info.argv.join(' ')}\npid ${pid}, parent ${info.ppid}, ${runtimeText(info.runtime)}\n${info.cwd}` : `${label} · pid ${pid}`;
      out.push({ id: laneIdOf(pid, t.threadId), pid, threadId: t.threadId, depth: isProcess ? depth : depth + 1, label, detail, title, isProcess, ended });
    }
    for (const child of (children.get(pid) ?? []).sort(byAge)) visit(child, depth + 1);
  };
  for (const pid of roots.sort(byAge)) visit(pid, 0);
  return out;
}

export interface LaneBox {
  top: number;
  height: number;
  /** The lag chart band. */
  lagTop: number;
  lagHeight: number;
  /** The stall track under it. */
  stallTop: number;
  stallHeight: number;
}

export const MIN_LANE_HEIGHT = 56;
export const MAX_LANE_HEIGHT = 180;

/** Lanes share the room they get, within bounds; past the minimum the lane area scrolls. */
export function laneHeightFor(availablePx: number, laneCount: number): number {
  if (laneCount <= 0) return MAX_LANE_HEIGHT;
  return Math.max(MIN_LANE_HEIGHT, Math.min(MAX_LANE_HEIGHT, Math.floor(availablePx / laneCount)));
}

export function laneBoxes(laneCount: number, laneHeight: number): LaneBox[] {
  const boxes: LaneBox[] = [];
  const stallHeight = Math.max(14, Math.round(laneHeight * 0.26));
  const pad = 4;
  for (let i = 0; i < laneCount; i++) {
    const top = i * laneHeight;
    boxes.push({
      top,
      height: laneHeight,
      lagTop: top + pad,
      lagHeight: laneHeight - stallHeight - pad * 2,
      stallTop: top + laneHeight - stallHeight - pad,
      stallHeight,
    });
  }
  return boxes;
}

/** The lane under a y coordinate, or -1. */
export function laneAtY(boxes: readonly LaneBox[], y: number): number {
  if (!boxes.length || y < 0) return -1;
  const h = boxes[0].height;
  const i = Math.floor(y / h);
  return i < boxes.length ? i : -1;
}
