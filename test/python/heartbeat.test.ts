/**
 * The pure-Python loop's heartbeat, in a real interpreter and a real asyncio loop watched in
 * process: what wakes it and what that costs (ticks counted, not timed), and the stalls it still sees.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { ROOT, VENV_PYTHON, ensurePythonTools } from './probeHarness';

before(() => ensurePythonTools());

const PROGRAM = `
import asyncio, json, threading, time
import stallscope
from stallscope import _heartbeat

ticks = [0]
tick = _heartbeat.LoopMonitor._tick
def counted(self):
    ticks[0] += 1
    tick(self)
_heartbeat.LoopMonitor._tick = counted

async def main():
    loop = asyncio.get_running_loop()
    out = {}
    # uvicorn's server keeps a 100 ms timer going (its on_tick) while it idles.
    async def server_tick():
        while True:
            await asyncio.sleep(0.1)
    ticker = asyncio.ensure_future(server_tick())
    await asyncio.sleep(0.3)  # the heartbeat parks
    t0 = ticks[0]
    await asyncio.sleep(1.0)
    out["timer_wakes_ticks"] = ticks[0] - t0
    # Another thread wakes the parked loop (as a threadpool job that ends does): the tick resumes at
    # once. (It waits first: a thread that calls in while the loop is still awake wakes nothing.)
    t0 = ticks[0]
    done = asyncio.Event()
    def later():
        time.sleep(0.05)
        loop.call_soon_threadsafe(done.set)
    threading.Thread(target=later).start()
    await done.wait()
    await asyncio.sleep(0.05)
    out["thread_wake_ticks"] = ticks[0] - t0
    await asyncio.sleep(0.3)
    # A timer's turn that blocks, from idle: a stall as long as the block.
    t0 = time.monotonic()
    def block():
        out["block_ms"] = 0
        b0 = time.monotonic()
        time.sleep(0.08)
        out["block_ms"] = (time.monotonic() - b0) * 1000
    loop.call_later(0.05, block)
    await asyncio.sleep(0.3)
    ticker.cancel()
    return out

with stallscope.watch(threshold_ms=50) as w:
    out = asyncio.run(main())
out["stalls_ms"] = [round(s["durationMs"], 2) for s in w.stalls]
print(json.dumps(out))
`;

test('an idle loop woken by its own timers arms no tick; a wake from another thread resumes it; a block in a timer turn after idle is still a stall of its length', () => {
  const r = spawnSync(VENV_PYTHON, ['-c', PROGRAM], { cwd: path.join(ROOT, 'dist', 'python'), encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { timer_wakes_ticks: number; thread_wake_ticks: number; block_ms: number; stalls_ms: number[] };
  // Ten timer wake-ups in the second: re-arming the tick at each would be ten ticks (or more). (A turn the
  // OS interrupts for over a millisecond on a loaded machine re-arms it once, rightly.)
  assert.ok(out.timer_wakes_ticks <= 4, `ticks while a 100 ms timer woke the idle loop for 1 s: ${out.timer_wakes_ticks}`);
  assert.ok(out.thread_wake_ticks >= 1, `a wake from another thread resumes the tick: ${out.thread_wake_ticks}`);
  assert.equal(out.stalls_ms.length, 1, `one stall, the block's: ${JSON.stringify(out)}`);
  const err = out.stalls_ms[0] - out.block_ms;
  assert.ok(err >= -1 && err <= 10, `a ${out.stalls_ms[0]} ms stall for an ${out.block_ms.toFixed(1)} ms block`);
});
