// One delivery socket of the hub (delivery.ts): its pump (reads the device's queue in id order from the last
// envelope it sent), the envelopes a commit hands it directly, its frame limits and its outgoing writes.
// Ordering and the commit chain are explained in delivery.ts.
import type { FastifyBaseLogger } from 'fastify';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ServerFrame } from '../common/wire/schemas.ts';
import type { SendResultFrame } from '../common/wire/socket-send.ts';
import { encodeBase64 } from './base64.ts';
import type { ServerStore, StoredEnvelope } from './store/types.ts';
import { CLOSE_NOT_READING, FrameMeter, WS_LIMITS } from './frame-meter.ts';

const BATCH = 100;

/**
 * Frames written to one socket in one turn of the event loop leave in as few writes as possible (a syscall each
 * was a tenth of the relay's time under load), but the first frame of a turn leaves at once: a lone message must
 * not wait for the turn to end (its promise jobs can run long, e.g. a client core in the same process encrypting
 * its next message, which doubled the send → decrypted p50). From a socket's second frame in the turn on, its TCP
 * stream is corked and uncorked once the turn's callback and its promise jobs are done. ws writes each frame as
 * cork/write/uncork on that same stream, which nests inside this cork.
 */
const corked: Socket[] = [];
const wroteThisTurn = new Set<Socket>();
let turnEndScheduled = false;
function endTurn(): void {
  turnEndScheduled = false;
  wroteThisTurn.clear();
  for (const raw of corked.splice(0)) raw.uncork();
}
/** Before writing `frames` frames to the socket. */
function corkForTurn(socket: WebSocket, frames = 1): void {
  const raw = (socket as unknown as { _socket?: Socket })._socket;
  if (!raw || raw.destroyed) return;
  if (!turnEndScheduled) { turnEndScheduled = true; process.nextTick(endTurn); }
  const first = !wroteThisTurn.has(raw);
  wroteThisTurn.add(raw);
  if (first && frames === 1) return;
  if (raw.writableCorked > 0) return;
  raw.cork();
  corked.push(raw);
}

/** What a request-frame handler may do with the socket it came on. */
export interface SocketPeer {
  readonly userId: string;
  readonly deviceId: number;
  readonly closed: boolean;
  /** The socket's frame limits (frame-meter.ts). */
  readonly meter: FrameMeter;
  /** Counts a request in flight (the socket is not read while too many are). */
  begin(bytes: number): void;
  end(bytes: number): void;
  reply(frame: SendResultFrame): void;
}
export type RequestHandler = (peer: SocketPeer, text: string) => void;

/**
 * The `envelope` frame of `e` (an IncomingEnvelope of common/wire/schemas.ts), written out: the same text as
 * JSON.stringify of the frame object (tests/server/envelope-frame.test.ts holds them equal) without building the
 * object first, on the relay's hottest line. Numbers and base64 need no escaping; the strings a client chose go through JSON.stringify.
 */
export function envelopeFrame(e: StoredEnvelope): string {
  let s = `{"type":"envelope","envelope":{"id":"${e.id}","sourceUser":${JSON.stringify(e.sourceUser)},"sourceDevice":${e.sourceDevice},"type":${e.type},"content":"${e.contentBase64 ?? encodeBase64(e.content)}","serverTimestamp":${e.serverTimestamp}`;
  if (e.groupId) s += `,"group":${JSON.stringify(e.groupId)}`;
  if (e.aboutGroup) s += `,"aboutGroup":${JSON.stringify(e.aboutGroup)}`;
  return `${s}}}`;
}

export class Connection {
  #lastSentId = 0;
  /** A pump is running; `#again`: something was stored meanwhile, so it reads once more before it stops. */
  #running = false;
  #again = false;
  #afterDrain: (() => void)[] = [];
  closed = false;
  /**
   * The hub's commit chain (DeliveryHub.#chainStart) this connection is in step with: its last read came after
   * every envelope for it outside that chain, so the chain's commits can hand it their envelopes directly.
   */
  syncedChain: number | undefined;
  /** This socket's frame limits (frame-meter.ts). */
  readonly meter = new FrameMeter();
  /** When this socket took the device's delivery (newer sockets replace older ones, on any node). */
  readonly attachedAt = Date.now();

  constructor(
    readonly userId: string,
    readonly deviceId: number,
    readonly socket: WebSocket,
    private readonly store: ServerStore,
    private readonly log: FastifyBaseLogger,
    /** The hub's current chain start, read just before each queue read. */
    private readonly chain: () => number,
  ) {}

  /**
   * Envelopes the hub just committed for this device, in id order, from a commit of chain `chainStart`: pushed
   * without reading them back when the connection is in step with that chain and idle; else one more read.
   */
  offer(envelopes: StoredEnvelope[], chainStart: number): void {
    if (this.closed) return;
    if (this.#running || this.syncedChain !== chainStart || this.socket.bufferedAmount > WS_LIMITS.highWaterBytes) {
      this.schedule();
      return;
    }
    corkForTurn(this.socket, envelopes.length);
    for (const e of envelopes) {
      if (e.id <= this.#lastSentId) continue;
      this.socket.send(envelopeFrame(e));
      this.#lastSentId = e.id;
      this.meter.credit();
    }
  }

  /** Closes for abuse: nothing more is read or answered, and the socket goes even if the peer ignores the close. */
  closeForAbuse(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.pause();
    this.socket.close(code, reason);
    const kill = setTimeout(() => this.socket.terminate(), WS_LIMITS.abuseGraceMs);
    kill.unref();
    this.socket.once('close', () => clearTimeout(kill));
  }

  /**
   * Requests (send frames) of this socket being handled and their size: at WS_LIMITS.requestsInFlight of them or
   * WS_LIMITS.requestBytesInFlight bytes the socket is not read, so one device holds a bounded share of memory.
   */
  #inFlight = 0;
  #bytesInFlight = 0;
  #paused = false;

  /** SocketPeer: a request frame of `bytes` is being handled. */
  begin(bytes: number): void {
    this.#inFlight++;
    this.#bytesInFlight += bytes;
    if (!this.#paused && (this.#inFlight >= WS_LIMITS.requestsInFlight || this.#bytesInFlight >= WS_LIMITS.requestBytesInFlight)) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  /** SocketPeer: …and is answered. */
  end(bytes: number): void {
    this.#inFlight--;
    this.#bytesInFlight -= bytes;
    if (this.#paused && this.#inFlight < WS_LIMITS.requestsInFlight && this.#bytesInFlight < WS_LIMITS.requestBytesInFlight) {
      this.#paused = false;
      if (!this.closed) this.socket.resume();
    }
  }

  /** SocketPeer: the answer to a request frame (small: a send's result); same rule as sendLight. */
  reply(frame: SendResultFrame): void {
    if (!this.closed) corkForTurn(this.socket);
    this.sendLight(frame);
  }

  /** A content-free frame (queue-empty, signals, errors, results): refused by closing when the client is not reading. */
  sendLight(frame: ServerFrame | SendResultFrame): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > WS_LIMITS.maxQueuedBytes) {
      this.log.warn({ userId: this.userId, deviceId: this.deviceId }, 'delivery socket not reading; closed');
      this.closeForAbuse(CLOSE_NOT_READING, 'not reading');
      return;
    }
    void this.send(frame).catch(() => {});
  }

  /**
   * Pumps never overlap, and notifications that arrive while one runs are folded into one more read
   * (under load a device is notified far more often than a read finds something new).
   */
  schedule(after?: () => void): void {
    if (after) this.#afterDrain.push(after);
    if (this.#running) { this.#again = true; return; }
    this.#running = true;
    void this.#drain();
  }

  async #drain(): Promise<void> {
    this.syncedChain = undefined;
    try {
      let chain: number;
      do {
        this.#again = false;
        chain = this.chain();
        // What waits for a drain (queue-empty) waits for this pump only, not for the loop to go quiet: while
        // messages keep arriving the loop may never end, and a socket must still hear that its backlog is done.
        const due = this.#afterDrain.splice(0);
        await this.#pump();
        if (!this.closed) for (const f of due) f();
      } while (this.#again && !this.closed);
      // The last read saw everything committed before it: later commits of the same chain can be handed over.
      this.syncedChain = chain;
    } catch (err) {
      if (!this.closed) {
        this.log.error({ err }, 'delivery failed; closing the connection so the client reconnects');
        this.socket.close(1011, 'delivery failed');
      }
    } finally {
      this.#running = false;
    }
  }

  async #pump(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const batch = await this.store.envelopes.after(this.userId, this.deviceId, this.#lastSentId, BATCH);
      // The socket keeps frame order: queue the whole batch, then wait for the last write only.
      let last: Promise<void> | undefined;
      for (const e of batch) {
        if (this.closed) return;
        // Bounded send queue: above the high-water mark, wait until what was queued reached the kernel.
        if (last && this.socket.bufferedAmount > WS_LIMITS.highWaterBytes) await last;
        if (this.closed) return;
        last = this.sendText(envelopeFrame(e));
        this.#lastSentId = e.id;
        this.meter.credit();
      }
      await last;
      if (batch.length < BATCH) return;
    }
  }

  send(frame: ServerFrame | SendResultFrame): Promise<void> {
    return this.sendText(JSON.stringify(frame));
  }

  sendText(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.send(text, (err) => (err && !this.closed ? reject(err) : resolve()));
    });
  }
}
