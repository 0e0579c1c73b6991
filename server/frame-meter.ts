// The abuse limits of one delivery socket (finding 2), apart from the delivery logic in delivery.ts: every
// client frame costs a token of the socket's bucket, which refills slowly and gains one token per envelope sent
// (so acking a backlog at any speed is fine); an empty bucket or too many malformed frames is a flood.

/** RFC 6455 policy violation: the client broke the frame limits (its client should back off before reconnecting). */
export const CLOSE_ABUSE = 1008;
/** RFC 6455 "try again later": the client stopped reading, so its outgoing queue hit the cap. */
export const CLOSE_NOT_READING = 1013;

export const WS_LIMITS = {
  /** Frames a socket may send at once, beyond one per envelope it was sent. */
  frameBurst: 200,
  /** Frames per second refilled (acks of envelopes sent are covered by their own tokens). */
  framesPerSecond: 20,
  /** Unused ack tokens kept at most (a client that reads but never acks cannot bank unlimited frames). */
  ackCredit: 20_000,
  /** Malformed frames answered with an error frame; later ones are dropped silently. */
  errorReplies: 3,
  /** Malformed frames tolerated before the socket is closed. */
  badFrames: 20,
  /** Above this many bytes queued on the socket, the pump waits for it to drain. */
  highWaterBytes: 1024 * 1024,
  /** A content-free frame that would queue beyond this closes the socket (the client is not reading). */
  maxQueuedBytes: 8 * 1024 * 1024,
  /** After a close for abuse, the socket is destroyed if the close handshake has not finished by then. */
  abuseGraceMs: 2000,
  /** The longest text a client frame can be (an ack is ~40 characters); `send` frames have SEND_FRAME_BYTES. */
  frameChars: 256,
  /** Send frames a socket may send at once (a burst of receipts after a backlog), then… */
  sendBurst: 1000,
  /** …per second: beyond, 429 rate_limited (the HTTP route has no per-device limit; this socket's frames are cheap to make). */
  sendsPerSecond: 200,
  /** Requests handled at once per socket: at this many, the socket is not read until one is answered. */
  requestsInFlight: 64,
  /** …or when the frames being handled add up to this many bytes (a send frame may be 1 MiB). */
  requestBytesInFlight: 4 * 1024 * 1024,
} as const;

/** Real time, not the injectable clock: the limits are about this process. */
export class FrameMeter {
  #tokens: number = WS_LIMITS.frameBurst;
  #refilledAt = Date.now();
  #badFrames = 0;

  /** Takes a token for one incoming frame; false when the bucket is empty (a flood). */
  take(): boolean {
    const t = Date.now();
    const refill = (Math.max(0, t - this.#refilledAt) * WS_LIMITS.framesPerSecond) / 1000;
    this.#refilledAt = t;
    // Time refills up to the burst only; envelope credit may sit above it.
    if (this.#tokens < WS_LIMITS.frameBurst) this.#tokens = Math.min(WS_LIMITS.frameBurst, this.#tokens + refill);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #sendTokens: number = WS_LIMITS.sendBurst;
  #sendRefilledAt = Date.now();

  /** Takes a token for one send frame: 0 if there was one, else the milliseconds until there is. */
  takeSend(): number {
    const t = Date.now();
    this.#sendTokens = Math.min(WS_LIMITS.sendBurst, this.#sendTokens + (Math.max(0, t - this.#sendRefilledAt) * WS_LIMITS.sendsPerSecond) / 1000);
    this.#sendRefilledAt = t;
    if (this.#sendTokens < 1) return Math.ceil(((1 - this.#sendTokens) * 1000) / WS_LIMITS.sendsPerSecond);
    this.#sendTokens -= 1;
    return 0;
  }

  /** An envelope was sent: its ack is paid for. */
  credit(): void {
    this.#tokens = Math.min(this.#tokens + 1, WS_LIMITS.frameBurst + WS_LIMITS.ackCredit);
  }

  /** Counts a malformed frame: 'reply' for the first few, 'drop' after, 'close' once there were too many. */
  badFrame(): 'reply' | 'drop' | 'close' {
    this.#badFrames++;
    if (this.#badFrames > WS_LIMITS.badFrames) return 'close';
    return this.#badFrames <= WS_LIMITS.errorReplies ? 'reply' : 'drop';
  }
}
