// The main thread's half of a fan-out on the encrypt pool (encrypt-pool.ts): runs inside the store
// transaction the send holds (Fanout.encrypt), so no 1:1 send, incoming message or session reset can touch
// these sessions between the read for the job and the write-back. Trust stays here: a bundle's key is
// checked before dispatch and every key a worker's session holds before its piece is written; one untrusted
// key fails the send, and the transaction's rollback keeps nothing of it.
import { addressKey, ProtocolError, type Ciphertext, type PeerAddress, type ProtocolState, type SignalParty } from '../../../crypto/signal.ts';
import type * as W from '../../../common/wire/schemas.ts';
import type { LocalStore } from '../store/local-store.ts';
import type { EncryptPool } from './encrypt-pool.ts';
import type { EncryptJob, JobTarget, TargetResult } from './encrypt-job.ts';
import { unb64 } from '../context.ts';

export interface PoolDeps {
  store: LocalStore;
  party: SignalParty;
  protocol: ProtocolState;
  pool: EncryptPool;
  hasSession(peer: PeerAddress): Promise<boolean>;
}

/**
 * The fan-out goes to the workers in pieces (EncryptPool.piece devices each) so the main thread's share overlaps
 * theirs: while they encrypt one piece it reads the next piece's records, and it checks and writes a piece's
 * results while they encrypt later ones (as one job, reads, encrypts and writes took turns: a 1,000-device steady
 * send spent about half its time with the workers or the main thread waiting).
 *
 * Per target (by address key): its ciphertext, or the ProtocolError in-process encrypt would have thrown.
 * Undefined when the pool could not do the job (a worker crashed, timed out or cannot start): nothing was
 * written, and the caller encrypts in-process. A target missing from the map (its piece's worker failed after
 * earlier pieces were done) is encrypted in-process too.
 *
 * Writes: a piece's session records are written as soon as all of its keys were asked about; an untrusted key in
 * a later piece throws, and the caller's store transaction (LocalStore.exclusive) rolls the earlier writes back.
 * Identity keys are saved only once every piece was checked (saving one may report a key change).
 */
export async function encryptOnPool<T extends PeerAddress>(
  d: PoolDeps, targets: T[], bundles: Map<string, W.DeviceBundle>, payloadFor: (t: T) => Uint8Array, untrusted: (t: T) => Error,
): Promise<Map<string, Ciphertext | ProtocolError> | undefined> {
  const identity = await d.protocol.getLocalIdentity();
  if (!identity) throw new Error('this profile has no identity key');
  const pieces: T[][] = [];
  for (let i = 0; i < targets.length; i += d.pool.piece) pieces.push(targets.slice(i, i + d.pool.piece));
  // Each piece is handed to the workers as soon as its records are read; the first failure stops further pieces.
  let failed = false;
  const running: Promise<TargetResult[] | undefined>[] = [];
  for (const piece of pieces) {
    const job = await jobFor(d, identity, piece, bundles, payloadFor, untrusted);
    if (failed) break;
    running.push(d.pool.run(job).then(
      (results) => (results.length === piece.length ? results : undefined),
      () => undefined,
    ).then((r) => { if (!r) failed = true; return r; }));
  }
  const out = new Map<string, Ciphertext | ProtocolError>();
  const identities: [T, Uint8Array][] = [];
  for (const [k, pending] of running.entries()) {
    const results = await pending;
    if (!results) break; // this piece and the later ones: in-process
    const piece = pieces[k]!;
    // Every key a piece's sessions now hold is asked about before that piece is written.
    for (const [i, r] of results.entries()) {
      if (r.identityKey && !(await d.protocol.isTrustedIdentity(piece[i]!, r.identityKey, true))) throw untrusted(piece[i]!);
    }
    for (const [i, r] of results.entries()) {
      const t = piece[i]!;
      const key = addressKey(t);
      if (r.identityKey) identities.push([t, r.identityKey]);
      if (r.record !== undefined) {
        await d.protocol.putSession(key, r.record);
        d.party.forgetRecord(t); // its cached object is the record from before the job
      }
      if (r.ciphertext) out.set(key, r.ciphertext);
      else out.set(key, new ProtocolError(r.error?.kind ?? 'invalid-message', r.error?.message ?? 'encrypt worker gave no result'));
    }
  }
  // The pieces after a failed one may still be running: wait for them, so no worker answers into a later send.
  await Promise.all(running);
  for (const [t, key] of identities) await d.protocol.saveIdentity(t, key);
  return out.size === 0 ? undefined : out;
}

/** One piece's job: its payloads, and per target the bundle to start from or the record to continue. */
async function jobFor<T extends PeerAddress>(
  d: PoolDeps, identity: EncryptJob['identity'], piece: T[], bundles: Map<string, W.DeviceBundle>, payloadFor: (t: T) => Uint8Array, untrusted: (t: T) => Error,
): Promise<EncryptJob> {
  const payloads: Uint8Array[] = [];
  const payloadIndex = new Map<Uint8Array, number>();
  const job: JobTarget[] = [];
  for (const t of piece) {
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
  return { identity, payloads, targets: job };
}
