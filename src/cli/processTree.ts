/**
 * The processes a command started, as `stallscope run` must account for them: `npm start` is npm,
 * then `sh -c`, then the real server, and a signal that reaches only npm leaves the server running
 * (an orphan holding its port). Two ways to find them:
 * - its process group, when the command was started in one of its own (no terminal): every
 *   descendant that did not start a group of its own is in it, orphans included;
 * - its descendants by parent pid, when it shares the terminal's foreground group (so Ctrl-C reaches
 *   it directly); orphans are reparented away, so the pids its probes reported are added.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface ProcessTree {
  /** Sends `signal` to every live process of the tree. */
  signal(signal: NodeJS.Signals): void;
  /** The live pids of the tree (the leader included while it lives). */
  alive(): number[];
}

/** The process group `pgid` (its leader's pid). */
export function groupTree(pgid: number): ProcessTree {
  return {
    signal(signal) {
      try {
        process.kill(-pgid, signal);
      } catch {
        // no member left
      }
    },
    alive: () => processTable().filter((p) => p.pgid === pgid).map((p) => p.pid),
  };
}

/** The descendants of `root` by parent pid, plus `extra()` (pids known otherwise, e.g. from probes). */
export function descendantTree(root: number, extra: () => readonly number[]): ProcessTree {
  const known = new Set<number>([root]);
  const refresh = (): number[] => {
    const table = processTable();
    const live = new Set(table.map((p) => p.pid));
    for (const pid of extra()) known.add(pid);
    // A child seen once stays known after its parent died (it is then reparented, not gone).
    let grew = true;
    while (grew) {
      grew = false;
      for (const p of table) {
        if (known.has(p.ppid) && !known.has(p.pid)) {
          known.add(p.pid);
          grew = true;
        }
      }
    }
    return [...known].filter((pid) => live.has(pid) && pid !== process.pid);
  };
  return {
    signal(signal) {
      for (const pid of refresh()) {
        try {
          process.kill(pid, signal);
        } catch {
          // exited meanwhile
        }
      }
    },
    alive: refresh,
  };
}

interface ProcRow {
  pid: number;
  ppid: number;
  pgid: number;
}

/** Every live process (zombies excluded: they hold nothing and are their parent's to reap). */
export function processTable(): ProcRow[] {
  return process.platform === 'linux' ? fromProc() : fromPs();
}

function fromProc(): ProcRow[] {
  const rows: ProcRow[] = [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return fromPs();
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z' || f[0] === 'X') continue;
    rows.push({ pid: Number(name), ppid: Number(f[1]), pgid: Number(f[2]) });
  }
  return rows;
}

function fromPs(): ProcRow[] {
  const r = spawnSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat='], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4 && !f[3].startsWith('Z'))
    .map((f) => ({ pid: Number(f[0]), ppid: Number(f[1]), pgid: Number(f[2]) }));
}

/** Resolves true once `tree` has no live process, false after `ms`. */
export async function treeEnded(tree: ProcessTree, ms: number, pollMs = 50): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (tree.alive().length === 0) return true;
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
