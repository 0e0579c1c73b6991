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
import { SessionLock } from '@privacyresearch/libsignal-protocol-typescript/lib/session-lock.js';
import type { SessionType } from '@privacyresearch/libsignal-protocol-typescript/lib/session-types.js';

export type { SessionRecord };

const RECORD_VERSION = new SessionRecord().version;

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

// The library's serialize, without its costs: base64-js in JavaScript for every key (a third of an encrypt's
// serialize) becomes Buffer's native base64. The JSON is byte for byte the library's (same fields, order and
// undefined/absent rules as session-record.js *ArrayBufferToString); tests/crypto/session-serialize.test.ts
// compares the two on real sessions, and the cache's `verify` mode on every hit.
type Bin = ArrayBuffer | ArrayBufferView | undefined | null;
/** abToS: base64 of `new Uint8Array(b)` (nothing → ''). */
const s64 = (b: Bin): string => {
  if (b == null) return '';
  if (b instanceof ArrayBuffer) return Buffer.from(b).toString('base64');
  return Buffer.from(new Uint8Array(b as unknown as ArrayLike<number>)).toString('base64');
};
/* eslint-disable @typescript-eslint/no-explicit-any -- the library's own shapes, mirrored field by field */
const keyPairJson = (kp: any) => ({ pubKey: s64(kp.pubKey), privKey: s64(kp.privKey) });
function chainJson(c: any) {
  const messageKeys: Record<string, string> = {};
  for (const k of Object.keys(c.messageKeys)) messageKeys[k] = s64(c.messageKeys[k]);
  return { chainType: c.chainType, chainKey: { key: c.chainKey.key ? s64(c.chainKey.key) : undefined, counter: c.chainKey.counter }, messageKeys };
}
function sessionJson(sess: any) {
  const { indexInfo: ii, currentRatchet: r, pendingPreKey: ppk, oldRatchetList, chains } = sess;
  const newChains: Record<string, unknown> = {};
  for (const k of Object.keys(chains)) newChains[k] = chainJson(chains[k]);
  return {
    indexInfo: { closed: ii.closed, remoteIdentityKey: s64(ii.remoteIdentityKey), baseKey: ii.baseKey ? s64(ii.baseKey) : undefined, baseKeyType: ii.baseKeyType },
    registrationId: sess.registrationId,
    currentRatchet: {
      rootKey: s64(r.rootKey), ephemeralKeyPair: r.ephemeralKeyPair && keyPairJson(r.ephemeralKeyPair),
      lastRemoteEphemeralKey: s64(r.lastRemoteEphemeralKey), previousCounter: r.previousCounter, added: r.added,
    },
    pendingPreKey: ppk ? { baseKey: s64(ppk.baseKey), preKeyId: ppk.preKeyId, signedKeyId: ppk.signedKeyId } : undefined,
    oldRatchetList: oldRatchetList.map((o: any) => ({ ephemeralKey: s64(o.ephemeralKey), added: o.added })),
    chains: newChains,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The same string as the library's `record.serialize()`, faster. */
export function serializeRecord(record: SessionRecord): string {
  const sessions: Record<string, unknown> = {};
  for (const k of Object.keys(record.sessions)) sessions[k] = sessionJson(record.sessions[k]);
  return JSON.stringify({ sessions, version: record.version });
}

// The library's deserialize, likewise: base64-js and a copy per key become one native decode per key. The
// same object shape, field for field (session-record.js *StringToArrayBuffer); another version goes to the
// library, which migrates it. tests/crypto/session-serialize.test.ts compares the two on real records.
/** toAB: a fresh ArrayBuffer of the decoded bytes; like base64-js, a length that is not a multiple of 4 throws. */
const ab64 = (s: string): ArrayBuffer => {
  if (s.length % 4 !== 0) throw new Error('Invalid string. Length must be a multiple of 4');
  const b = Buffer.from(s, 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};
/* eslint-disable @typescript-eslint/no-explicit-any -- the library's own shapes, mirrored field by field */
function chainOf(c: any) {
  const messageKeys: Record<string, ArrayBuffer> = {};
  for (const k of Object.keys(c.messageKeys)) messageKeys[k] = ab64(c.messageKeys[k]);
  return { chainType: c.chainType, chainKey: { key: c.chainKey.key ? ab64(c.chainKey.key) : undefined, counter: c.chainKey.counter }, messageKeys };
}
function sessionOf(sess: any): SessionType {
  const { indexInfo: ii, currentRatchet: r, pendingPreKey: ppk, oldRatchetList, chains } = sess;
  const newChains: Record<string, unknown> = {};
  for (const k of Object.keys(chains)) newChains[k] = chainOf(chains[k]);
  return {
    indexInfo: { closed: ii.closed, remoteIdentityKey: ab64(ii.remoteIdentityKey), baseKey: ii.baseKey ? ab64(ii.baseKey) : undefined, baseKeyType: ii.baseKeyType },
    registrationId: sess.registrationId,
    currentRatchet: {
      rootKey: ab64(r.rootKey), ephemeralKeyPair: r.ephemeralKeyPair && { pubKey: ab64(r.ephemeralKeyPair.pubKey), privKey: ab64(r.ephemeralKeyPair.privKey) },
      lastRemoteEphemeralKey: ab64(r.lastRemoteEphemeralKey), previousCounter: r.previousCounter, added: r.added,
    },
    pendingPreKey: ppk ? { baseKey: ab64(ppk.baseKey), preKeyId: ppk.preKeyId, signedKeyId: ppk.signedKeyId } : undefined,
    oldRatchetList: oldRatchetList.map((o: any) => ({ ephemeralKey: ab64(o.ephemeralKey), added: o.added })),
    chains: newChains,
  } as SessionType;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The same record as the library's `SessionRecord.deserialize(serialized)`, faster. */
export function deserializeRecord(serialized: string): SessionRecord {
  const data = JSON.parse(serialized);
  if (data.version !== RECORD_VERSION) return SessionRecord.deserialize(serialized);
  const record = new SessionRecord();
  record.sessions = {};
  for (const k of Object.keys(data.sessions)) record.sessions[k] = sessionOf(data.sessions[k]);
  return record;
}

/** The library's own serialize (tests and the cache's `verify` mode compare against it). */
export const librarySerialize: (this: SessionRecord) => string = SessionRecord.prototype.serialize;
/** The record the library serialized last, with its string: only until the next serialize. */
let lastSerialized: { record: SessionRecord; serialized: string } | undefined;

/**
 * Every record the library serializes — the session builder's too (X3DH), whose records never pass through
 * the cache — is written by serializeRecord and remembered until the next serialize. The builder stores the
 * string right after making it (`storeSession(address, record.serialize())`), so `stored` can keep the
 * builder's object and the first encrypt after X3DH does not parse the string it was just given back.
 */
export function useFastRecordSerialize(): void {
  SessionRecord.prototype.serialize = function serialize(this: SessionRecord): string {
    const serialized = serializeRecord(this);
    lastSerialized = { record: this, serialized };
    return serialized;
  };
}

/**
 * The library's job queue keeps every job's promise in `SessionLock._promises` (and every failed job's error in
 * `SessionLock.errors`) for good — only its own tests read them. A 1,000-member group send added 1,000 promises
 * per message that were never freed, and the garbage collector walked the growing array on every major GC.
 * Called after each of our jobs; the queue itself (`jobQueue`, per address) is untouched.
 */
export function forgetSettledJobs(): void {
  SessionLock._promises.length = 0;
  SessionLock.errors.length = 0;
}

interface Entry { serialized: string; record: SessionRecord }


/**
 * haveOpenSession from a record's JSON: exactly one session with `indexInfo.closed == -1` and a numeric
 * registrationId is open, none is not. Undefined (the library decides, by parsing it in full) for another
 * version (the library migrates those), more than one open session (the library throws) or any odd shape.
 */
export function openSessionIn(serialized: string): boolean | undefined {
  let data: { version?: unknown; sessions?: Record<string, { indexInfo?: { closed?: unknown }; registrationId?: unknown } | null> };
  try { data = JSON.parse(serialized); } catch { return undefined; }
  if (data === null || typeof data !== 'object' || data.version !== RECORD_VERSION) return undefined;
  const sessions = data.sessions;
  if (sessions === null || typeof sessions !== 'object' || Array.isArray(sessions)) return undefined;
  let open: { registrationId?: unknown } | undefined;
  for (const k of Object.keys(sessions)) {
    const session = sessions[k];
    if (session === null || typeof session !== 'object' || typeof session.indexInfo !== 'object' || session.indexInfo === null) return undefined;
    // eslint-disable-next-line eqeqeq -- the library's own test (session-record.js getOpenSession)
    if (session.indexInfo.closed == -1) {
      if (open) return undefined;
      open = session;
    }
  }
  return open !== undefined && typeof open.registrationId === 'number';
}

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
    if (this.opts.verify && librarySerialize.call(e.record) !== serialized) {
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
    const record = e?.record ?? deserializeRecord(serialized);
    const slot: { record: SessionRecord; serialized?: string } = { record };
    record.serialize = () => {
      for (const s of Object.values(record.sessions)) pruneChains(s);
      const out = serializeRecord(record);
      slot.serialized = out;
      return out;
    };
    this.pending.set(address, slot);
    return record;
  }

  /**
   * SessionRecord.haveOpenSession of a stored record. A cached object answers; otherwise the JSON is read
   * without decoding a key (openSessionIn) and nothing is cached: after a worker's fan-out the main thread
   * holds none of the records it wrote, and parsing 999 of them in full only to ask this was most of a big
   * group send's main-thread time before the pool got the job. Anything unusual takes the library's path.
   */
  hasOpenSession(address: string, serialized: string | undefined): boolean {
    if (serialized === undefined) { this.forget(address); return false; }
    const e = this.map.get(address);
    if (e?.serialized === serialized) return e.record.haveOpenSession();
    return openSessionIn(serialized) ?? this.peek(address, serialized)?.haveOpenSession() ?? false;
  }

  /** A record only to read (hasSession, registration id): never changed, so it may stay cached. */
  peek(address: string, serialized: string | undefined): SessionRecord | undefined {
    if (serialized === undefined) { this.forget(address); return undefined; }
    const e = this.hit(address, serialized);
    if (e) return e.record;
    if (this.pending.has(address)) return deserializeRecord(serialized); // a job holds the cached one
    const record = deserializeRecord(serialized);
    this.remember(address, { serialized, record });
    return record;
  }

  /** After the store accepted `serialized` for `address`: keep the object it came from, if we know it. */
  stored(address: string, serialized: string): void {
    const slot = this.pending.get(address);
    this.pending.delete(address);
    const last = lastSerialized;
    lastSerialized = undefined;
    if (slot && slot.serialized === serialized) this.remember(address, { serialized, record: slot.record });
    // Not a job's record (the builder's, see useFastRecordSerialize): the object that was just serialized to it.
    else if (!slot && last?.serialized === serialized) this.remember(address, { serialized, record: last.record });
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
