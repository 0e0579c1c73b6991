// Encrypting one message for many devices (a 1:1 send: the recipient's devices and our other ones; a group
// send: every member's). One device must not fail the send for everyone: a device whose key bundle does not
// verify, or that published none, is skipped and reported, and gets a marked envelope that says so (the
// server wants one envelope per active device). A device that is gone since we cached its user's list is
// dropped after refreshing that list.
import { createHash } from 'node:crypto';
import { addressKey, ProtocolError, type PeerAddress } from '../../../crypto/signal.ts';
import type * as W from '../../../common/wire/schemas.ts';
import { BUNDLE_BATCH_MAX } from '../../../common/wire/keys.ts';
import { ErrorCode } from '../../../common/errors.ts';
import { ApiError } from '../net/api.ts';
import type { Contacts } from '../directory/contacts.ts';
import type { Sessions } from './sessions.ts';
import { postWithRetry } from './post.ts';
import { encryptOnPool } from './pooled-encrypt.ts';
import { b64, FETCH_PARALLEL, inParallel, sameBytes, type CoreContext } from '../context.ts';

export interface Target extends PeerAddress { registrationId: number }

export interface SkippedDevice {
  userId: string;
  deviceId: number;
  /** Why it got nothing: "its keys do not verify (…)", "it has not published its keys". */
  reason: string;
}

/**
 * The content of the envelope a skipped device gets: not a Signal message (version byte 0), so it can
 * never be mistaken for one, and recognised by the receiver (incoming/envelopes.ts) to say what happened.
 */
export const UNDELIVERABLE = new Uint8Array(Buffer.from('\u0000parley:not-encrypted-for-this-device', 'latin1'));
export const isUndeliverable = (content: Uint8Array) => sameBytes(content, UNDELIVERABLE);

/**
 * The request's sendId (common/wire SendId): the server answers a retry of an accepted send with its first
 * result and stores nothing. Derived from what is sent (`key`: the message id, or what the receipt or sync
 * names) and to which devices, so a retry after a lost response — or a resend of a failed message — carries
 * the same id, while a message that waited and now goes to the recipient's new device carries a new one.
 */
export function sendIdFor(key: string, envelopes: W.OutgoingEnvelope[]): string {
  const targets = envelopes.map((e) => `${e.userId}/${e.deviceId}/${e.registrationId}`).sort().join(',');
  return createHash('sha256').update(`${key}\n${targets}`).digest('base64url').slice(0, 43);
}

/** Targets per bundle request (the server takes up to BUNDLE_BATCH_MAX), and such requests in flight at once. */
const BUNDLE_CHUNK = Math.min(500, BUNDLE_BATCH_MAX);
const BUNDLE_CHUNKS_PARALLEL = 2;

interface Prepared {
  targets: Target[];
  bundles: Map<string, W.DeviceBundle>;
  skipped: Map<string, SkippedDevice>;
}

export class Fanout {
  constructor(private readonly ctx: CoreContext, private readonly contacts: Contacts, private readonly sessions: Sessions) {}

  /** Outside any transaction: the key bundles of targets without a session, fetched in few requests. */
  async prepare(targets: Target[]): Promise<Prepared> {
    // A big fan-out is coming: the encrypt workers load while the bundles are fetched.
    if (this.ctx.encryptPool?.wants(targets.length)) this.ctx.encryptPool.warm();
    const without: Target[] = [];
    for (const t of targets) if (!(await this.sessions.has(t))) without.push(t);
    const bundles = await this.fetchBundles(without);
    // No bundle: the device may be gone since we cached the list (revoked, wiped). Ask for the list again.
    const unsure = [...new Set(without.filter((t) => !bundles.has(addressKey(t))).map((t) => t.userId))];
    await inParallel(unsure, FETCH_PARALLEL, (u) => this.contacts.refreshDevices(u).catch((err: unknown) => {
      if (!(err instanceof ApiError && err.code === ErrorCode.unknown_user)) throw err;
    }));
    const skipped = new Map<string, SkippedDevice>();
    const kept: Target[] = [];
    for (const t of targets) {
      if (!without.includes(t) || bundles.has(addressKey(t))) { kept.push(t); continue; }
      if (!this.contacts.knownDevices(t.userId).some((d) => d.deviceId === t.deviceId)) continue; // gone
      skipped.set(addressKey(t), { userId: t.userId, deviceId: t.deviceId, reason: 'it has not published its keys' });
      kept.push(t);
    }
    return { targets: kept, bundles, skipped };
  }

  /**
   * Bundles of exactly these devices (each one given out consumes one of its one-time prekeys), by address key:
   * batched (POST /v1/keys/bundles), a few requests in parallel. Only the devices asked for are used, whatever
   * else a server puts in its answer. A user or device the server has no keys for is absent.
   */
  private async fetchBundles(without: Target[]): Promise<Map<string, W.DeviceBundle>> {
    const bundles = new Map<string, W.DeviceBundle>();
    const asked = new Set(without.map(addressKey));
    const keep = (userId: string, devices: W.DeviceBundle[]) => {
      for (const b of devices) {
        const key = addressKey({ userId, deviceId: b.deviceId });
        if (asked.has(key)) bundles.set(key, b);
      }
    };
    const chunks: Target[][] = [];
    for (let i = 0; i < without.length; i += BUNDLE_CHUNK) chunks.push(without.slice(i, i + BUNDLE_CHUNK));
    try {
      await inParallel(chunks, BUNDLE_CHUNKS_PARALLEL, async (chunk) => {
        const got = await postWithRetry(() => this.ctx.api.bundlesBatch(chunk.map((t) => ({ userId: t.userId, deviceId: t.deviceId }))));
        for (const u of got.users) keep(u.userId, u.devices);
      });
      return bundles;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404 && err.code === ErrorCode.not_found)) throw err;
    }
    // A relay from before the batched fetch (404 for the route): one request per user, as it was.
    const byUser = new Map<string, Target[]>();
    for (const t of without) byUser.set(t.userId, [...(byUser.get(t.userId) ?? []), t]);
    await inParallel([...byUser], FETCH_PARALLEL, async ([userId, missing]) => {
      try {
        const got = await postWithRetry(() => this.ctx.api.bundles(userId, missing.length === 1 ? missing[0]!.deviceId : undefined));
        keep(userId, got.devices);
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    });
    return bundles;
  }

  /**
   * Inside the caller's store transaction: one envelope per target. `untrusted` makes the error for a
   * device whose key is not trusted (a verified contact's changed key): that fails the whole send.
   */
  async encrypt(p: Prepared, payloadFor: (t: Target) => Uint8Array, untrusted: (t: Target) => Error): Promise<{ envelopes: W.OutgoingEnvelope[]; skipped: SkippedDevice[] }> {
    const envelopes: W.OutgoingEnvelope[] = [];
    const skipped = new Map(p.skipped);
    const pooled = await this.encryptOnPool(p, skipped, payloadFor, untrusted);
    for (const t of p.targets) {
      const key = addressKey(t);
      if (!skipped.has(key)) {
        try {
          const done = pooled?.get(key);
          if (done instanceof Error) throw done;
          // A device with a session at prepare time is encrypted to directly (a session dropped since then
          // fails as no-session below); one fetched for starts one unless another send did meanwhile.
          const bundle = p.bundles.get(key);
          if (!done && bundle && !(await this.sessions.has(t))) await this.sessions.startFrom(t, bundle);
          const ct = done ?? await this.ctx.party.encrypt(t, payloadFor(t));
          envelopes.push({ userId: t.userId, deviceId: t.deviceId, registrationId: ct.registrationId || t.registrationId, type: ct.type, content: b64(ct.body) });
          continue;
        } catch (err) {
          if (err instanceof ProtocolError && err.kind === 'untrusted-identity') throw untrusted(t);
          if (!(err instanceof ProtocolError)) throw err;
          const reason = err.kind === 'no-session' ? 'its session was reset during this send'
            : `its keys do not verify (${err.message.replace(/^cannot process message: /, '')})`;
          skipped.set(key, { userId: t.userId, deviceId: t.deviceId, reason });
        }
      }
      envelopes.push({ userId: t.userId, deviceId: t.deviceId, registrationId: t.registrationId, type: 1, content: b64(UNDELIVERABLE) });
    }
    return { envelopes, skipped: [...skipped.values()] };
  }

  /** A big fan-out: the protocol work on the worker pool (pooled-encrypt.ts); undefined: do it in-process. */
  private async encryptOnPool(p: Prepared, skipped: Map<string, SkippedDevice>, payloadFor: (t: Target) => Uint8Array, untrusted: (t: Target) => Error) {
    const { encryptPool: pool, protocol, store, party } = this.ctx;
    const todo = p.targets.filter((t) => !skipped.has(addressKey(t)));
    if (!pool || !protocol || !pool.wants(todo.length)) return undefined;
    return encryptOnPool({ store, party, protocol, pool, hasSession: (peer) => this.sessions.has(peer) }, todo, p.bundles, payloadFor, untrusted);
  }

  /** Tells the user which devices got nothing. */
  report(skipped: SkippedDevice[]): void {
    for (const s of skipped) {
      const c = this.ctx.store.getContact(s.userId);
      const who = s.userId === this.ctx.account.userId ? 'your' : c ? `${c.name} <${c.email}>'s` : `${s.userId}'s`;
      this.ctx.warn(`warning: ${who} device ${s.deviceId} did not get this message: ${s.reason}`);
    }
  }
}
