/**
 * The host end of the probe's websocket: loopback only, per-session tokens, capped frames,
 * every frame validated. The CLI and the extension both host probes through this class, so
 * the security rules live in one place.
 *
 * A connection is anonymous until its first frame, a `hello` with a known token. Anything
 * else (no hello in time, a wrong token, a malformed or oversized frame) closes it with a
 * CloseCode the probe recognises, and the refusal is logged once per kind, not per frame.
 */
import { EventEmitter } from 'node:events';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { CloseCode, HELLO_TIMEOUT_MS, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '../shared/protocol/constants';
import { isHello, isProbeToHost, normalizeHello, type HelloMessage, type HostToProbe, type ProbeData } from '../shared/protocol/probeMessages';

export interface ProbeConnection {
  /** Increasing per server. */
  readonly id: number;
  readonly hello: HelloMessage;
  /** The key given to issueToken() for the token this probe presented (e.g. a debug session id). */
  readonly key: string;
  send(msg: HostToProbe): void;
}

export type RefusalKind = 'bad-token' | 'bad-frame' | 'oversized-frame' | 'unsupported-version' | 'hello-timeout';

export interface ProbeServerEvents {
  connection: [conn: ProbeConnection];
  message: [conn: ProbeConnection, msg: ProbeData];
  disconnect: [conn: ProbeConnection];
  refused: [kind: RefusalKind, detail: string];
}

export interface ProbeServerOptions {
  /** Loopback only; the option exists for ::1. */
  host?: '127.0.0.1' | '::1';
  port?: number;
  maxPayload?: number;
  helloTimeoutMs?: number;
  /** Where refusals are reported (once per kind). */
  log?: (line: string) => void;
}

export class ProbeServer extends EventEmitter<ProbeServerEvents> {
  private readonly tokens = new Map<string, string>(); // token -> key
  private readonly warned = new Set<RefusalKind>();
  private readonly sockets = new Set<WebSocket>();
  private nextId = 1;
  /** Frames and connections refused, by kind. */
  readonly refusals: Record<RefusalKind, number> = {
    'bad-token': 0,
    'bad-frame': 0,
    'oversized-frame': 0,
    'unsupported-version': 0,
    'hello-timeout': 0,
  };

  private constructor(
    private readonly wss: WebSocketServer,
    readonly url: string,
    private readonly opts: Required<Pick<ProbeServerOptions, 'helloTimeoutMs'>> & ProbeServerOptions,
  ) {
    super();
    wss.on('connection', (ws) => this.accept(ws));
  }

  static start(options: ProbeServerOptions = {}): Promise<ProbeServer> {
    const host = options.host ?? '127.0.0.1';
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({
        host,
        port: options.port ?? 0,
        maxPayload: options.maxPayload ?? MAX_FRAME_BYTES,
        // Compression would let a small frame inflate past maxPayload checks' intent and costs CPU for nothing on loopback.
        perMessageDeflate: false,
        clientTracking: false,
      });
      wss.once('error', reject);
      wss.once('listening', () => {
        wss.off('error', reject);
        wss.on('error', (e) => options.log?.(`stallscope: probe server error: ${e.message}`));
        const { port } = wss.address() as AddressInfo;
        const h = host.includes(':') ? `[${host}]` : host;
        resolve(new ProbeServer(wss, `ws://${h}:${port}/`, { helloTimeoutMs: HELLO_TIMEOUT_MS, ...options }));
      });
    });
  }

  /** A fresh unguessable token for `key` (a run, a debug session). */
  issueToken(key: string): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, key);
    return token;
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private keyFor(token: string): string | undefined {
    const given = Buffer.from(token);
    for (const [t, key] of this.tokens) {
      const known = Buffer.from(t);
      if (known.length === given.length && timingSafeEqual(known, given)) return key;
    }
    return undefined;
  }

  private refuse(ws: WebSocket, kind: RefusalKind, code: number, detail: string): void {
    this.refusals[kind]++;
    if (!this.warned.has(kind)) {
      this.warned.add(kind);
      this.opts.log?.(`stallscope: refused a probe connection: ${detail}`);
    }
    this.emit('refused', kind, detail);
    ws.close(code, detail.slice(0, 120)); // close reasons are capped at 123 bytes
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    let conn: (ProbeConnection & { closed: boolean }) | undefined;
    const helloTimer = setTimeout(
      () => this.refuse(ws, 'hello-timeout', CloseCode.helloTimeout, `no hello within ${this.opts.helloTimeoutMs} ms`),
      this.opts.helloTimeoutMs,
    );
    helloTimer.unref();

    ws.on('error', (e) => {
      // ws reports an oversized frame as an error with this code before closing with 1009.
      if ((e as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.refusals['oversized-frame']++;
        if (!this.warned.has('oversized-frame')) {
          this.warned.add('oversized-frame');
          this.opts.log?.(`stallscope: refused a probe frame larger than ${this.opts.maxPayload ?? MAX_FRAME_BYTES} bytes`);
        }
        this.emit('refused', 'oversized-frame', e.message);
      }
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      this.sockets.delete(ws);
      if (conn && !conn.closed) {
        conn.closed = true;
        this.emit('disconnect', conn);
      }
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      let msg: unknown;
      try {
        if (isBinary) throw new Error('binary frame');
        msg = JSON.parse(data.toString());
      } catch {
        return this.refuse(ws, 'bad-frame', CloseCode.badFrame, 'a frame that is not JSON text');
      }
      if (!conn) {
        clearTimeout(helloTimer);
        if (!isHello(msg)) {
          const tokenish = typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === 'hello';
          return tokenish
            ? this.refuse(ws, 'bad-frame', CloseCode.badFrame, 'a malformed hello')
            : this.refuse(ws, 'bad-frame', CloseCode.badFrame, 'the first frame was not a hello');
        }
        const key = this.keyFor(msg.token);
        if (key === undefined) {
          return this.refuse(ws, 'bad-token', CloseCode.badToken, `wrong token from pid ${msg.pid}`);
        }
        if (msg.protocolVersion > PROTOCOL_VERSION) {
          return this.refuse(
            ws,
            'unsupported-version',
            CloseCode.unsupportedVersion,
            `probe speaks protocol ${msg.protocolVersion}, this host ${PROTOCOL_VERSION}: update Stallscope`,
          );
        }
        const hello = normalizeHello(msg);
        conn = {
          id: this.nextId++,
          hello,
          key,
          closed: false,
          send: (m) => {
            if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
          },
        };
        conn.send({ type: 'welcome', protocolVersion: PROTOCOL_VERSION });
        this.emit('connection', conn);
        return;
      }
      if (!isProbeToHost(msg) || msg.type === 'hello') {
        // One bad frame from an authenticated probe is counted and dropped, not fatal: the rest of its data is still good.
        this.refusals['bad-frame']++;
        if (!this.warned.has('bad-frame')) {
          this.warned.add('bad-frame');
          this.opts.log?.(`stallscope: dropped a malformed frame from pid ${conn.hello.pid} (further ones are counted silently)`);
        }
        this.emit('refused', 'bad-frame', `malformed ${describeType(msg)} frame from pid ${conn.hello.pid}`);
        return;
      }
      this.emit('message', conn, msg);
    });
  }
}

function describeType(msg: unknown): string {
  const t = typeof msg === 'object' && msg !== null ? (msg as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? JSON.stringify(t.slice(0, 32)) : 'untyped';
}
