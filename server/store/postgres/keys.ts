// Published keys: a device's identity key and signed prekey (columns of `devices`) and its one-time prekeys.
import type { BatchBundle, BundleRequest, KeyStore, KeyUpload, KeyUploadResult, StoredBundle, StoredPreKey } from '../types.ts';
import { ACTIVE } from './conditions.ts';
import { toDevice } from './devices.ts';
import { bytes, num, type Pg } from './sql.ts';

export class PgKeyStore implements KeyStore {
  constructor(private readonly q: Pg) {}

  async #count(userId: string, deviceId: number): Promise<number> {
    return num((await this.q.row('SELECT count(*) AS n FROM prekeys WHERE user_id = $1 AND device_id = $2', [userId, deviceId]))!.n);
  }

  upload(userId: string, deviceId: number, keys: KeyUpload): Promise<KeyUploadResult> {
    return this.q.write(async (): Promise<KeyUploadResult> => {
      // The device row is locked: a wipe or revocation waits for this upload, or this upload sees it.
      const dev = await this.q.row(
        'SELECT identity_key, spk_public, state FROM devices WHERE user_id = $1 AND device_id = $2 FOR NO KEY UPDATE', [userId, deviceId]);
      // A wiped or revoked device never publishes keys again (the authenticator refuses it first; this closes the race).
      if (!dev || dev.state !== 'active') return { ok: false, reason: 'unknown_device' };
      const current = dev.identity_key == null ? null : bytes(dev.identity_key);
      // Validate everything before writing anything: a rejected upload must change nothing.
      if (!current && !keys.identityKey) return { ok: false, reason: 'identity_required' };
      if (dev.spk_public == null && !keys.signedPreKey) return { ok: false, reason: 'identity_required' };
      if (current && keys.identityKey && !Buffer.from(current).equals(keys.identityKey)) return { ok: false, reason: 'identity_key_immutable' };
      if (!current && keys.identityKey) {
        await this.q.run('UPDATE devices SET identity_key = $1 WHERE user_id = $2 AND device_id = $3', [keys.identityKey, userId, deviceId]);
      }
      if (keys.signedPreKey) {
        const spk = keys.signedPreKey;
        await this.q.run('UPDATE devices SET spk_id = $1, spk_public = $2, spk_signature = $3 WHERE user_id = $4 AND device_id = $5',
          [spk.keyId, spk.publicKey, spk.signature, userId, deviceId]);
      }
      // One statement for all prekeys; a key id given twice keeps its last key, as one upsert after another would.
      const byId = new Map(keys.preKeys.map((pk) => [pk.keyId, pk.publicKey]));
      if (byId.size > 0) {
        await this.q.run(
          `INSERT INTO prekeys (user_id, device_id, key_id, public_key)
           SELECT $1, $2, k, p FROM unnest($3::int[], $4::bytea[]) AS t(k, p)
           ON CONFLICT (user_id, device_id, key_id) DO UPDATE SET public_key = excluded.public_key`,
          [userId, deviceId, [...byId.keys()], [...byId.values()]],
        );
      }
      return { ok: true, count: await this.#count(userId, deviceId) };
    });
  }

  countPreKeys(userId: string, deviceId: number): Promise<number> {
    return this.#count(userId, deviceId);
  }

  takeBundlesBatch(requests: readonly BundleRequest[]): Promise<BatchBundle[]> {
    // Three statements whatever the size (a 1,000-member group's first message): devices, prekeys taken, counts left.
    return this.q.write(async () => {
      if (requests.length === 0) return [];
      const byUser = new Map<string, ReturnType<typeof toDevice>[]>();
      for (const d of (await this.q.rows(
        `SELECT * FROM devices WHERE user_id = ANY($1::text[]) AND ${ACTIVE} ORDER BY user_id, device_id`, [requests.map((r) => r.userId)],
      )).map(toDevice)) byUser.set(d.userId, [...(byUser.get(d.userId) ?? []), d]);
      const picked: { r: BundleRequest; d: ReturnType<typeof toDevice> }[] = [];
      const seen = new Set<string>();
      for (const r of requests) {
        const wanted = r.deviceIds && new Set(r.deviceIds);
        for (const d of byUser.get(r.userId) ?? []) {
          const key = `${r.userId}/${d.deviceId}`;
          if ((wanted && !wanted.has(d.deviceId)) || seen.has(key)) continue;
          seen.add(key);
          picked.push({ r, d });
        }
      }
      const oneTime = picked.filter((p) => p.r.oneTime);
      const users = oneTime.map((p) => p.r.userId);
      const devices = oneTime.map((p) => p.d.deviceId);
      const taken = new Map<string, StoredPreKey>();
      const left = new Map<string, number>();
      if (oneTime.length > 0) {
        // SKIP LOCKED: two nodes fetching at once take different one-time prekeys (as takeBundles).
        for (const row of await this.q.rows(
          `WITH pick AS (
             SELECT k.user_id, k.device_id, k.key_id FROM unnest($1::text[], $2::int[]) AS w(user_id, device_id)
             CROSS JOIN LATERAL (SELECT p.user_id, p.device_id, p.key_id FROM prekeys p
               WHERE p.user_id = w.user_id AND p.device_id = w.device_id ORDER BY p.key_id LIMIT 1 FOR UPDATE SKIP LOCKED) k)
           DELETE FROM prekeys d USING pick WHERE d.user_id = pick.user_id AND d.device_id = pick.device_id AND d.key_id = pick.key_id
           RETURNING d.user_id, d.device_id, d.key_id, d.public_key`, [users, devices],
        )) taken.set(`${String(row.user_id)}/${num(row.device_id)}`, { keyId: num(row.key_id), publicKey: bytes(row.public_key) });
        for (const row of await this.q.rows(
          `SELECT p.user_id, p.device_id, count(*) AS n FROM prekeys p JOIN unnest($1::text[], $2::int[]) AS w(user_id, device_id)
             ON p.user_id = w.user_id AND p.device_id = w.device_id GROUP BY p.user_id, p.device_id`, [users, devices],
        )) left.set(`${String(row.user_id)}/${num(row.device_id)}`, num(row.n));
      }
      return picked.map(({ r, d }): BatchBundle => {
        const preKey = taken.get(`${r.userId}/${d.deviceId}`);
        return {
          userId: r.userId, deviceId: d.deviceId, registrationId: d.registrationId, identityKey: d.identityKey!, signedPreKey: d.signedPreKey!,
          ...(preKey ? { preKey, preKeysLeft: left.get(`${r.userId}/${d.deviceId}`) ?? 0 } : {}),
        };
      });
    });
  }

  takeBundles(userId: string, deviceId?: number, opts: { oneTime?: boolean } = {}): Promise<StoredBundle[]> {
    return this.q.write(async () => {
      const devices = (await this.q.rows(
        `SELECT * FROM devices WHERE user_id = $1 AND ${ACTIVE} ${deviceId === undefined ? '' : 'AND device_id = $2'} ORDER BY device_id`,
        deviceId === undefined ? [userId] : [userId, deviceId],
      )).map(toDevice);
      const bundles: StoredBundle[] = [];
      for (const d of devices) {
        // SKIP LOCKED: two nodes fetching bundles at once take two different one-time prekeys.
        const pk = opts.oneTime === false ? undefined : await this.q.row(
          `DELETE FROM prekeys WHERE (user_id, device_id, key_id) = (
             SELECT user_id, device_id, key_id FROM prekeys WHERE user_id = $1 AND device_id = $2 ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
           RETURNING key_id, public_key`,
          [userId, d.deviceId],
        );
        const preKey: StoredPreKey | undefined = pk && { keyId: num(pk.key_id), publicKey: bytes(pk.public_key) };
        bundles.push({
          deviceId: d.deviceId, registrationId: d.registrationId, identityKey: d.identityKey!, signedPreKey: d.signedPreKey!,
          ...(preKey ? { preKey } : {}),
        });
      }
      return bundles;
    });
  }
}
