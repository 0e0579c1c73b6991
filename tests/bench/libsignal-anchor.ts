// Anchor for the protocol section: the same work done by @signalapp/libsignal-client (Signal's own Rust
// library, a dev dependency only): in-memory stores that keep session records SERIALIZED, as Parley's
// store keeps strings, so every message deserializes and re-serializes its record like Parley's path.
// Sessions start with PQXDH (libsignal-client requires a Kyber prekey), one-time prekey included.
import {
  CiphertextMessageType, Direction, Fingerprint, IdentityChange, IdentityKeyStore, KEMKeyPair, KyberPreKeyRecord,
  KyberPreKeyStore, PreKeyBundle, PreKeyRecord, PreKeySignalMessage, PreKeyStore, PrivateKey, ProtocolAddress,
  PublicKey, SessionRecord, SessionStore, SignalMessage, SignedPreKeyRecord, SignedPreKeyStore,
  processPreKeyBundle, signalDecrypt, signalDecryptPreKey, signalEncrypt,
} from '@signalapp/libsignal-client';

class Sessions extends SessionStore {
  readonly map = new Map<string, Uint8Array<ArrayBuffer>>();
  async saveSession(name: ProtocolAddress, record: SessionRecord) { this.map.set(name.toString(), record.serialize()); }
  async getSession(name: ProtocolAddress) {
    const b = this.map.get(name.toString());
    return b ? SessionRecord.deserialize(b) : null;
  }
  async getExistingSessions(addresses: ProtocolAddress[]) {
    return Promise.all(addresses.map(async (a) => {
      const s = await this.getSession(a);
      if (!s) throw new Error(`no session for ${a.toString()}`);
      return s;
    }));
  }
}

class Identities extends IdentityKeyStore {
  readonly known = new Map<string, PublicKey>();
  constructor(private readonly key: PrivateKey, private readonly registrationId: number) { super(); }
  async getIdentityKey() { return this.key; }
  async getLocalRegistrationId() { return this.registrationId; }
  async saveIdentity(name: ProtocolAddress, key: PublicKey) {
    const had = this.known.get(name.toString());
    this.known.set(name.toString(), key);
    return had && !had.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, _direction: Direction) {
    const had = this.known.get(name.toString());
    return !had || had.equals(key);
  }
  async getIdentity(name: ProtocolAddress) { return this.known.get(name.toString()) ?? null; }
}

class PreKeys extends PreKeyStore {
  readonly map = new Map<number, Uint8Array<ArrayBuffer>>();
  async savePreKey(id: number, r: PreKeyRecord) { this.map.set(id, r.serialize()); }
  async getPreKey(id: number) { return PreKeyRecord.deserialize(this.map.get(id)!); }
  async removePreKey(id: number) { this.map.delete(id); }
}
class SignedPreKeys extends SignedPreKeyStore {
  readonly map = new Map<number, Uint8Array<ArrayBuffer>>();
  async saveSignedPreKey(id: number, r: SignedPreKeyRecord) { this.map.set(id, r.serialize()); }
  async getSignedPreKey(id: number) { return SignedPreKeyRecord.deserialize(this.map.get(id)!); }
}
class KyberPreKeys extends KyberPreKeyStore {
  readonly map = new Map<number, Uint8Array<ArrayBuffer>>();
  async saveKyberPreKey(id: number, r: KyberPreKeyRecord) { this.map.set(id, r.serialize()); }
  async getKyberPreKey(id: number) { return KyberPreKeyRecord.deserialize(this.map.get(id)!); }
  async markKyberPreKeyUsed() {}
}

export class LibsignalDevice {
  readonly address: ProtocolAddress;
  readonly identityKey = PrivateKey.generate();
  readonly registrationId = 1 + Math.floor(Math.random() * 16000);
  readonly sessions = new Sessions();
  readonly identities = new Identities(this.identityKey, this.registrationId);
  readonly preKeys = new PreKeys();
  readonly signedPreKeys = new SignedPreKeys();
  readonly kyberPreKeys = new KyberPreKeys();
  #bundle!: PreKeyBundle;

  private constructor(name: string) {
    this.address = ProtocolAddress.new(name, 1);
  }

  /** A device with its identity, a signed prekey, a Kyber prekey and one one-time prekey (key generation). */
  static async create(name: string): Promise<LibsignalDevice> {
    const d = new LibsignalDevice(name);
    const spk = PrivateKey.generate();
    const spkSig = d.identityKey.sign(spk.getPublicKey().serialize());
    await d.signedPreKeys.saveSignedPreKey(1, SignedPreKeyRecord.new(1, Date.now(), spk.getPublicKey(), spk, spkSig));
    const kyber = KEMKeyPair.generate();
    const kyberSig = d.identityKey.sign(kyber.getPublicKey().serialize());
    await d.kyberPreKeys.saveKyberPreKey(1, KyberPreKeyRecord.new(1, Date.now(), kyber, kyberSig));
    const pk = PrivateKey.generate();
    await d.preKeys.savePreKey(1, PreKeyRecord.new(1, pk.getPublicKey(), pk));
    d.#bundle = PreKeyBundle.new(d.registrationId, 1, 1, pk.getPublicKey(), 1, spk.getPublicKey(), spkSig,
      d.identityKey.getPublicKey(), 1, kyber.getPublicKey(), kyberSig);
    return d;
  }

  bundle(): PreKeyBundle { return this.#bundle; }

  async startSession(peer: LibsignalDevice): Promise<void> {
    await processPreKeyBundle(peer.bundle(), peer.address, this.address, this.sessions, this.identities);
  }

  /** Encrypts to `peer`: the wire bytes and whether it is a PreKey message. */
  async encrypt(peer: LibsignalDevice, plaintext: Uint8Array<ArrayBuffer>): Promise<{ type: number; body: Uint8Array<ArrayBuffer> }> {
    const ct = await signalEncrypt(plaintext, peer.address, this.address, this.sessions, this.identities);
    return { type: ct.type(), body: ct.serialize() };
  }

  /** Decrypts bytes from `peer` (parsing them is part of the work, as in Parley's decrypt). */
  async decrypt(peer: LibsignalDevice, type: number, body: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    if (type === CiphertextMessageType.PreKey) {
      return signalDecryptPreKey(PreKeySignalMessage.deserialize(body), peer.address, this.address, this.sessions, this.identities,
        this.preKeys, this.signedPreKeys, this.kyberPreKeys);
    }
    return signalDecrypt(SignalMessage.deserialize(body), peer.address, this.address, this.sessions, this.identities);
  }
}

export const WHISPER = CiphertextMessageType.Whisper;
export const PREKEY = CiphertextMessageType.PreKey;

/** libsignal-client's 60-digit safety number for two single keys (same iterations as Parley). */
export function libsignalSafetyNumber(iterations: number, localId: string, localKey: Uint8Array<ArrayBuffer>, remoteId: string, remoteKey: Uint8Array<ArrayBuffer>): string {
  const enc = (s: string) => new Uint8Array(Buffer.from(s));
  return Fingerprint.new(iterations, 1, enc(localId), PublicKey.deserialize(localKey), enc(remoteId), PublicKey.deserialize(remoteKey))
    .displayableFingerprint().toString();
}
