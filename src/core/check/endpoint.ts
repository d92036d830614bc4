/**
 * An endpoint as the user names it on the command line or in the input box: `GET /orders`,
 * `POST /orders?dry=1`, or just `/health` (GET). It is shown as given, query included
 * (endpointName); its `label` (method and path, as httpRequestLabel builds it) is what the endpoint is
 * known by in the check: two endpoints with the same label are one. Stalls are matched to it by
 * attribution.ts, by path and route, not by label text.
 */
import { httpRequestLabel, type ListeningServer } from '../../shared/protocol/model';

export interface Endpoint {
  method: string;
  /** Path and query as given: `/search?q=x`. */
  path: string;
  /** `GET /search`: method and path, without the query. */
  label: string;
}

/** `GET /search?q=x`: the endpoint as the user wrote it (without a #fragment, which is never sent). */
export function endpointName(e: Endpoint): string {
  const hash = e.path.indexOf('#');
  return `${e.method} ${hash >= 0 ? e.path.slice(0, hash) : e.path}`;
}

export class EndpointError extends Error {
  override readonly name = 'EndpointError';
}

const METHOD = /^[A-Za-z]{1,20}$/;

export function parseEndpoint(spec: string): Endpoint {
  const text = spec.trim();
  const parts = text.split(/\s+/);
  if (!text || parts.length > 2) throw new EndpointError(`"${spec}" is not an endpoint; write it as 'GET /path'`);
  const [method, path] = parts.length === 2 ? [parts[0].toUpperCase(), parts[1]] : ['GET', parts[0]];
  if (!METHOD.test(method)) throw new EndpointError(`"${spec}": "${parts[0]}" is not an HTTP method`);
  if (!path.startsWith('/')) throw new EndpointError(`"${spec}": the path must start with / (the server comes from --url or the probe)`);
  return { method, path, label: httpRequestLabel(method, path) };
}

/** Parses every spec; two that name the same handler would measure the same stalls twice. */
export function parseEndpoints(specs: readonly string[]): Endpoint[] {
  const out: Endpoint[] = [];
  for (const spec of specs) {
    const e = parseEndpoint(spec);
    if (out.some((o) => o.label === e.label)) throw new EndpointError(`"${spec}" is given twice (as ${e.label}); each endpoint is checked once`);
    out.push(e);
  }
  return out;
}

/**
 * Endpoints typed in one line, as the VS Code input box takes them: `GET /a, POST /b; /health`.
 * A comma or semicolon separates two endpoints only where the next one starts (a method or a /),
 * so a query like `/search?tags=a,b` stays whole.
 */
export function parseEndpointList(text: string): Endpoint[] {
  const specs = text
    .split(/\s*[,;]\s*(?=(?:[A-Za-z]+\s+)?\/)/)
    .map((x) => x.replace(/^[\s,;]+|[\s,;]+$/g, ''))
    .filter((x) => x !== '');
  if (!specs.length) throw new EndpointError("give at least one endpoint, e.g. 'GET /report'");
  return parseEndpoints(specs);
}

/** The URL of `endpoint` on the server at `baseUrl` (`http://127.0.0.1:3000`, a path prefix is kept). */
export function endpointUrl(baseUrl: string, endpoint: Endpoint): string {
  return baseUrl.replace(/\/+$/, '') + endpoint.path;
}

/** The base URL of a server the probe saw listening; one listening on every interface is reached on loopback. */
export function serverUrl(s: ListeningServer): string {
  const any = s.address === '' || s.address === '0.0.0.0' || s.address === '::';
  const host = any ? '127.0.0.1' : s.address.includes(':') ? `[${s.address}]` : s.address;
  return `${s.protocol}://${host}:${s.port}`;
}
