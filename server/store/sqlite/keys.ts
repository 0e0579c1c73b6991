// Published keys: a device's identity key and signed prekey (columns of `devices`) and its one-time prekeys.
import type { BatchBundle, BundleRequest, KeyStore, KeyUpload, KeyUploadResult, StoredBundle, StoredPreKey } from '../types.ts';
import { ACTIVE } from './conditions.ts';
import { toDevice } from './devices.ts';
import { bytes, num, type Sql } from './sql.ts';

export class SqliteKeyStore implements KeyStore {
  constructor(private readonly q: Sql) {}

  #count(userId: string, deviceId: number): number {
    return num(this.q.get('SELECT count(*) AS n FROM prekeys WHERE user_id = $userId AND device_id = $deviceId', { userId, deviceId })!.n);
  }

  upload(userId: string, deviceId: number, keys: KeyUpload): Promise<KeyUploadResult> {
    return this.q.write((): KeyUploadResult => {
      const dev = this.q.get('SELECT identity_key, spk_public, state FROM devices WHERE user_id = $userId AND device_id = $deviceId', { userId, deviceId });
      // A wiped or revoked device never publishes keys again (the authenticator refuses it first; this closes the race).
      if (!dev || dev.state !== 'active') return { ok: false, reason: 'unknown_device' };
      const current = dev.identity_key == null ? null : bytes(dev.identity_key);
      // Validate everything before writing anything: a rejected upload must change nothing.
      if (!current && !keys.identityKey) return { ok: false, reason: 'identity_required' };
      if (dev.spk_public == null && !keys.signedPreKey) return { ok: false, reason: 'identity_required' };
      if (current && keys.identityKey && !Buffer.from(current).equals(keys.identityKey)) return { ok: false, reason: 'identity_key_immutable' };
      if (!current && keys.identityKey) {
        this.q.run('UPDATE devices SET identity_key = $ik WHERE user_id = $userId AND device_id = $deviceId', { ik: keys.identityKey, userId, deviceId });
      }
      if (keys.signedPreKey) {
        const spk = keys.signedPreKey;
        this.q.run(
          'UPDATE devices SET spk_id = $id, spk_public = $pub, spk_signature = $sig WHERE user_id = $userId AND device_id = $deviceId',
          { id: spk.keyId, pub: spk.publicKey, sig: spk.signature, userId, deviceId },
        );
      }
      for (const pk of keys.preKeys) {
        this.q.run(
          `INSERT INTO prekeys (user_id, device_id, key_id, public_key) VALUES ($userId, $deviceId, $keyId, $pub)
           ON CONFLICT (user_id, device_id, key_id) DO UPDATE SET public_key = excluded.public_key`,
          { userId, deviceId, keyId: pk.keyId, pub: pk.publicKey },
        );
      }
      return { ok: true, count: this.#count(userId, deviceId) };
    });
  }

  countPreKeys(userId: string, deviceId: number): Promise<number> {
    return this.q.plain(() => this.#count(userId, deviceId));
  }

  takeBundlesBatch(requests: readonly BundleRequest[]): Promise<BatchBundle[]> {
    return this.q.write(() => {
      const out: BatchBundle[] = [];
      const seen = new Set<string>(); // a device asked for twice gets one bundle (one prekey)
      for (const r of requests) {
        const wanted = r.deviceIds && new Set(r.deviceIds);
        const devices = this.q.all(`SELECT * FROM devices WHERE user_id = $userId AND ${ACTIVE} ORDER BY device_id`, { userId: r.userId })
          .map(toDevice).filter((d) => (!wanted || wanted.has(d.deviceId)) && !seen.has(`${r.userId}/${d.deviceId}`));
        for (const d of devices) {
          seen.add(`${r.userId}/${d.deviceId}`);
          const pk = r.oneTime ? this.#takePreKey(r.userId, d.deviceId) : undefined;
          out.push({
            userId: r.userId, deviceId: d.deviceId, registrationId: d.registrationId, identityKey: d.identityKey!, signedPreKey: d.signedPreKey!,
            ...(pk ? { preKey: pk, preKeysLeft: this.#count(r.userId, d.deviceId) } : {}),
          });
        }
      }
      return out;
    });
  }

  /** The device's lowest one-time prekey, deleted (inside the caller's write). */
  #takePreKey(userId: string, deviceId: number): StoredPreKey | undefined {
    const pk = this.q.get(
      `DELETE FROM prekeys WHERE rowid = (
         SELECT rowid FROM prekeys WHERE user_id = $userId AND device_id = $deviceId ORDER BY key_id LIMIT 1)
       RETURNING key_id, public_key`,
      { userId, deviceId },
    );
    return pk && { keyId: num(pk.key_id), publicKey: bytes(pk.public_key) };
  }

  takeBundles(userId: string, deviceId?: number, opts: { oneTime?: boolean } = {}): Promise<StoredBundle[]> {
    return this.q.write(() => {
      const devices = this.q.all(
        `SELECT * FROM devices WHERE user_id = $userId AND ${ACTIVE} ${deviceId === undefined ? '' : 'AND device_id = $deviceId'}
         ORDER BY device_id`,
        deviceId === undefined ? { userId } : { userId, deviceId },
      ).map(toDevice);
      return devices.map((d): StoredBundle => {
        const preKey = opts.oneTime === false ? undefined : this.#takePreKey(userId, d.deviceId);
        return {
          deviceId: d.deviceId, registrationId: d.registrationId, identityKey: d.identityKey!, signedPreKey: d.signedPreKey!,
          ...(preKey ? { preKey } : {}),
        };
      });
    });
  }
}
