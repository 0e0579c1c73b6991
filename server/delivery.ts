// Pushes stored envelopes to connected devices over WebSocket.
//
// Ordering without loss or duplicates: each connection keeps the id of the last envelope it sent and
// only ever "pumps" envelopes with a larger id, in id order, one pump at a time. The connection is
// registered BEFORE the first pump, so an envelope stored during the initial drain triggers another
// pump instead of being missed; since pumps read `id > lastSentId`, nothing is sent twice.
//
// Under load most envelopes are not read back at all: a group commit (SQLite) hands what it stored straight to the
// sockets that are in step with the hub's commit chain (see #chainStart), which is safe because ids only grow and
// any insert the hub did not make (held releases) starts a new chain, so those sockets read their queue again.
//
// Abuse limits (finding 2, frame-meter.ts): a flood of frames, too many bad frames or a client that stops reading
// closes the socket; only a few bad frames are answered. Outgoing data waits for the socket to drain above a
// high-water mark, so a connection holds at most about one batch.
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { Value } from 'typebox/value';
import { ClientFrame, type ServerFrame } from '../common/wire/schemas.ts';
import type { NewEnvelope, PendingSend, SendOnce, SendOutcome, ServerStore, StoredEnvelope } from './store/types.ts';
import type { Bus, BusEvent } from './bus/types.ts';
import type { CredentialCache } from './auth.ts';
import { CLOSE_REPLACED, CLOSE_REVOKED, CLOSE_WIPED } from '../common/close-codes.ts';
import { errorBody } from './errors.ts';
import { CLOSE_ABUSE, WS_LIMITS } from './frame-meter.ts';
import { Connection, type RequestHandler, type SocketPeer } from './delivery-connection.ts';

export type { RequestHandler, SocketPeer } from './delivery-connection.ts';

/** How every `send` frame starts (socket-send.ts checks the rest): the serialisation of SendFrame, type first. */
const SEND_PREFIX = '{"type":"send",';
/** An ack exactly as ClientFrame has it (what JSON.stringify makes of it); any other spelling takes the full check. */
const ACK = /^\{"type":"ack","id":"([0-9]{1,18})"\}$/;

const key = (userId: string, deviceId: number) => `${userId}/${deviceId}`;
const ACK_DELETE_FAILED = 'failed to delete acknowledged envelopes (they will be delivered again)';

/** What storing one send came to: its envelopes, or — a retry of a send with the same sendId — the first one's timestamp. */
export type StoreResult = { stored: StoredEnvelope[] } | { duplicateOf: number };

/**
 * `bus`: other relay nodes (server/bus/) — what this hub does for a device (notify, evict, signal) is also
 * published there, and what arrives from there is done here for the sockets this node holds; without one, the
 * in-process hub alone. `groupCommit`: the sends and acks of one turn share one store transaction (SQLite, one
 * writer: a commit costs more than its inserts and deletes); off for a store with many writers, which takes them
 * one by one.
 * `credentials`: the verified-credential cache (auth.ts), told of every device evicted here (revoke, wipe).
 */
export interface HubOptions { bus?: Bus; groupCommit?: boolean; credentials?: CredentialCache }

export class DeliveryHub {
  readonly #connections = new Map<string, Connection>();
  readonly #bus: Bus | undefined;
  readonly #groupCommit: boolean;
  readonly #credentials: CredentialCache | undefined;
  /** Acked envelopes not yet deleted: deleted in the turn's group commit (#commit). */
  #acked: { userId: string; deviceId: number; id: number }[] = [];
  /**
   * The hub's commit chain (group commit only): consecutive commits whose envelope ids follow on each other with
   * nobody else's insert in between (ids only grow: AUTOINCREMENT). `#chainStart` is the first id of the current
   * chain, `#chainEnd` the last id committed. A connection whose last read came after the chain's start
   * (Connection.syncedChain) is handed each commit's envelopes directly instead of reading them back.
   */
  #chainStart = -1;
  #chainEnd = -1;
  /** Sends waiting for the next group commit. */
  #toStore: (PendingSend & { resolve: (r: StoreResult) => void; reject: (e: unknown) => void })[] = [];
  #commitScheduled = false;
  #stopped = false;
  #requests: RequestHandler | undefined;

  constructor(private readonly store: ServerStore, private readonly log: FastifyBaseLogger, opts: HubOptions = {}) {
    this.#bus = opts.bus;
    this.#groupCommit = opts.groupCommit ?? true;
    this.#credentials = opts.credentials;
    this.#bus?.onEvent((userId, event) => this.#fromBus(userId, event));
    // Events published while the bus was away are lost: every local queue is read again.
    this.#bus?.onReconnect(() => { for (const conn of this.#connections.values()) conn.schedule(); });
  }

  /** An event another node published about a user whose sockets this node may hold (checked by the bus). */
  #fromBus(userId: string, e: BusEvent): void {
    if (e.kind === 'notify') this.#notifyLocal(e.devices.map((deviceId) => ({ userId, deviceId })));
    else if (e.kind === 'evict') this.#evictLocal(userId, e.deviceId, e.why);
    else if (e.kind === 'signal') this.#signalLocal(new Set([userId]), e.frame);
    else {
      // The device connected to another node: that newer socket holds its delivery now (a late event about an
      // older attach elsewhere leaves a newer socket here alone).
      const conn = this.#connections.get(key(userId, e.deviceId));
      if (conn && conn.attachedAt < e.at) this.#evictLocal(userId, e.deviceId, 'replaced');
    }
  }

  attach(userId: string, deviceId: number, socket: WebSocket): void {
    const k = key(userId, deviceId);
    const conn = new Connection(userId, deviceId, socket, this.store, this.log, () => this.#chainStart);
    const previous = this.#connections.get(k);
    this.#connections.set(k, conn);
    if (previous) {
      previous.closed = true;
      previous.socket.close(CLOSE_REPLACED, 'replaced by a newer connection');
    }
    this.#bus?.publish(userId, { kind: 'attached', deviceId, at: conn.attachedAt });

    socket.on('close', () => {
      conn.closed = true;
      if (this.#connections.get(k) === conn) this.#connections.delete(k);
      this.#bus?.unwatch(userId);
    });
    socket.on('error', (err) => this.log.debug({ err }, 'websocket error'));
    socket.on('message', (data, isBinary) => {
      if (conn.closed) return; // closed for abuse, replaced or evicted: what is still buffered is dropped unread
      // A send frame: its own budget (socket-send.ts), not the ack bucket; at most SEND_FRAME_BYTES (maxPayload).
      if (this.#requests && !isBinary && Buffer.isBuffer(data) && data.length > SEND_PREFIX.length && data.toString('latin1', 0, SEND_PREFIX.length) === SEND_PREFIX) {
        this.#requests(conn, data.toString());
        return;
      }
      if (!conn.meter.take()) {
        this.log.warn({ userId, deviceId }, 'delivery socket flooded; closed');
        conn.closeForAbuse(CLOSE_ABUSE, 'too many frames');
        return;
      }
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
      void this.#onFrame(conn, isBinary || size > WS_LIMITS.frameChars ? null : data.toString()).catch((err: unknown) => {
        this.log.error({ err }, 'failed to handle a client frame');
      });
    });

    const start = () => conn.schedule(() => conn.sendLight({ type: 'queue-empty' }));
    if (!this.#bus) { start(); return; }
    // With other nodes: first listen for this user's events, then read the state — what another node commits
    // after the read is announced to a subscription that is already live, so nothing falls in between.
    void this.#bus.watch(userId).then(async () => {
      if (conn.closed) return;
      const d = await this.store.devices.get(userId, deviceId);
      if (d && d.state !== 'active') { this.#evictLocal(userId, deviceId, d.state === 'revoked' ? 'revoke' : 'wipe'); return; }
      start();
    }).catch((err: unknown) => {
      this.log.error({ err }, 'delivery start failed; closing the connection so the client reconnects');
      if (!conn.closed) socket.close(1011, 'delivery failed');
    });
  }

  /** Handles request frames (`send`: server/socket-send.ts); without one, they are malformed frames. */
  onRequests(handler: RequestHandler): void {
    this.#requests = handler;
  }

  /** The socket sent more frames than its budgets allow: closed (1008). */
  flooded(conn: SocketPeer): void {
    const c = conn as Connection;
    this.log.warn({ userId: c.userId, deviceId: c.deviceId }, 'delivery socket flooded; closed');
    c.closeForAbuse(CLOSE_ABUSE, 'too many frames');
  }

  /** A frame that is not one the server understands: answered a few times, then dropped, then the socket closed. */
  badFrame(conn: SocketPeer): void {
    const c = conn as Connection;
    const verdict = c.meter.badFrame();
    if (verdict === 'close') {
      this.log.warn({ userId: c.userId, deviceId: c.deviceId }, 'delivery socket sent too many malformed frames; closed');
      c.closeForAbuse(CLOSE_ABUSE, 'too many malformed frames');
    } else if (verdict === 'reply') {
      c.sendLight({ type: 'error', ...errorBody('invalid_frame') });
    }
  }

  async #onFrame(conn: Connection, text: string | null): Promise<void> {
    // The frame every envelope gets back, in the form clients write it: no JSON parse nor schema walk.
    const ack = text === null ? null : ACK.exec(text);
    if (ack) return this.#onAck(conn, ack[1]!);
    let frame: unknown;
    try {
      frame = text === null ? undefined : JSON.parse(text);
    } catch {
      frame = undefined;
    }
    if (!Value.Check(ClientFrame, frame)) {
      this.badFrame(conn);
      return;
    }
    return this.#onAck(conn, frame.id);
  }

  async #onAck(conn: Connection, idText: string): Promise<void> {
    const id = Number(idText);
    // Ids beyond 2^53 were never issued; an ack for someone else's envelope deletes nothing.
    if (!Number.isSafeInteger(id)) return;
    if (!this.#groupCommit) {
      await this.store.envelopes.delete(conn.userId, conn.deviceId, id).catch((err: unknown) => {
        this.log.error({ err }, 'failed to delete an acknowledged envelope (it will be delivered again)');
      });
      return;
    }
    this.#acked.push({ userId: conn.userId, deviceId: conn.deviceId, id });
    this.#scheduleCommit();
  }

  /**
   * Stores the envelopes of one send and delivers them (no separate notify). The sends of one turn of the event loop share one write transaction
   * (group commit): on this server a commit costs more than the inserts in it, so under load this is what
   * most of a send's database time was. One failing send fails only itself (EnvelopeStore.storeMany).
   */
  storeEnvelopes(envelopes: NewEnvelope[]): Promise<StoredEnvelope[]> {
    return this.#queue(envelopes, undefined).then((r) => ('stored' in r ? r.stored : []));
  }

  /** storeEnvelopes for a send with a client sendId (EnvelopeStore.storeOnce): a retry stores nothing and says so. */
  storeSend(envelopes: NewEnvelope[], send: SendOnce): Promise<StoreResult> {
    return this.#queue(envelopes, send);
  }

  #storeOne(envelopes: NewEnvelope[], send: SendOnce | undefined): Promise<StoreResult> {
    return send ? this.store.envelopes.storeOnce(envelopes, send) : this.store.envelopes.store(envelopes).then((stored) => ({ stored }));
  }

  #queue(envelopes: NewEnvelope[], send: SendOnce | undefined): Promise<StoreResult> {
    if (!this.#groupCommit) {
      return this.#storeOne(envelopes, send).then((r) => {
        if ('stored' in r) this.notify(r.stored.filter((e) => e.deliverAfter === undefined).map((e) => ({ userId: e.destUser, deviceId: e.destDevice })));
        return r;
      });
    }
    return new Promise((resolve, reject) => {
      this.#toStore.push({ envelopes, ...(send ? { once: send } : {}), resolve, reject });
      this.#scheduleCommit();
    });
  }

  /** The turn's group commit, once: it takes the acks and the sends that arrived until it runs. */
  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    setImmediate(() => void this.#commit());
  }

  /**
   * One write transaction for the turn: acknowledged envelopes deleted (not one transaction per ack, nor one for
   * the acks and one for the sends: the commit is the dear part), then the sends, stored together (storeMany: a
   * few statements for all of them, each send still failing alone). A failed delete fails no
   * send (the envelope is delivered again, and clients drop ids they know); a failed commit fails every send.
   */
  async #commit(): Promise<void> {
    this.#commitScheduled = false;
    const batch = this.#toStore;
    this.#toStore = [];
    const acked = this.#acked;
    this.#acked = [];
    // The store is closing: acks are dropped (delivered again next time); sends still go to the store, which refuses them.
    if (this.#stopped) acked.length = 0;
    if (batch.length === 0 && acked.length === 0) return;
    let results: SendOutcome[] = [];
    try {
      await this.store.transaction(async () => {
        try {
          if (acked.length > 0) await this.store.envelopes.deleteMany(acked);
        } catch (err) {
          this.log.error({ err }, ACK_DELETE_FAILED);
        }
        if (batch.length > 0) results = await this.store.envelopes.storeMany(batch);
      });
    } catch (err) {
      if (acked.length > 0) this.log.error({ err }, ACK_DELETE_FAILED);
      for (const b of batch) b.reject(err);
      return;
    }
    const stored: StoredEnvelope[] = [];
    for (const r of results) if ('ok' in r && 'stored' in r.ok) stored.push(...r.ok.stored);
    if (stored.length > 0) this.#deliverCommitted(stored);
    batch.forEach((b, i) => { const r = results[i]!; if ('ok' in r) b.resolve(r.ok); else b.reject(r.err); });
  }

  /** Delivers what one group commit stored (in id order): handed to the connections on this node, announced to others. */
  #deliverCommitted(stored: StoredEnvelope[]): void {
    const first = stored[0]!.id;
    if (first !== this.#chainEnd + 1) this.#chainStart = first; // someone else inserted in between: a new chain
    this.#chainEnd = stored[stored.length - 1]!.id;
    const byConn = new Map<Connection, StoredEnvelope[]>();
    const others: { userId: string; deviceId: number }[] = [];
    for (const e of stored) {
      if (e.deliverAfter !== undefined) continue; // held: released later with a fresh id (server/workplace/)
      const conn = this.#connections.get(key(e.destUser, e.destDevice));
      if (!conn) { if (this.#bus) others.push({ userId: e.destUser, deviceId: e.destDevice }); continue; }
      const list = byConn.get(conn);
      if (list) list.push(e); else byConn.set(conn, [e]);
    }
    for (const [conn, list] of byConn) conn.offer(list, this.#chainStart);
    if (others.length > 0) this.#publishNotify(others);
  }

  /** Called after envelopes were stored for these devices by something other than storeEnvelopes/storeSend. */
  notify(devices: Iterable<{ userId: string; deviceId: number }>): void {
    const list = [...devices];
    this.#notifyLocal(list);
    this.#publishNotify(list);
  }

  #publishNotify(list: { userId: string; deviceId: number }[]): void {
    if (!this.#bus) return;
    const byUser = new Map<string, number[]>();
    for (const d of list) {
      const ids = byUser.get(d.userId);
      if (ids) ids.push(d.deviceId); else byUser.set(d.userId, [d.deviceId]);
    }
    for (const [userId, ids] of byUser) this.#bus.publish(userId, { kind: 'notify', devices: ids });
  }

  #notifyLocal(devices: Iterable<{ userId: string; deviceId: number }>): void {
    for (const d of devices) this.#connections.get(key(d.userId, d.deviceId))?.schedule();
  }

  /** Sends a content-free frame to every connected device of these users (e.g. "group X changed"). */
  signalUsers(userIds: Iterable<string>, frame: ServerFrame): void {
    const users = new Set(userIds);
    this.#signalLocal(users, frame);
    for (const userId of users) this.#bus?.publish(userId, { kind: 'signal', frame });
  }

  #signalLocal(users: Set<string>, frame: ServerFrame): void {
    for (const conn of this.#connections.values()) {
      if (users.has(conn.userId) && !conn.closed) conn.sendLight(frame);
    }
  }

  /**
   * Ends the connection of a device an administrator just wiped or revoked: no further envelope is pushed;
   * a wiped device gets `{type:'wipe'}` first, then the socket closes with 4001 (wipe) or 4003 (revoke).
   */
  evict(userId: string, deviceId: number, why: 'wipe' | 'revoke'): void {
    this.#credentials?.forget(userId, deviceId);
    this.#evictLocal(userId, deviceId, why);
    this.#bus?.publish(userId, { kind: 'evict', deviceId, why });
  }

  #evictLocal(userId: string, deviceId: number, why: 'wipe' | 'revoke' | 'replaced'): void {
    const k = key(userId, deviceId);
    const conn = this.#connections.get(k);
    if (!conn) return;
    this.#connections.delete(k);
    conn.closed = true;
    if (why === 'wipe') {
      // ws sends in order: the frame goes out before the close frame.
      conn.socket.send(JSON.stringify({ type: 'wipe' } satisfies ServerFrame), () => {});
      conn.socket.close(CLOSE_WIPED, 'device wiped by an administrator');
    } else if (why === 'revoke') {
      conn.socket.close(CLOSE_REVOKED, 'device revoked by an administrator');
    } else {
      conn.socket.close(CLOSE_REPLACED, 'replaced by a newer connection');
    }
  }

  /** Stop pumping before the store closes. */
  shutdown(): void {
    this.#stopped = true;
    for (const conn of this.#connections.values()) conn.closed = true;
  }
}
