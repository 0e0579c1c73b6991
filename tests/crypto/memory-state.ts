// In-memory ProtocolState for pure protocol tests (the app's real one lives in the SQLCipher store).
import {
  createIdentity, createPreKeys, createSignedPreKey, SignalParty,
  type KeyPair, type LocalIdentity, type PeerAddress, type PeerBundle, type ProtocolState,
} from '../../crypto/signal.ts';

export class MemoryProtocolState implements ProtocolState {
  readonly sessions = new Map<string, string>();
  readonly preKeys = new Map<number, KeyPair>();
  readonly signedPreKeys = new Map<number, KeyPair>();
  readonly identities = new Map<string, Uint8Array>();
  constructor(readonly identity: LocalIdentity) {}
  async getLocalIdentity() { return this.identity; }
  async getPreKey(id: number) { return this.preKeys.get(id); }
  async removePreKey(id: number) { this.preKeys.delete(id); }
  async getSignedPreKey(id: number) { return this.signedPreKeys.get(id); }
  async getSession(k: string) { return this.sessions.get(k); }
  async putSession(k: string, r: string) { this.sessions.set(k, r); }
  async removeSession(k: string) { this.sessions.delete(k); }
  async isTrustedIdentity(peer: PeerAddress, key: Uint8Array) {
    const known = this.identities.get(`${peer.userId}/${peer.deviceId}`);
    return !known || Buffer.from(known).equals(Buffer.from(key));
  }
  async saveIdentity(peer: PeerAddress, key: Uint8Array) {
    const k = `${peer.userId}/${peer.deviceId}`;
    const changed = this.identities.has(k) && !Buffer.from(this.identities.get(k)!).equals(Buffer.from(key));
    this.identities.set(k, key);
    return changed;
  }
}

export interface TestDevice { address: PeerAddress; state: MemoryProtocolState; party: SignalParty; bundle(): PeerBundle }

export async function makeDevice(userId: string, deviceId = 1, preKeyCount = 5, partyOptions?: ConstructorParameters<typeof SignalParty>[1]): Promise<TestDevice> {
  const identity = await createIdentity();
  const state = new MemoryProtocolState(identity);
  const spk = await createSignedPreKey(identity.keyPair, 1);
  state.signedPreKeys.set(1, spk.keyPair);
  const pks = await createPreKeys(1, preKeyCount);
  for (const pk of pks) state.preKeys.set(pk.keyId, pk.keyPair);
  let next = 0;
  return {
    address: { userId, deviceId }, state, party: new SignalParty(state, partyOptions),
    bundle() {
      const pk = pks[next++];
      return {
        registrationId: identity.registrationId,
        identityKey: identity.keyPair.publicKey,
        signedPreKey: { keyId: 1, publicKey: spk.keyPair.publicKey, signature: spk.signature },
        preKey: pk ? { keyId: pk.keyId, publicKey: pk.keyPair.publicKey } : undefined,
      };
    },
  };
}
