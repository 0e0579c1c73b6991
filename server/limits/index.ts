// Every rate limit of the relay in one table, so the numbers can be read (and tuned) together; docs/security.md
// says what each one stops. Keys are the client IP (req.ip: the socket's address, or the proxy's
// X-Forwarded-For when trustProxy is set), the authenticated device, or a target device.
import { KeyedLimiter, type Rate } from './limiter.ts';

export const RATES = {
  /** Unauthenticated lifecycle requests (status checks, wipe receipts) per client IP. Devices check a few times an hour. */
  lifecycleByIp: { burst: 60, perSecond: 2 },
  /** …and per target device, whoever asks (an attacker with many IPs still cannot hammer one device's records). */
  lifecycleByDevice: { burst: 10, perSecond: 1 / 6 },
  /** Refused wipe receipts written to the audit log: one per device per hour; the rest go to the server log only. */
  refusedReceiptAudit: { burst: 1, perSecond: 1 / 3600 },
  /** POST /v1/devices/nonce per client IP (one sign-in needs one). */
  nonceByIp: { burst: 20, perSecond: 1 / 3 },
  /**
   * Bundle fetches per requesting device, counted in target users (a batch of 1,000 takes 1,000): enough to open
   * sessions with two full 1,000-member groups at once, then a steady trickle (5 users a second) for a scraper.
   */
  bundlesByRequester: { burst: 2000, perSecond: 5 },
  /**
   * One-time prekeys a requesting device may take from one target user: beyond this, bundles come without a
   * one-time prekey (X3DH still works) instead of draining the target's supply.
   */
  prekeysByPair: { burst: 6, perSecond: 1 / 60 },
  /** `prekeys-low` frames per device (one is enough to make its client refill; the count is also polled). */
  prekeysLowSignal: { burst: 1, perSecond: 1 / 60 },
  /**
   * HTTP sends (POST /v1/messages and /v1/groups/:id/messages) per device, counted in requests: what a person
   * or an outbox flush sends, with room to spare; a flooding client gets 429. `send` frames on the delivery
   * socket have a budget of the same size of their own (frame-meter.ts).
   */
  sendsByDevice: { burst: 1000, perSecond: 200 },
  /** Delivery-socket connections per device (a client reconnects with backoff; a loop does not). */
  wsConnectByDevice: { burst: 20, perSecond: 1 / 3 },
} as const satisfies Record<string, Rate>;

export type RateName = keyof typeof RATES;

/** Bounds on what unauthenticated callers can make the server store. */
export const CAPS = {
  /** Outstanding registration nonces (each lives 10 minutes): a sign-in wave of this size fits. */
  pendingNonces: 20_000,
};
export type Caps = typeof CAPS;

/** The limiters of one server, over its clock; `overrides` and `caps` change single values (tests, unusual deployments). */
export class ServerLimits {
  readonly #limiters = new Map<RateName, KeyedLimiter>();
  readonly caps: Caps;

  constructor(private readonly now: () => number, private readonly overrides: Partial<Record<RateName, Rate>> = {}, caps: Partial<Caps> = {}) {
    this.caps = { ...CAPS, ...caps };
  }

  of(name: RateName): KeyedLimiter {
    let l = this.#limiters.get(name);
    if (!l) {
      l = new KeyedLimiter(this.overrides[name] ?? RATES[name], this.now);
      this.#limiters.set(name, l);
    }
    return l;
  }
}
