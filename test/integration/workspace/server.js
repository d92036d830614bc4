// The e2e fixture: a node:http server that blocks its event loop on a known line.
// The tests find their lines by the tags in the comments (STALL-LINE, BREAKPOINT-LINE, …), never by number.
'use strict';
const http = require('node:http');

console.log(`NODE_OPTIONS=${process.env.NODE_OPTIONS ?? '(unset)'}`);
console.log(`FIXTURE_UNSET_ME=${process.env.FIXTURE_UNSET_ME ?? '(unset)'}`);

function buildReport(ms) {
  const until = Date.now() + ms;
  let spins = 0;
  while (Date.now() < until) spins++; // STALL-LINE: busy-waits, blocking the loop for `ms`
  return `report after ${spins} spins\n`;
}

const server = http.createServer((req, res) => {
  if (req.url === '/report') {
    res.end(buildReport(300));
  } else if (req.url === '/pause') {
    const at = Date.now(); // BREAKPOINT-LINE: the e2e pauses here for a second; that is not a stall
    res.end(`resumed after ${Date.now() - at} ms\n`);
  } else if (req.url === '/pause-then-block') {
    const until = Date.now() + 300; // PAUSE-THEN-BLOCK: the e2e pauses here, then this same call blocks
    let spins = 0;
    while (Date.now() < until) spins++; // AFTER-PAUSE-LINE: blocks right after Continue: a stall
    res.end(`blocked after the pause (${spins} spins)\n`);
  } else {
    res.end('ok\n');
  }
});

server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port} pid ${process.pid}`));
