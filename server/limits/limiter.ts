// A small keyed token-bucket limiter (per IP, per device, per requester→target pair …), in memory and bounded.
// Per server process: behind a load balancer each node limits on its own, which only makes the limits looser
// by the node count (docs/security.md). Written here rather than taken from @fastify/rate-limit because most
// callers are not whole routes (a WebSocket frame, the one-time-prekey part of a bundle fetch) and all of them
// need the server's injectable clock.
import { ApiError } from '../errors.ts';

export interface Rate {
  /** Requests allowed at once (the bucket's size). */
  burst: number;
  /** Tokens refilled per second. */
  perSecond: number;
}

interface Bucket { tokens: number; at: number }

/** Keys kept at most; beyond it, full buckets (and then the oldest) are forgotten. */
const DEFAULT_MAX_KEYS = 50_000;

export class KeyedLimiter {
  readonly #buckets = new Map<string, Bucket>();

  constructor(readonly rate: Rate, private readonly now: () => number, private readonly maxKeys = DEFAULT_MAX_KEYS) {
    if (!(rate.burst >= 1 && rate.perSecond > 0)) throw new Error('KeyedLimiter: burst must be ≥ 1 and perSecond > 0');
  }

  #refilled(key: string): Bucket {
    const t = this.now();
    const b = this.#buckets.get(key);
    if (!b) return { tokens: this.rate.burst, at: t };
    const tokens = Math.min(this.rate.burst, b.tokens + (Math.max(0, t - b.at) * this.rate.perSecond) / 1000);
    return { tokens, at: t };
  }

  /** Takes `n` tokens if there are that many: 0 on success, else the milliseconds until there will be. */
  take(key: string, n = 1): number {
    const b = this.#refilled(key);
    if (b.tokens < n) {
      this.#set(key, b);
      return Math.ceil(((n - b.tokens) * 1000) / this.rate.perSecond);
    }
    b.tokens -= n;
    this.#set(key, b);
    return 0;
  }

  /** Like take, but throws 429 rate_limited (with Retry-After) when the key is over its rate. */
  consume(key: string, what: string, n = 1): void {
    const waitMs = this.take(key, n);
    if (waitMs > 0) throw rateLimited(what, waitMs);
  }

  #set(key: string, b: Bucket): void {
    this.#buckets.delete(key); // re-inserted last: the Map's order is the order of last use
    this.#buckets.set(key, b);
    if (this.#buckets.size > this.maxKeys) this.#evict();
  }

  /** Forgets buckets that have refilled (they mean nothing), then the least recently used down to 90 %. */
  #evict(): void {
    const t = this.now();
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((t - b.at) * this.rate.perSecond) / 1000 >= this.rate.burst) this.#buckets.delete(k);
    }
    for (const k of this.#buckets.keys()) {
      if (this.#buckets.size <= this.maxKeys * 0.9) break;
      this.#buckets.delete(k);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}

/** 429 with the wait in the body (`retryAfterMs`) and, set by the error handler, a Retry-After header. */
export function rateLimited(what: string, waitMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new ApiError('rate_limited', `Too many ${what}; retry in ${seconds} s.`, { retryAfterMs: waitMs });
}
