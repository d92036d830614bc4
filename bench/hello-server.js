'use strict';
// The benchmark's server: hello world on node:http. Tells the bench its port and pid through PORT_FILE
// (under `stallscope run` the bench only knows the CLI's pid, not the server's).
const http = require('http');
const fs = require('fs');
const server = http.createServer((req, res) => res.end('hello world\n'));
server.listen(0, '127.0.0.1', () => {
  const tmp = `${process.env.PORT_FILE}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ port: server.address().port, pid: process.pid }));
  fs.renameSync(tmp, process.env.PORT_FILE);
});
process.on('SIGTERM', () => process.exit(0));
