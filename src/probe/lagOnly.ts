/**
 * Lag-only mode, on the main thread, for when no watchdog thread can run (the permission model
 * refuses workers). No stacks and no live detection are possible from the blocked thread itself,
 * but the heartbeat still knows each stall's exact duration once it ends, and the lag series.
 * Everything here is unref'd: the socket (see Transport) and the flush timer.
 */
import { round2, type LagSample, type Stall } from '../shared/protocol/model';
import type { Heartbeat } from './heartbeat';
import type { GapRecord, LagRecord } from './heartbeatLayout';
import { HeartbeatReader } from './heartbeatReader';
import type { ResolvedOptions } from './options';
import type { StallRequests } from './requestLog';
import { Transport, nodeHello } from './transport';
import type { WatchdogData } from './watchdogSpawn';

/** Lag-only mode reports stalls from the main thread itself, and their victims when they are known. */
export interface GapHook {
  onGap?: (g: GapRecord) => void;
  onVictims?: (prevBeat: number, told: StallRequests) => void;
}

export function startLagOnly(o: ResolvedOptions, hb: Heartbeat, gapHook: GapHook, d: WatchdogData, reason: string): void {
  if (!o.url) return;
  const timers: { flush?: NodeJS.Timeout } = {};
  const transport = new Transport({
    url: o.url,
    hello: nodeHello(o, d, 'lag-only'),
    onState: (s) => {
      if (s === 'quiet') {
        hb.stop();
        if (timers.flush) clearInterval(timers.flush);
        gapHook.onGap = undefined;
      }
    },
  });
  transport.send({ type: 'notice', pid: process.pid, level: 'warn', message: reason.slice(0, 2048) });
  let seq = 0;
  /** The last stalls sent, by their beat: their victims come a moment later and are sent with them again. */
  const sent = new Map<number, Stall>();
  gapHook.onGap = (g) => {
    if (g.activeMs < o.thresholdMs) return;
    const startHr = g.endBeat - g.activeMs;
    const stall: Stall = {
      id: `${process.pid}.0.${++seq}`,
      pid: process.pid,
      thread: { id: 0 },
      startMs: round2(startHr + d.epochOffset),
      durationMs: round2(g.activeMs),
      detectedMs: round2(g.endBeat + d.epochOffset),
      culprit: null,
      frames: [],
      handler: null,
    };
    sent.set(g.prevBeat, stall);
    if (sent.size > 16) sent.delete(sent.keys().next().value as number);
    transport.send({ type: 'stall', stall });
  };
  gapHook.onVictims = (prevBeat, told) => {
    const stall = sent.get(prevBeat);
    if (stall) transport.send({ type: 'stall', stall: { ...stall, victims: told.victims, ...(told.backToBack.length ? { backToBack: told.backToBack } : {}) } });
  };
  const ring = new HeartbeatReader(hb.sab);
  let lagSeen = 0;
  const flushLag = (): void => {
    try {
      const recs: LagRecord[] = [];
      lagSeen = ring.readLag(lagSeen, recs);
      const samples: LagSample[] = recs.map((r) => ({
        pid: process.pid,
        threadId: 0,
        atMs: round2(r.atHr + d.epochOffset),
        intervalMs: round2(r.intervalMs),
        p50Ms: round2(r.p50Ms),
        p99Ms: round2(r.p99Ms),
        maxMs: round2(r.maxMs),
        elu: Math.round(r.elu * 1000) / 1000,
      }));
      if (samples.length) transport.send({ type: 'lag', samples });
    } catch {
      // never throw into the app
    }
  };
  timers.flush = setInterval(flushLag, 500);
  timers.flush.unref();
  // At exit: the last stall and lag go out in this tick (a socket write is attempted synchronously).
  process.on('exit', () => {
    hb.finalBeat();
    flushLag();
  });
  transport.start();
}
