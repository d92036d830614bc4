// What both demos (demo.mjs, demo-python.mjs) print with and measure with: one home for each.
import http from 'node:http';
import { relative } from 'node:path';

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const c = (code) => (s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = c(1);
export const dim = c(2);
export const cyan = c(36);
export const rel = (p) => relative(process.cwd(), p) || '.';
export const step = (s) => console.log(`${cyan('▸')} ${s}`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The p-th percentile (nearest rank) of `xs`, NaN for none. */
export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
export const fmt = (ms) => (ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`);

/**
 * A canary on `port`: GET /health every 50 ms over one kept-alive connection. It does no work, so
 * its latency is the time it waited for the loop.
 */
export function healthCanary(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () => {
    const start = performance.now();
    return new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/health', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - start));
      });
      req.on('error', () => resolve(undefined));
    });
  };
  /** Latencies (ms) of the requests answered during the next `ms`. */
  const during = async (ms) => {
    const times = [];
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const t = await once();
      if (t !== undefined) times.push(t);
      await sleep(50);
    }
    return times;
  };
  return { once, during, close: () => agent.destroy() };
}
