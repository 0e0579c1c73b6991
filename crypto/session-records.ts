// Session records between the protocol library and the ProtocolState: a bounded cache of deserialized
// records, and the pruning of old chains that the library means to do but does not.
//
// The store (SQLCipher in the client) stays the only truth. Every use of a record still reads its string
// from the store; the cached object is used only when that string is exactly the one the cached object
// was serialized to (or parsed from). So a rolled-back transaction, another process writing the same
// profile, or a job that failed half-way can never hand out a stale or half-changed record: they all
// leave the store holding a different string, or the object checked out and never put back.
import { Buffer } from 'node:buffer';
import { SessionCipher } from '@privacyresearch/libsignal-protocol-typescript';
import { SessionRecord } from '@privacyresearch/libsignal-protocol-typescript/lib/session-record.js';
import type { SessionType } from '@privacyresearch/libsignal-protocol-typescript/lib/session-types.js';

export type { SessionRecord };

const b64 = (ab: ArrayBuffer | undefined) => (ab ? Buffer.from(ab).toString('base64') : undefined);

/**
 * Drops the chains a session can no longer use. The library keeps the last 10 old receiving ratchets in
 * `oldRatchetList` and means to delete the chain of each one it drops (session-record.js removeOldChains),
 * but deletes `session[binaryString]` instead of `session.chains[base64]`, so every DH ratchet step left a
 * chain behind for good: after 400 alternating messages a record was 22 KB and every message parsed and
 * rewrote all of it. Kept: our sending chain, the current receiving chain and those of `oldRatchetList`
 * (they hold the keys of messages skipped there) — what the library intends, as libsignal does.
 */
export function pruneChains(session: SessionType): void {
  const keep = new Set<string | undefined>([
    b64(session.currentRatchet.ephemeralKeyPair?.pubKey),
    b64(session.currentRatchet.lastRemoteEphemeralKey),
    ...session.oldRatchetList.map((o) => b64(o.ephemeralKey)),
  ]);
  for (const k of Object.keys(session.chains)) if (!keep.has(k)) delete session.chains[k];
}

interface Entry { serialized: string; record: SessionRecord }

export interface SessionCacheOptions {
  /** Records kept (one per remote device); 0 turns the cache off. */
  max: number;
  /** Tests: on every hit, check that the cached object still serializes to the stored string. */
  verify?: boolean;
}

/** Per remote device: the last record stored or read, as an object, with the string it stands for. */
export class SessionRecordCache {
  private readonly map = new Map<string, Entry>();
  /** Records handed out for a job, with what they last serialized to (set by the serialize hook). */
  private readonly pending = new Map<string, { record: SessionRecord; serialized?: string }>();
  hits = 0;
  misses = 0;
  constructor(private readonly opts: SessionCacheOptions) {}

  private hit(address: string, serialized: string): Entry | undefined {
    const e = this.map.get(address);
    if (!e || e.serialized !== serialized) {
      this.misses++;
      return undefined;
    }
    if (this.opts.verify && SessionRecord.prototype.serialize.call(e.record) !== serialized) {
      throw new Error(`session cache: the cached record of ${address} no longer matches what it was stored as`);
    }
    this.hits++;
    return e;
  }

  private remember(address: string, e: Entry): void {
    if (this.opts.max <= 0) return;
    this.map.delete(address);
    this.map.set(address, e);
    if (this.map.size > this.opts.max) this.map.delete(this.map.keys().next().value!);
  }

  /**
   * A record for a job that may change it: the cached object when it matches the stored string, taken out
   * of the cache (a failed job must not leave its half-changed object behind), else parsed afresh.
   * Its `serialize` prunes dead chains and is watched, so that `stored` can put it back.
   */
  take(address: string, serialized: string | undefined): SessionRecord | undefined {
    if (serialized === undefined) { this.forget(address); return undefined; }
    const e = this.hit(address, serialized);
    this.map.delete(address);
    const record = e?.record ?? SessionRecord.deserialize(serialized);
    const slot: { record: SessionRecord; serialized?: string } = { record };
    record.serialize = () => {
      for (const s of Object.values(record.sessions)) pruneChains(s);
      const out = SessionRecord.prototype.serialize.call(record);
      slot.serialized = out;
      return out;
    };
    this.pending.set(address, slot);
    return record;
  }

  /** A record only to read (hasSession, registration id): never changed, so it may stay cached. */
  peek(address: string, serialized: string | undefined): SessionRecord | undefined {
    if (serialized === undefined) { this.forget(address); return undefined; }
    const e = this.hit(address, serialized);
    if (e) return e.record;
    if (this.pending.has(address)) return SessionRecord.deserialize(serialized); // a job holds the cached one
    const record = SessionRecord.deserialize(serialized);
    this.remember(address, { serialized, record });
    return record;
  }

  /** After the store accepted `serialized` for `address`: keep the object it came from, if we know it. */
  stored(address: string, serialized: string): void {
    const slot = this.pending.get(address);
    this.pending.delete(address);
    if (slot && slot.serialized === serialized) this.remember(address, { serialized, record: slot.record });
    else this.map.delete(address);
  }

  /** The job is over without a (successful) store: its object is not trusted any more. */
  release(address: string): void {
    this.pending.delete(address);
  }

  forget(address: string): void {
    this.map.delete(address);
    this.pending.delete(address);
  }

  get size(): number { return this.map.size; }
}

/** The library's SessionCipher, reading records through the cache. */
export class CachingSessionCipher extends SessionCipher {
  constructor(storage: ConstructorParameters<typeof SessionCipher>[0], address: ConstructorParameters<typeof SessionCipher>[1], private readonly cache: SessionRecordCache) {
    super(storage, address);
  }
  override async getRecord(encodedNumber: string): Promise<SessionRecord | undefined> {
    return this.cache.take(encodedNumber, await this.storage.loadSession(encodedNumber));
  }
}
