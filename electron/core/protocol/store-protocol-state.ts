// The Signal protocol's state (crypto/signal.ts ProtocolState) on the SQLCipher store, with Parley's trust
// rules for identity keys: received messages are always kept (a key change is reported, never dropped);
// once a contact is verified, only the exact keys that were verified are trusted for sending.
import type { KeyPair, LocalIdentity, PeerAddress, ProtocolState } from '../../../crypto/signal.ts';
import type { LocalStore } from '../store/local-store.ts';
import { sameBytes, unb64 } from '../context.ts';

export class StoreProtocolState implements ProtocolState {
  constructor(
    private readonly store: LocalStore,
    /** A device we knew presented a different identity key (the trust layer warns and records it). */
    private readonly onIdentityChange: (peer: PeerAddress) => void,
    private readonly now: () => number,
  ) {}

  async getLocalIdentity(): Promise<LocalIdentity | undefined> {
    const id = this.store.getJson<{ publicKey: string; privateKey: string; registrationId: number }>('identity');
    return id && { keyPair: { publicKey: unb64(id.publicKey), privateKey: unb64(id.privateKey) }, registrationId: id.registrationId };
  }
  async getPreKey(keyId: number): Promise<KeyPair | undefined> { return this.store.getPreKey(keyId); }
  async removePreKey(keyId: number) { this.store.removePreKey(keyId); }
  async getSignedPreKey(keyId: number): Promise<KeyPair | undefined> { return this.store.getSignedPreKey(keyId); }
  async getSession(a: string) { return this.store.getSession(a); }
  async putSession(a: string, r: string) { this.store.putSession(a, r); }
  async removeSession(a: string) { this.store.removeSession(a); }

  async isTrustedIdentity(peer: PeerAddress, key: Uint8Array, sending: boolean): Promise<boolean> {
    if (!sending) return true; // a received message is kept and the change surfaced, never dropped
    const verified = this.store.getContact(peer.userId)?.verified;
    if (!verified) return true;
    const expected = verified.keys[String(peer.deviceId)];
    return expected !== undefined && sameBytes(unb64(expected), key);
  }

  async saveIdentity(peer: PeerAddress, key: Uint8Array): Promise<boolean> {
    const known = this.store.getPeerIdentity(peer.userId, peer.deviceId);
    if (known && sameBytes(known, key)) return false;
    this.store.putPeerIdentity(peer.userId, peer.deviceId, key, this.now());
    if (known) this.onIdentityChange(peer);
    return known !== undefined;
  }
}
