// The delivery bus on NATS (core publish/subscribe, no persistence: the store is the queue, the bus only says
// "look now"). One subject per user, `<prefix>.u.<userId>` (user ids are [A-Za-z0-9_-]: valid subject tokens);
// a node subscribes to the users it holds sockets of. noEcho: a node never receives its own events, it has
// already acted on them locally. While disconnected the client keeps retrying forever; after a reconnect the hub
// re-reads every local queue (server/delivery.ts), since events sent meanwhile are lost.
import { connect, Events, type NatsConnection, type Subscription } from 'nats';
import type { FastifyBaseLogger } from 'fastify';
import { isBusEvent, type Bus, type BusEvent } from './types.ts';

const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A subscription not confirmed within this is used anyway (a reconnect re-reads every queue). */
const FLUSH_TIMEOUT_MS = 2_000;

/** The URL with its password or token hidden, for messages and logs. */
export function redactBusUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    else if (u.username) u.username = '***';
    return u.href;
  } catch {
    return '(unparseable bus URL)';
  }
}

/** nats://[user:pass@ | token@]host[:port][,…] or tls://…: connect() options (the client takes no credentials in URLs). */
function connectOptions(url: string): Parameters<typeof connect>[0] {
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  let tls = false;
  for (const part of url.split(',')) {
    const u = new URL(part.trim());
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:') throw new Error(`bus URL ${redactBusUrl(part)}: use nats:// or tls://`);
    if (u.protocol === 'tls:') tls = true;
    if (u.username) { user = decodeURIComponent(u.username); pass = u.password ? decodeURIComponent(u.password) : undefined; }
    servers.push(`${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || 4222}`);
  }
  return {
    servers, name: 'parley-server', noEcho: true,
    maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: 5_000, pingInterval: 10_000,
    ...(user !== undefined && pass !== undefined ? { user, pass } : user !== undefined ? { token: user } : {}),
    ...(tls ? { tls: {} } : {}),
  };
}

export class NatsBus implements Bus {
  readonly #subs = new Map<string, { sub: Subscription; count: number; ready: Promise<void> }>();
  #handler: (userId: string, event: BusEvent) => void = () => {};
  #reconnect: () => void = () => {};
  #connected = true;

  private constructor(private readonly nc: NatsConnection, private readonly prefix: string, private readonly log: FastifyBaseLogger) {
    void this.#watchStatus();
  }

  /** Connects (a clear one-line error if the bus cannot be reached). */
  static async open(url: string, log: FastifyBaseLogger, prefix = 'parley'): Promise<NatsBus> {
    let nc: NatsConnection;
    try {
      nc = await connect(connectOptions(url));
    } catch (err) {
      throw new Error(`NATS at ${redactBusUrl(url)}: ${(err as Error).message}`);
    }
    return new NatsBus(nc, prefix, log);
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === Events.Disconnect) {
        this.#connected = false;
        this.log.warn({ server: s.data }, 'delivery bus disconnected; retrying (devices on other nodes get new messages when it is back)');
      } else if (s.type === Events.Reconnect) {
        this.#connected = true;
        this.log.info({ server: s.data }, 'delivery bus reconnected');
        this.#reconnect();
      } else if (s.type === Events.Error) {
        this.log.error({ err: s.data }, 'delivery bus error');
      }
    }
  }

  #subject(userId: string): string {
    if (!USER_ID.test(userId)) throw new Error(`not a user id: ${JSON.stringify(userId.slice(0, 80))}`);
    return `${this.prefix}.u.${userId}`;
  }

  publish(userId: string, event: BusEvent): void {
    if (this.nc.isClosed()) return;
    this.nc.publish(this.#subject(userId), Buffer.from(JSON.stringify(event)));
  }

  watch(userId: string): Promise<void> {
    const held = this.#subs.get(userId);
    if (held) { held.count++; return held.ready; }
    const sub = this.nc.subscribe(this.#subject(userId), {
      callback: (err, msg) => {
        if (err) { this.log.error({ err }, 'delivery bus subscription failed'); return; }
        let event: unknown;
        try {
          event = JSON.parse(Buffer.from(msg.data).toString('utf8'));
        } catch {
          event = undefined;
        }
        if (isBusEvent(event)) this.#handler(userId, event);
        else this.log.warn({ subject: msg.subject }, 'delivery bus: a message this server does not understand was dropped');
      },
    });
    this.#subs.set(userId, { sub, count: 1, ready: this.#confirmed() });
    return this.#subs.get(userId)!.ready;
  }

  /**
   * Resolves when the server has processed what this client sent so far (a PING/PONG round trip), so a new
   * subscription is live. While disconnected it does not wait: the client subscribes again on reconnect, and
   * the hub then re-reads every queue.
   */
  async #confirmed(): Promise<void> {
    if (!this.healthy()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.nc.flush().catch(() => {}),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, FLUSH_TIMEOUT_MS); }),
    ]);
    clearTimeout(timer);
  }

  unwatch(userId: string): void {
    const held = this.#subs.get(userId);
    if (!held) return;
    if (--held.count > 0) return;
    this.#subs.delete(userId);
    if (!this.nc.isClosed()) held.sub.unsubscribe();
  }

  onEvent(handler: (userId: string, event: BusEvent) => void): void {
    this.#handler = handler;
  }

  onReconnect(handler: () => void): void {
    this.#reconnect = handler;
  }

  healthy(): boolean {
    return this.#connected && !this.nc.isClosed();
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    // Flush what is published (a wipe's evict event, say) before leaving — but never wait on a bus that is gone.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.nc.drain().catch(() => {}),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, FLUSH_TIMEOUT_MS); }),
    ]);
    clearTimeout(timer);
    if (!this.nc.isClosed()) await this.nc.close().catch(() => {});
  }
}
