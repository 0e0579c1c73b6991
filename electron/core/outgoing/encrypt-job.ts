// The messages between the client core and its encrypt workers (outgoing/encrypt-pool.ts ↔ encrypt-worker.ts),
// and the work itself: the same crypto/signal.ts code as in-process, on an in-memory ProtocolState that holds
// exactly what the main thread read for the job. The worker decides nothing about trust: it trusts every key
// and reports the key each session holds; the main thread checks them before it writes anything back.
import { addressKey, ProtocolError, SignalParty, type CiphertextType, type LocalIdentity, type PeerAddress, type ProtocolErrorKind, type ProtocolState } from '../../../crypto/signal.ts';
import type * as W from '../../../common/wire/schemas.ts';

export interface JobTarget extends PeerAddress {
  /** Index into EncryptJob.payloads. */
  payload: number;
  /** The stored session record (absent: none, or `bundle` replaces it). */
  record?: string;
  /** A fetched key bundle: X3DH first. */
  bundle?: W.DeviceBundle;
  /** The identity key on record for this device, if any. */
  known?: Uint8Array;
}

export interface EncryptJob {
  identity: LocalIdentity;
  payloads: Uint8Array[];
  targets: JobTarget[];
}

export interface TargetResult {
  ciphertext?: { type: CiphertextType; body: Uint8Array; registrationId: number };
  error?: { kind: ProtocolErrorKind; message: string };
  /** The session record after the job, when it changed (written back by the main thread). */
  record?: string;
  /** The identity key the session holds (what the library would have saved). */
  identityKey?: Uint8Array;
}

export type ToWorker = { id: number; job: EncryptJob };
export type FromWorker = { ready: true } | { id: number; results: TargetResult[] } | { id: number; failed: string };

const u8 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** A ProtocolState in memory, for one job: no prekeys of ours are needed to encrypt. */
class JobState implements ProtocolState {
  readonly sessions = new Map<string, string>();
  readonly identities = new Map<string, Uint8Array>();
  constructor(private readonly identity: () => LocalIdentity | undefined) {}
  async getLocalIdentity() { return this.identity(); }
  async getPreKey() { return undefined; }
  async removePreKey() {}
  async getSignedPreKey() { return undefined; }
  async getSession(a: string) { return this.sessions.get(a); }
  async putSession(a: string, r: string) { this.sessions.set(a, r); }
  async removeSession(a: string) { this.sessions.delete(a); }
  async isTrustedIdentity() { return true; } // decided by the main thread, on what is reported back
  async saveIdentity(peer: PeerAddress, key: Uint8Array) {
    const a = addressKey(peer);
    const known = this.identities.get(a);
    this.identities.set(a, key);
    return known !== undefined && !Buffer.from(known).equals(Buffer.from(key));
  }
}

/**
 * Runs jobs in one worker: per target X3DH if a bundle came, then encrypt; a ProtocolError is that target's
 * result. The deserialized records stay cached between jobs (the pool sends a device to the same worker each
 * time), used only when the record sent is exactly the string they stand for (crypto/session-records.ts), so
 * the job's input stays the only truth.
 */
export class EncryptJobRunner {
  private identity: LocalIdentity | undefined;
  private readonly state = new JobState(() => this.identity);
  private readonly party = new SignalParty(this.state, { sessionCache: { max: 4096 } });

  async run(job: EncryptJob): Promise<TargetResult[]> {
    this.identity = job.identity;
    const { state, party } = this;
    const out: TargetResult[] = [];
    try {
      for (const t of job.targets) {
        const peer = { userId: t.userId, deviceId: t.deviceId };
        const key = addressKey(peer);
        if (t.record !== undefined) state.sessions.set(key, t.record);
        if (t.known) state.identities.set(key, t.known);
        const r: TargetResult = {};
        try {
          if (t.bundle) {
            const b = t.bundle;
            await party.startSession(peer, {
              registrationId: b.registrationId, identityKey: u8(b.identityKey),
              signedPreKey: { keyId: b.signedPreKey.keyId, publicKey: u8(b.signedPreKey.publicKey), signature: u8(b.signedPreKey.signature) },
              preKey: b.preKey && { keyId: b.preKey.keyId, publicKey: u8(b.preKey.publicKey) },
            });
          }
          r.ciphertext = await party.encrypt(peer, job.payloads[t.payload]!);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          r.error = { kind: err.kind, message: err.message };
        }
        const record = state.sessions.get(key);
        if (record !== undefined && record !== t.record) r.record = record;
        // The library saves the session's identity key on every encrypt: reported only when it is not the one on record.
        const seen = state.identities.get(key);
        if (seen && !(t.known && Buffer.from(seen.buffer, seen.byteOffset, seen.byteLength).equals(t.known))) r.identityKey = seen;
        out.push(r);
        // Nothing of one device's state is kept in the state for the next (only the cache, checked against the input).
        state.sessions.delete(key);
        state.identities.delete(key);
      }
      return out;
    } finally {
      state.sessions.clear();
      state.identities.clear();
    }
  }
}
