/**
 * The probe's websocket to its host. Hello first, data only after the host's `welcome`. While
 * there is no host it keeps a bounded buffer (oldest dropped, drops counted and reported with a
 * `dropped` message once a host answers) and reconnects with backoff. It goes quiet for good on a
 * refusal close code (wrong token, bad frame, version) or when no host ever answered: from then on
 * the app runs as if no probe were there.
 *
 * Runs in the watchdog thread; in lag-only mode (no worker allowed) on the main thread, which is why
 * the socket is unref'd: it must never keep the user's program alive.
 */
import { connect, type NetConnectOpts, type Socket } from 'node:net';
import WebSocket from 'ws';
import { CloseCode, MAX_FRAME_BYTES } from '../shared/protocol/constants';
import type { ProbeMode } from '../shared/protocol/model';
import { helloMessage, isHostToProbe, type HelloMessage, type HostToProbe, type ProbeData } from '../shared/protocol/probeMessages';

export type TransportState = 'connecting' | 'open' | 'waiting' | 'quiet';

export interface TransportOptions {
  url: string;
  hello: HelloMessage;
  maxBuffer?: number;
  /** Attempts before the first welcome; then the probe gives up (no host). */
  maxInitialAttempts?: number;
  /** Attempts after a host was lost. */
  maxReconnectAttempts?: number;
  onMessage?: (msg: HostToProbe) => void;
  onState?: (state: TransportState) => void;
}

const REFUSALS = new Set<number>(Object.values(CloseCode));
type Outgoing = ProbeData;

export class Transport {
  private ws: WebSocket | undefined;
  private state: TransportState = 'waiting';
  private buffer: Outgoing[] = [];
  private dropped = 0;
  private attempts = 0;
  private everWelcomed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly maxBuffer: number;

  constructor(private readonly o: TransportOptions) {
    this.maxBuffer = o.maxBuffer ?? 2000;
  }

  get current(): TransportState {
    return this.state;
  }

  /** Something is in flight that needs the event loop: connecting, or bytes not yet written. */
  get busy(): boolean {
    return this.state === 'connecting' || (this.state === 'open' && !!this.ws && this.ws.bufferedAmount > 0);
  }

  start(): void {
    this.connect();
  }

  send(msg: Outgoing): void {
    if (this.state === 'quiet') return;
    if (this.state === 'open' && this.ws) {
      this.write(msg);
      return;
    }
    // An ongoing stall and its final version share an id: keep only the latest in the buffer.
    if (msg.type === 'stall') {
      const i = this.buffer.findIndex((m) => m.type === 'stall' && m.stall.id === msg.stall.id);
      if (i >= 0) this.buffer.splice(i, 1);
    }
    this.buffer.push(msg);
    if (this.buffer.length > this.maxBuffer) {
      this.buffer.shift();
      this.dropped++;
    }
  }

  /** Resolves once everything handed to the socket has been written (or after `timeoutMs`). */
  flush(timeoutMs: number): Promise<void> {
    const ws = this.ws;
    if (this.state !== 'open' || !ws) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, timeoutMs);
      // ws calls send callbacks in order: an empty ping-free marker is a zero-length write we cannot
      // send, so wait for the socket's own drain instead.
      const check = (): void => {
        if (ws.bufferedAmount === 0 || ws.readyState !== WebSocket.OPEN) {
          clearTimeout(t);
          resolve();
        } else setTimeout(check, 1);
      };
      check();
    });
  }

  close(): void {
    this.setState('quiet');
    this.buffer = [];
    if (this.retryTimer) clearTimeout(this.retryTimer);
    try {
      this.ws?.close(1000);
    } catch {
      // ignore
    }
    this.ws = undefined;
  }

  private setState(s: TransportState): void {
    if (this.state === s) return;
    this.state = s;
    this.o.onState?.(s);
  }

  private write(msg: Outgoing | HelloMessage): void {
    let text: string;
    try {
      text = JSON.stringify(msg);
    } catch {
      this.dropped++;
      return;
    }
    if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
      this.dropped++;
      return;
    }
    this.ws?.send(text, (err) => {
      if (err) this.dropped++;
    });
  }

  private connect(): void {
    if (this.state === 'quiet') return;
    this.setState('connecting');
    this.attempts++;
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.o.url, {
        perMessageDeflate: false,
        handshakeTimeout: 3000,
        maxPayload: MAX_FRAME_BYTES,
        // An unref'd socket: the probe's connection never keeps the app alive.
        createConnection: ((opts: NetConnectOpts) => {
          const s: Socket = connect(opts);
          s.unref();
          return s;
        }) as never,
      });
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.on('open', () => this.write(this.o.hello));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!isHostToProbe(msg)) return;
      if (msg.type === 'welcome') this.onWelcome();
      this.o.onMessage?.(msg);
    });
    ws.on('error', () => {
      // 'close' follows; errors are the host's absence, not the app's business
    });
    ws.on('close', (code) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (REFUSALS.has(code)) {
        this.close();
        return;
      }
      this.scheduleRetry();
    });
  }

  private onWelcome(): void {
    this.everWelcomed = true;
    this.attempts = 0;
    this.setState('open');
    if (this.dropped > 0) {
      this.write({ type: 'dropped', pid: process.pid, count: this.dropped });
      this.dropped = 0;
    }
    const pending = this.buffer;
    this.buffer = [];
    for (const m of pending) this.write(m);
  }

  private scheduleRetry(): void {
    if (this.state === 'quiet') return;
    const limit = this.everWelcomed ? (this.o.maxReconnectAttempts ?? 40) : (this.o.maxInitialAttempts ?? 6);
    if (this.attempts >= limit) {
      this.close();
      return;
    }
    this.setState('waiting');
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.attempts - 1, 6)) * (0.75 + Math.random() * 0.5);
    this.retryTimer = setTimeout(() => this.connect(), delay);
    this.retryTimer.unref();
  }
}

/** This Node process's hello (the one builder for the watchdog and lag-only mode). */
export function nodeHello(
  o: { token: string; sessionId?: string | undefined },
  d: { argv: readonly string[]; cwd: string; startedAtMs: number },
  mode: ProbeMode,
): HelloMessage {
  return helloMessage({
    token: o.token,
    ...(o.sessionId ? { sessionId: o.sessionId } : {}),
    pid: process.pid,
    ppid: process.ppid,
    argv: d.argv,
    cwd: d.cwd,
    runtime: { name: 'node', version: process.versions.node },
    mode,
    startedAtMs: d.startedAtMs,
  });
}
