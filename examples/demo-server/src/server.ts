/**
 * Stallscope's demo: a small order service with the kind of event-loop blockers real servers have.
 *   GET /health          fast
 *   GET /report          JSON and CPU work on 12k orders        (blocks)
 *   GET /hash?pw=…       crypto.pbkdf2Sync                       (blocks, in native code)
 *   GET /search?customer= awaits a query, then ranks on the CPU  (blocks after an await)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hashPassword } from './auth';
import { buildSalesReport } from './report';
import { searchOrders } from './search';

type Handler = (req: IncomingMessage, url: URL, res: ServerResponse) => void | Promise<void>;

const routes: Record<string, Handler> = {
  '/health': (_req, _url, res) => send(res, 200, { ok: true }),
  '/report': (_req, _url, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(buildSalesReport());
  },
  '/hash': (_req, url, res) => send(res, 200, { hash: hashPassword(url.searchParams.get('pw') ?? 'hunter2') }),
  '/search': async (_req, url, res) => send(res, 200, await searchOrders(url.searchParams.get('customer') ?? 'customer-1')),
};

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route = req.method === 'GET' ? routes[url.pathname] : undefined;
  if (!route) return send(res, 404, { error: 'not found' });
  Promise.resolve(route(req, url, res)).catch((e: Error) => send(res, 500, { error: e.message }));
});

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`demo server listening on http://127.0.0.1:${port}`);
});

// Graceful shutdown: finish in-flight requests, then exit 0.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
