// A small interface over @privacyresearch/libsignal-protocol-typescript (X3DH + Double Ratchet).
// Pure TypeScript, no I/O: every piece of state goes through the ProtocolState interface, which the
// client implements on its SQLCipher store. (Never the unscoped `libsignal-protocol-typescript`:
// its MAC check is commented out.)
import {
  Direction,
  KeyHelper,
  SessionBuilder,
  SignalProtocolAddress,
  type KeyPairType,
  type StorageType,
} from '@privacyresearch/libsignal-protocol-typescript';
import { Buffer } from 'node:buffer';
import { randomInt } from 'node:crypto';
import { fingerprintDigits } from './fingerprint.ts';
import { useNativePrimitives } from './native.ts';
import { CachingSessionCipher, forgetSettledJobs, SessionRecordCache, useFastRecordSerialize, type SessionCacheOptions } from './session-records.ts';

// Native X25519/XEdDSA/HMAC/AES/SHA-512 and a faster record serializer under the library for everyone who loads this module.
useNativePrimitives(); useFastRecordSerialize();

export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export interface LocalIdentity {
  keyPair: KeyPair;
  registrationId: number;
}

/** A remote device: the server's user id plus its per-user device number. */
export interface PeerAddress {
  userId: string;
  deviceId: number;
}

export interface PeerBundle {
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
  preKey?: { keyId: number; publicKey: Uint8Array } | undefined;
}

export interface SignedPreKeyRecord {
  keyId: number;
  keyPair: KeyPair;
  signature: Uint8Array;
}

export interface PreKeyRecord {
  keyId: number;
  keyPair: KeyPair;
}

/**
 * Persistence for the protocol. `addressKey` is an opaque stable string per remote device.
 * Trust decisions belong to the caller: `isTrustedIdentity` is asked before encrypting to a
 * device whose stored identity key differs from the session's, and `saveIdentity` reports
 * whether a different key was already on record (a safety-number change).
 */
export interface ProtocolState {
  getLocalIdentity(): Promise<LocalIdentity | undefined>;
  getPreKey(keyId: number): Promise<KeyPair | undefined>;
  removePreKey(keyId: number): Promise<void>;
  getSignedPreKey(keyId: number): Promise<KeyPair | undefined>;
  getSession(addressKey: string): Promise<string | undefined>;
  putSession(addressKey: string, record: string): Promise<void>;
  removeSession(addressKey: string): Promise<void>;
  isTrustedIdentity(peer: PeerAddress, identityKey: Uint8Array, sending: boolean): Promise<boolean>;
  saveIdentity(peer: PeerAddress, identityKey: Uint8Array): Promise<boolean>;
}

export type ProtocolErrorKind =
  | 'bad-mac' // tampered or corrupted ciphertext
  | 'duplicate' // replayed or already-decrypted message
  | 'no-session'
  | 'untrusted-identity'
  | 'invalid-message';

export class ProtocolError extends Error {
  constructor(readonly kind: ProtocolErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
  }
}

const CURRENT_VERSION_BYTE = 0x33;
/** Registration ids are 1…16380, as in libsignal. */
export const REGISTRATION_ID_MAX = 16380;

export const MessageType = { Whisper: 1, PreKeyWhisper: 3 } as const;
export type CiphertextType = (typeof MessageType)[keyof typeof MessageType];

export interface Ciphertext {
  type: CiphertextType;
  body: Uint8Array;
  /** The recipient device's registration id as the session knows it (the server checks it). */
  registrationId: number;
}

// The library addresses devices as `name.deviceId` but asks trust questions by `name` alone; putting the
// device into the name keeps per-device identity keys apart (each Parley device has its own key).
const libAddress = (peer: PeerAddress) => new SignalProtocolAddress(`${peer.userId}/${peer.deviceId}`, peer.deviceId);
const parseLibName = (name: string): PeerAddress => {
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  const userId = name.slice(0, slash);
  const deviceId = Number.parseInt(name.slice(slash + 1, dot > slash ? dot : undefined), 10);
  return { userId, deviceId };
};
export const addressKey = (peer: PeerAddress) => libAddress(peer).toString();

const toAB = (u: Uint8Array): ArrayBuffer => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
const toU8 = (ab: ArrayBuffer): Uint8Array => new Uint8Array(ab.slice(0));
const fromLibPair = (kp: KeyPairType): KeyPair => ({ publicKey: toU8(kp.pubKey), privateKey: toU8(kp.privKey) });
const toLibPair = (kp: KeyPair): KeyPairType => ({ pubKey: toAB(kp.publicKey), privKey: toAB(kp.privateKey) });
// The library's message bodies are binary strings (one char per byte): latin1 is exactly that.
const binaryString = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('latin1');
const fromBinaryString = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

/** Adapts our byte-array state interface to the library's ArrayBuffer StorageType. */
class LibraryStorage implements StorageType {
  constructor(private readonly state: ProtocolState, private readonly cache: SessionRecordCache) {}
  /**
   * The library asks for our identity two or three times per message. One read of the store serves every
   * ask of the same turn of the event loop (a group send encrypts for all its devices in one turn); the
   * next turn reads again, so the store stays the truth.
   */
  #identity: Promise<{ pair: KeyPairType; registrationId: number } | undefined> | undefined;
  private localIdentity() {
    if (!this.#identity) {
      this.#identity = this.state.getLocalIdentity().then((id) => id && { pair: toLibPair(id.keyPair), registrationId: id.registrationId });
      this.#identity.catch(() => undefined);
      setImmediate(() => { this.#identity = undefined; });
    }
    return this.#identity;
  }
  async getIdentityKeyPair() {
    const id = await this.localIdentity();
    // A copy each time: the library may keep or slice it.
    return id ? { pubKey: id.pair.pubKey.slice(0), privKey: id.pair.privKey.slice(0) } : undefined;
  }
  async getLocalRegistrationId() {
    return (await this.localIdentity())?.registrationId;
  }
  async isTrustedIdentity(identifier: string, identityKey: ArrayBuffer, direction: Direction) {
    return this.state.isTrustedIdentity(parseLibName(identifier), toU8(identityKey), direction === Direction.SENDING);
  }
  async saveIdentity(encodedAddress: string, publicKey: ArrayBuffer) {
    return this.state.saveIdentity(parseLibName(encodedAddress), toU8(publicKey));
  }
  async loadPreKey(keyId: string | number) {
    const kp = await this.state.getPreKey(Number(keyId));
    return kp ? toLibPair(kp) : undefined;
  }
  async storePreKey(): Promise<void> {
    throw new Error('prekeys are stored by the client, not by the protocol library');
  }
  async removePreKey(keyId: string | number) {
    await this.state.removePreKey(Number(keyId));
  }
  async loadSignedPreKey(keyId: string | number) {
    const kp = await this.state.getSignedPreKey(Number(keyId));
    return kp ? toLibPair(kp) : undefined;
  }
  async storeSignedPreKey(): Promise<void> {
    throw new Error('signed prekeys are stored by the client, not by the protocol library');
  }
  async removeSignedPreKey(): Promise<void> {}
  async storeSession(encodedAddress: string, record: string) {
    await this.state.putSession(encodedAddress, record);
    this.cache.stored(encodedAddress, record);
  }
  async loadSession(encodedAddress: string) {
    return this.state.getSession(encodedAddress);
  }
}

export async function createIdentity(): Promise<LocalIdentity> {
  const kp = await KeyHelper.generateIdentityKeyPair();
  // Not KeyHelper.generateRegistrationId(): it masks two random bytes to 0…16383, but a registration id is
  // 1…16380 (libsignal's range, and the wire schema's), so about one identity in 4,000 was refused.
  return { keyPair: fromLibPair(kp), registrationId: randomInt(1, REGISTRATION_ID_MAX + 1) };
}

export async function createSignedPreKey(identity: KeyPair, keyId: number): Promise<SignedPreKeyRecord> {
  const spk = await KeyHelper.generateSignedPreKey(toLibPair(identity), keyId);
  return { keyId, keyPair: fromLibPair(spk.keyPair), signature: toU8(spk.signature) };
}

export async function createPreKeys(firstKeyId: number, count: number): Promise<PreKeyRecord[]> {
  const out: PreKeyRecord[] = [];
  for (let i = 0; i < count; i++) {
    const keyId = (firstKeyId + i) % 0xffffff || 1;
    const pk = await KeyHelper.generatePreKey(keyId);
    out.push({ keyId, keyPair: fromLibPair(pk.keyPair) });
  }
  return out;
}

function classify(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/Bad MAC/i.test(msg)) return new ProtocolError('bad-mac', 'message authentication failed (tampered or corrupted)', { cause: err });
  if (/counter was repeated|Message key not found/i.test(msg)) return new ProtocolError('duplicate', 'message was already decrypted (duplicate or replay)', { cause: err });
  if (/Identity key changed|Unknown identity key/i.test(msg)) return new ProtocolError('untrusted-identity', 'the peer identity key changed and is not trusted', { cause: err });
  if (/No record|No session|unable to find session/i.test(msg)) return new ProtocolError('no-session', 'no session with this device', { cause: err });
  return new ProtocolError('invalid-message', `cannot process message: ${msg}`, { cause: err });
}

/** One local device's view of the protocol: sessions with remote devices. */
export class SignalParty {
  private readonly storage: LibraryStorage;
  /** Per remote device, the tail of its session jobs (decryptWhisper works outside the library's queue). */
  private readonly jobs = new Map<string, Promise<unknown>>();
  private readonly records: SessionRecordCache;
  /** `sessionCache.max`: deserialized session records kept in memory (default 2,048 remote devices). */
  constructor(private readonly state: ProtocolState, opts: { sessionCache?: SessionCacheOptions } = {}) {
    this.records = new SessionRecordCache(opts.sessionCache ?? { max: 2048 });
    this.storage = new LibraryStorage(state, this.records);
  }

  /** Cache counters, for the benchmark. */
  get sessionCacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.records.hits, misses: this.records.misses, size: this.records.size };
  }

  private cipher(peer: PeerAddress): CachingSessionCipher {
    return new CachingSessionCipher(this.storage, libAddress(peer), this.records);
  }

  /** A record to read only (never handed to the library, which would change it). */
  private async readRecord(peer: PeerAddress) {
    const key = addressKey(peer);
    return this.records.peek(key, await this.state.getSession(key));
  }

  /** Runs session jobs for one remote device one after another, as the library's own job queue does. */
  private serialized<T>(peer: PeerAddress, job: () => Promise<T>): Promise<T> {
    const key = addressKey(peer);
    const guarded = () => job().finally(() => { this.records.release(key); forgetSettledJobs(); });
    const run = (this.jobs.get(key) ?? Promise.resolve()).then(guarded, guarded);
    const tail = run.catch(() => undefined);
    this.jobs.set(key, tail);
    void tail.then(() => { if (this.jobs.get(key) === tail) this.jobs.delete(key); });
    return run;
  }

  /** X3DH from a fetched prekey bundle; replaces any previous session with that device. */
  async startSession(peer: PeerAddress, bundle: PeerBundle): Promise<void> {
    return this.serialized(peer, () => this.startSessionNow(peer, bundle));
  }

  private async startSessionNow(peer: PeerAddress, bundle: PeerBundle): Promise<void> {
    const builder = new SessionBuilder(this.storage, libAddress(peer));
    try {
      await builder.processPreKey({
        registrationId: bundle.registrationId,
        identityKey: toAB(bundle.identityKey),
        signedPreKey: {
          keyId: bundle.signedPreKey.keyId,
          publicKey: toAB(bundle.signedPreKey.publicKey),
          signature: toAB(bundle.signedPreKey.signature),
        },
        preKey: bundle.preKey ? { keyId: bundle.preKey.keyId, publicKey: toAB(bundle.preKey.publicKey) } : undefined,
      });
    } catch (err) {
      throw classify(err);
    }
  }

  async hasSession(peer: PeerAddress): Promise<boolean> {
    const key = addressKey(peer);
    return this.serialized(peer, async () => this.records.hasOpenSession(key, await this.state.getSession(key)));
  }

  async sessionRegistrationId(peer: PeerAddress): Promise<number | undefined> {
    return this.serialized(peer, async () => {
      const record = await this.readRecord(peer);
      return record?.haveOpenSession() ? record.getOpenSession()?.registrationId : undefined;
    });
  }

  async deleteSession(peer: PeerAddress): Promise<void> {
    await this.serialized(peer, async () => { this.records.forget(addressKey(peer)); await this.state.removeSession(addressKey(peer)); });
  }

  /** The record was written past this party (an encrypt worker's, electron/core/outgoing/): drop the cached object. */
  forgetRecord(peer: PeerAddress): void { this.records.forget(addressKey(peer)); }

  async encrypt(peer: PeerAddress, plaintext: Uint8Array): Promise<Ciphertext> {
    return this.serialized(peer, () => this.encryptNow(peer, plaintext));
  }

  private async encryptNow(peer: PeerAddress, plaintext: Uint8Array): Promise<Ciphertext> {
    try {
      const out = await this.cipher(peer).encrypt(toAB(plaintext));
      if (out.body === undefined) throw new Error('library returned no ciphertext');
      return { type: out.type === 3 ? 3 : 1, body: fromBinaryString(out.body), registrationId: out.registrationId ?? 0 };
    } catch (err) {
      throw classify(err);
    }
  }

  async decrypt(peer: PeerAddress, type: CiphertextType, body: Uint8Array): Promise<Uint8Array> {
    // The library accepts any version byte with major 3 but MACs a constant 0x33; only 0x33 is genuine.
    if (body[0] !== CURRENT_VERSION_BYTE) throw new ProtocolError('invalid-message', 'unsupported message version');
    return this.serialized(peer, () => this.decryptNow(peer, type, body));
  }

  private async decryptNow(peer: PeerAddress, type: CiphertextType, body: Uint8Array): Promise<Uint8Array> {
    const cipher = this.cipher(peer);
    try {
      const plain = type === MessageType.PreKeyWhisper
        ? await cipher.decryptPreKeyWhisperMessage(binaryString(body), 'binary')
        : await this.decryptWhisper(cipher, toAB(body));
      return toU8(plain);
    } catch (err) {
      throw classify(err);
    }
  }

  /**
   * The library's `decryptWhisperMessage`, but every session of the record is tried on its own fresh copy.
   * The library tries the open session and then the archived ones on the record's own objects: a failed
   * try still steps that session's ratchet (new root key, new ephemeral key, sending chain dropped), and
   * when a later session succeeds the whole record is stored, the broken session with it. After a
   * simultaneous start (both sides initiated, so each holds two sessions) a message on the other session
   * thus silently destroyed the open one, and every later message on it failed with "Bad MAC" for good.
   * libsignal clones each session state before a try; so do we.
   */
  private async decryptWhisper(cipher: CachingSessionCipher, buffer: ArrayBuffer): Promise<ArrayBuffer> {
    const address = cipher.remoteAddress.toString();
    const load = async () => {
      const record = await cipher.getRecord(address);
      if (!record) throw new Error(`No record for device ${address}`);
      return record;
    };
    // getSessions(): archived ones by time closed, then the open one; like the library, try from the end.
    // The first try uses the record as loaded; each later one a fresh copy.
    let fresh: Awaited<ReturnType<typeof load>> | undefined = await load();
    const count = fresh.getSessions().length;
    const errors: unknown[] = [];
    for (let i = count - 1; i >= 0; i--) {
      const record = fresh ?? await load();
      fresh = undefined;
      const session = record.getSessions()[i]!;
      let plaintext: ArrayBuffer;
      try {
        plaintext = await cipher.doDecryptWhisperMessage(buffer, session);
      } catch (err) {
        if (err instanceof Error && err.name === 'MessageCounterError') throw err;
        errors.push(err);
        continue;
      }
      if (session !== record.getOpenSession()) {
        record.archiveCurrentState();
        record.promoteState(session);
      }
      const identityKey = session.indexInfo.remoteIdentityKey;
      if (!(await this.storage.isTrustedIdentity(cipher.remoteAddress.getName(), identityKey, Direction.RECEIVING))) {
        throw new Error('Identity key changed');
      }
      await this.storage.saveIdentity(address, identityKey);
      record.updateSessionState(session);
      await this.storage.storeSession(address, record.serialize());
      return plaintext;
    }
    throw errors[0] ?? new Error(`No session for device ${address}`);
  }
}

const FINGERPRINT_ITERATIONS = 5200;
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Canonical identity of a user for safety numbers: the sorted identity keys of all their devices. */
function combinedKey(keys: Uint8Array[]): Uint8Array {
  const sorted = [...keys].sort(compareBytes);
  const total = sorted.reduce((n, k) => n + k.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const k of sorted) { out.set(k, o); o += k.length; }
  return out;
}

/**
 * Signal's 60-digit numeric fingerprint for two identities, in 12 groups of five.
 * Both sides compute the same number; it changes whenever either side's key set changes.
 */
export async function safetyNumber(
  localUserId: string, localKeys: Uint8Array[], remoteUserId: string, remoteKeys: Uint8Array[],
): Promise<string> {
  if (localKeys.length === 0 || remoteKeys.length === 0) throw new ProtocolError('invalid-message', 'safety number needs at least one identity key per side');
  const digits = fingerprintDigits(localUserId, combinedKey(localKeys), remoteUserId, combinedKey(remoteKeys), FINGERPRINT_ITERATIONS);
  return digits.match(/.{5}/g)!.join(' ');
}
