// Pushes stored envelopes to connected devices over WebSocket.
//
// Ordering without loss or duplicates: each connection keeps the id of the last envelope it sent and
// only ever "pumps" envelopes with a larger id, in id order, one pump at a time. The connection is
// registered BEFORE the first pump, so an envelope stored during the initial drain triggers another
// pump instead of being missed; since pumps read `id > lastSentId`, nothing is sent twice.
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { Value } from 'typebox/value';
import { ClientFrame, type IncomingEnvelope, type ServerFrame } from '../common/wire/schemas.ts';
import { encodeBase64 } from './base64.ts';
import type { ServerStore, StoredEnvelope } from './store/types.ts';

import { CLOSE_REPLACED, CLOSE_REVOKED, CLOSE_WIPED } from '../common/close-codes.ts';
import { errorBody } from './errors.ts';

const BATCH = 100;

const key = (userId: string, deviceId: number) => `${userId}/${deviceId}`;

export function toIncoming(e: StoredEnvelope): IncomingEnvelope {
  return {
    id: String(e.id), sourceUser: e.sourceUser, sourceDevice: e.sourceDevice, type: e.type,
    content: encodeBase64(e.content), serverTimestamp: e.serverTimestamp, ...(e.groupId ? { group: e.groupId } : {}),
  };
}

class Connection {
  #lastSentId = 0;
  #chain: Promise<void> = Promise.resolve();
  closed = false;

  constructor(
    readonly userId: string,
    readonly deviceId: number,
    readonly socket: WebSocket,
    private readonly store: ServerStore,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Queue a pump behind any running one; pumps never overlap. */
  schedule(after?: () => void): void {
    this.#chain = this.#chain
      .then(() => this.#pump())
      .then(() => { if (!this.closed) after?.(); })
      .catch((err: unknown) => {
        if (this.closed) return;
        this.log.error({ err }, 'delivery failed; closing the connection so the client reconnects');
        this.socket.close(1011, 'delivery failed');
      });
  }

  async #pump(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const batch = await this.store.envelopes.after(this.userId, this.deviceId, this.#lastSentId, BATCH);
      for (const e of batch) {
        if (this.closed) return;
        await this.send({ type: 'envelope', envelope: toIncoming(e) });
        this.#lastSentId = e.id;
      }
      if (batch.length < BATCH) return;
    }
  }

  send(frame: ServerFrame): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(JSON.stringify(frame), (err) => (err && !this.closed ? reject(err) : resolve()));
    });
  }
}

export class DeliveryHub {
  readonly #connections = new Map<string, Connection>();

  constructor(private readonly store: ServerStore, private readonly log: FastifyBaseLogger) {}

  attach(userId: string, deviceId: number, socket: WebSocket): void {
    const k = key(userId, deviceId);
    const conn = new Connection(userId, deviceId, socket, this.store, this.log);
    const previous = this.#connections.get(k);
    this.#connections.set(k, conn);
    if (previous) {
      previous.closed = true;
      previous.socket.close(CLOSE_REPLACED, 'replaced by a newer connection');
    }

    socket.on('close', () => {
      conn.closed = true;
      if (this.#connections.get(k) === conn) this.#connections.delete(k);
    });
    socket.on('error', (err) => this.log.debug({ err }, 'websocket error'));
    socket.on('message', (data, isBinary) => {
      void this.#onFrame(conn, isBinary ? null : data.toString()).catch((err: unknown) => {
        this.log.error({ err }, 'failed to handle a client frame');
      });
    });

    conn.schedule(() => void conn.send({ type: 'queue-empty' }).catch(() => {}));
  }

  async #onFrame(conn: Connection, text: string | null): Promise<void> {
    let frame: unknown;
    try {
      frame = text === null ? undefined : JSON.parse(text);
    } catch {
      frame = undefined;
    }
    if (!Value.Check(ClientFrame, frame)) {
      await conn.send({ type: 'error', ...errorBody('invalid_frame') });
      return;
    }
    const id = Number(frame.id);
    // Ids beyond 2^53 were never issued; an ack for someone else's envelope deletes nothing.
    if (Number.isSafeInteger(id)) await this.store.envelopes.delete(conn.userId, conn.deviceId, id);
  }

  /** Called after envelopes were stored for these devices. */
  notify(devices: Iterable<{ userId: string; deviceId: number }>): void {
    for (const d of devices) this.#connections.get(key(d.userId, d.deviceId))?.schedule();
  }

  /** Sends a content-free frame to every connected device of these users (e.g. "group X changed"). */
  signalUsers(userIds: Iterable<string>, frame: ServerFrame): void {
    const users = new Set(userIds);
    for (const conn of this.#connections.values()) {
      if (users.has(conn.userId) && !conn.closed) void conn.send(frame).catch(() => {});
    }
  }

  /**
   * Ends the connection of a device an administrator just wiped or revoked: no further envelope is pushed;
   * a wiped device gets `{type:'wipe'}` first, then the socket closes with 4001 (wipe) or 4003 (revoke).
   */
  evict(userId: string, deviceId: number, why: 'wipe' | 'revoke'): void {
    const k = key(userId, deviceId);
    const conn = this.#connections.get(k);
    if (!conn) return;
    this.#connections.delete(k);
    conn.closed = true;
    if (why === 'wipe') {
      // ws sends in order: the frame goes out before the close frame.
      conn.socket.send(JSON.stringify({ type: 'wipe' } satisfies ServerFrame), () => {});
      conn.socket.close(CLOSE_WIPED, 'device wiped by an administrator');
    } else {
      conn.socket.close(CLOSE_REVOKED, 'device revoked by an administrator');
    }
  }

  /** Stop pumping before the store closes. */
  shutdown(): void {
    for (const conn of this.#connections.values()) conn.closed = true;
  }
}
