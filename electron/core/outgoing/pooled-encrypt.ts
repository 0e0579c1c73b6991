// The main thread's half of a fan-out on the encrypt pool (encrypt-pool.ts): runs inside the store
// transaction the send holds (Fanout.encrypt), so no 1:1 send, incoming message or session reset can touch
// these sessions between the read for the job and the write-back. Trust stays here: a bundle's key is
// checked before dispatch and every key a worker's session holds before anything is written; one untrusted
// key fails the send and nothing of the job is kept.
import { addressKey, ProtocolError, type Ciphertext, type PeerAddress, type ProtocolState, type SignalParty } from '../../../crypto/signal.ts';
import type * as W from '../../../common/wire/schemas.ts';
import type { LocalStore } from '../store/local-store.ts';
import type { EncryptPool } from './encrypt-pool.ts';
import type { JobTarget } from './encrypt-job.ts';
import { unb64 } from '../context.ts';

export interface PoolDeps {
  store: LocalStore;
  party: SignalParty;
  protocol: ProtocolState;
  pool: EncryptPool;
  hasSession(peer: PeerAddress): Promise<boolean>;
}

/**
 * Per target (by address key): its ciphertext, or the ProtocolError in-process encrypt would have thrown.
 * Undefined when the pool could not do the job (a worker crashed, timed out or cannot start): nothing was
 * written, and the caller encrypts in-process.
 */
export async function encryptOnPool<T extends PeerAddress>(
  d: PoolDeps, targets: T[], bundles: Map<string, W.DeviceBundle>, payloadFor: (t: T) => Uint8Array, untrusted: (t: T) => Error,
): Promise<Map<string, Ciphertext | ProtocolError> | undefined> {
  const identity = await d.protocol.getLocalIdentity();
  if (!identity) throw new Error('this profile has no identity key');
  const payloads: Uint8Array[] = [];
  const payloadIndex = new Map<Uint8Array, number>();
  const job: JobTarget[] = [];
  for (const t of targets) {
    const key = addressKey(t);
    const bytes = payloadFor(t);
    let payload = payloadIndex.get(bytes);
    if (payload === undefined) { payload = payloads.push(bytes) - 1; payloadIndex.set(bytes, payload); }
    // As in-process: a fetched bundle starts a session unless another send started one meanwhile.
    const bundle = bundles.get(key);
    const entry: JobTarget = { userId: t.userId, deviceId: t.deviceId, payload };
    if (bundle && !(await d.hasSession(t))) {
      if (!(await d.protocol.isTrustedIdentity(t, unb64(bundle.identityKey), true))) throw untrusted(t);
      entry.bundle = bundle;
    } else {
      const record = await d.protocol.getSession(key);
      if (record !== undefined) entry.record = record;
    }
    const known = d.store.getPeerIdentity(t.userId, t.deviceId);
    if (known) entry.known = known;
    job.push(entry);
  }
  let results;
  try {
    results = await d.pool.run({ identity, payloads, targets: job });
  } catch {
    return undefined;
  }
  if (results.length !== targets.length) return undefined;
  // Every key a session now holds is asked about before the first write.
  for (const [i, r] of results.entries()) {
    if (r.identityKey && !(await d.protocol.isTrustedIdentity(targets[i]!, r.identityKey, true))) throw untrusted(targets[i]!);
  }
  const out = new Map<string, Ciphertext | ProtocolError>();
  for (const [i, r] of results.entries()) {
    const t = targets[i]!;
    const key = addressKey(t);
    if (r.identityKey) await d.protocol.saveIdentity(t, r.identityKey);
    if (r.record !== undefined) {
      await d.protocol.putSession(key, r.record);
      d.party.forgetRecord(t); // its cached object is the record from before the job
    }
    if (r.ciphertext) out.set(key, r.ciphertext);
    else out.set(key, new ProtocolError(r.error?.kind ?? 'invalid-message', r.error?.message ?? 'encrypt worker gave no result'));
  }
  return out;
}
