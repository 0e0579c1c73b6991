// Connection limits (finding 9): idle, unauthenticated TCP connections used to live forever and ~20,000 of them
// exhausted the server's file descriptors. Now:
//   - a connection must send complete request headers within headersTimeoutMs (also the first request: an
//     idle socket that never speaks gets 408 and is closed), a whole request within requestTimeoutMs, and an
//     idle keep-alive connection is closed after keepAliveTimeoutMs; a socket silent for idleTimeoutMs mid-request
//     is closed too;
//   - one client address holds at most maxPerIp connections that are not authenticated delivery sockets (a
//     device's WebSocket is exempted once it is attached: an office behind one NAT has a socket per device);
//   - the server accepts at most `max` connections, below the process's open-file limit, so a flood leaves
//     descriptors for the database, the logs and the connections it already has;
//   - delivery sockets are pinged every heartbeatMs and dropped when the previous ping went unanswered (a
//     sleeping laptop or a cut link would otherwise hold its socket forever); the pings also keep proxies' idle
//     timers from closing quiet sockets.
// Behind a reverse proxy every client shares the proxy's address: with trustProxy set, the per-address cap is
// off unless given (the proxy enforces its own) and keep-alive outlasts common proxy idle timeouts (docs/deploy.md).
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';

export interface ConnectionOptions {
  /** Connections per client address that are not authenticated delivery sockets; 0 = no cap. */
  maxPerIp?: number;
  /** All connections; 0 = no cap. Default: 90 % of the open-file limit, less 100. */
  max?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** A socket with no traffic this long while a request or response is under way is closed. */
  idleTimeoutMs?: number;
  /** Delivery sockets are pinged this often; one that missed the previous ping is closed. */
  heartbeatMs?: number;
}

export type TrustProxy = boolean | number | string | string[];

/** The soft open-file limit of this process (Linux), or undefined. */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function connectionDefaults(opts: { trustProxy?: TrustProxy | undefined; connections?: ConnectionOptions | undefined }): Required<ConnectionOptions> {
  const c = opts.connections ?? {};
  const proxied = opts.trustProxy !== undefined && opts.trustProxy !== false;
  const files = openFileLimit();
  const headersTimeoutMs = c.headersTimeoutMs ?? 10_000;
  return {
    maxPerIp: c.maxPerIp ?? (proxied ? 0 : 256),
    max: c.max ?? (files === undefined ? 0 : Math.max(64, Math.floor(files * 0.9) - 100)),
    headersTimeoutMs,
    requestTimeoutMs: Math.max(headersTimeoutMs, c.requestTimeoutMs ?? 120_000),
    // A proxy keeps upstream connections open up to its own idle timeout (often 60 s): outlast it behind one.
    keepAliveTimeoutMs: c.keepAliveTimeoutMs ?? (proxied ? 75_000 : 5_000),
    idleTimeoutMs: c.idleTimeoutMs ?? 60_000,
    heartbeatMs: c.heartbeatMs ?? 30_000,
  };
}

/** Fastify's server options for these limits (the http.Server checks its connections every second). */
export function serverTimeoutOptions(c: Required<ConnectionOptions>) {
  return {
    connectionTimeout: c.idleTimeoutMs,
    keepAliveTimeout: c.keepAliveTimeoutMs,
    requestTimeout: c.requestTimeoutMs,
    http: {
      headersTimeout: c.headersTimeoutMs,
      requestTimeout: c.requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(c.headersTimeoutMs / 2))),
    },
  };
}

/** Fastify's trustProxy: a hop count becomes "the first n hops", the rest is passed on. */
export function fastifyTrustProxy(t: TrustProxy | undefined): boolean | string | string[] | ((address: string, hop: number) => boolean) | undefined {
  return typeof t === 'number' ? (_address, hop) => hop < t : t;
}

/** Counts connections per client address and refuses those over the cap; delivery sockets are exempted. */
export class ConnectionGuard {
  readonly #perIp = new Map<string, number>();
  readonly #counted = new WeakMap<Socket, string>();
  #refused = 0;
  #lastReport = 0;
  /** Delivery sockets and whether they answered the last ping. */
  readonly #watched = new Map<WebSocket, boolean>();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(server: Server, private readonly c: Required<ConnectionOptions>, private readonly log: FastifyBaseLogger) {
    if (c.max > 0) server.maxConnections = c.max;
    if (c.maxPerIp > 0) server.on('connection', (socket: Socket) => this.#admit(socket));
  }

  #admit(socket: Socket): void {
    const ip = socket.remoteAddress ?? '';
    const n = (this.#perIp.get(ip) ?? 0) + 1;
    if (n > this.c.maxPerIp) {
      socket.destroy();
      this.#report(ip);
      return;
    }
    this.#perIp.set(ip, n);
    this.#counted.set(socket, ip);
    socket.once('close', () => this.#release(socket));
  }

  #release(socket: Socket): void {
    const ip = this.#counted.get(socket);
    if (ip === undefined) return;
    this.#counted.delete(socket);
    const n = (this.#perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.#perIp.delete(ip); else this.#perIp.set(ip, n);
  }

  /** An authenticated delivery socket: no longer counted against its address. */
  exempt(socket: Socket): void {
    this.#release(socket);
  }

  /** Pings this delivery socket every heartbeatMs until it closes; no pong by the next ping → terminated. */
  watch(ws: WebSocket): void {
    this.#watched.set(ws, true);
    ws.on('pong', () => this.#watched.set(ws, true));
    ws.once('close', () => {
      this.#watched.delete(ws);
      if (this.#watched.size === 0 && this.#heartbeat) { clearInterval(this.#heartbeat); this.#heartbeat = undefined; }
    });
    if (!this.#heartbeat) {
      this.#heartbeat = setInterval(() => this.#beat(), this.c.heartbeatMs);
      this.#heartbeat.unref();
    }
  }

  #beat(): void {
    for (const [ws, alive] of this.#watched) {
      if (!alive) { ws.terminate(); continue; }
      this.#watched.set(ws, false);
      try { ws.ping(); } catch { ws.terminate(); }
    }
  }

  /** One warning a minute at most, with the count, so a flood does not also flood the log. */
  #report(ip: string): void {
    this.#refused++;
    const t = Date.now();
    if (t - this.#lastReport < 60_000) return;
    this.log.warn({ ip, refused: this.#refused, maxPerIp: this.c.maxPerIp }, 'connections refused: too many from one address');
    this.#lastReport = t;
    this.#refused = 0;
  }
}
