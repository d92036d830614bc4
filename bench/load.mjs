// The load generator, run as its own process (pinned to another core than the server by the bench).
//   node load.mjs '{"url":…, "connections":50, "duration":5, "overallRate":…}'
// Prints `start` when the load begins and one JSON line with the result when it ends. Latencies are
// collected here from every response, in fractional ms: autocannon's own histogram rounds to 1 ms.
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2]);
const latencies = [];
const instance = autocannon({ ...opts, ...(opts.overallRate ? { ignoreCoordinatedOmission: true } : {}) }, (err, result) => {
  if (err) {
    console.log(JSON.stringify({ error: err.message }));
    process.exit(1);
  }
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  console.log(
    JSON.stringify({
      total: result.requests.total,
      rps: result.requests.total / result.duration,
      errors: result.errors + result.timeouts + result.non2xx,
      p50: at(50),
      p99: at(99),
    }),
  );
});
instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
console.log('start');
