// Devices: registration, last-seen, and the lifecycle states (active → wipe-pending → wiped; → revoked).
import {
  AccountDeactivatedError, type ActiveDevice, type AuditRecord, type DeviceRecord, type DeviceState, type DeviceStore,
  type LifecycleChange, type NewAuditRecord,
} from '../types.ts';
import { appendAudit } from './audit.ts';
import { ACTIVE, DEACTIVATED } from './conditions.ts';
import { bool, bytes, LOCK, num, numOrNull, str, strOrNull, type Pg, type Row } from './sql.ts';

export function toDevice(r: Row): DeviceRecord {
  return {
    userId: str(r.user_id), deviceId: num(r.device_id), registrationId: num(r.registration_id), name: str(r.name),
    credentialHash: bytes(r.credential_hash),
    identityKey: r.identity_key == null ? null : bytes(r.identity_key),
    signedPreKey: r.spk_public == null ? null
      : { keyId: num(r.spk_id), publicKey: bytes(r.spk_public), signature: bytes(r.spk_signature) },
    createdAt: num(r.created_at), lastSeen: num(r.last_seen),
    lifecycleKey: r.lifecycle_key == null ? null : bytes(r.lifecycle_key),
    state: str(r.state) as DeviceState,
    wipeRequestedAt: numOrNull(r.wipe_requested_at),
    wipeReason: strOrNull(r.wipe_reason),
    platform: r.platform == null ? '' : str(r.platform),
  };
}

export class PgDeviceStore implements DeviceStore {
  constructor(private readonly q: Pg) {}

  /** Other nodes write the same database: no version to go by. */
  activeVersion(): undefined {
    return undefined;
  }

  async #get(userId: string, deviceId: number): Promise<DeviceRecord | undefined> {
    const r = await this.q.row('SELECT * FROM devices WHERE user_id = $1 AND device_id = $2', [userId, deviceId]);
    return r && toDevice(r);
  }

  create(
    d: { userId: string; registrationId: number; name: string; credentialHash: Uint8Array; lifecycleKey: Uint8Array; platform?: string }, now: number,
  ): Promise<DeviceRecord> {
    // Under the DIRECTORY lock: the deactivation check cannot interleave with a SCIM deactivation, and the next
    // device id with another registration of the same user.
    return this.q.write(async () => {
      if (bool((await this.q.row(`SELECT ${DEACTIVATED('$1::text')} AS d`, [d.userId]))!.d)) throw new AccountDeactivatedError();
      const r = await this.q.row(
        `INSERT INTO devices (user_id, device_id, registration_id, name, credential_hash, created_at, last_seen, lifecycle_key, state, platform)
         SELECT $1, coalesce(max(device_id), 0) + 1, $2, $3, $4, $5, $5, $6, 'active', $7 FROM devices WHERE user_id = $1
         RETURNING *`,
        [d.userId, d.registrationId, d.name, d.credentialHash, now, d.lifecycleKey, d.platform ?? ''],
      );
      return toDevice(r!);
    }, [LOCK.directory]);
  }

  get(userId: string, deviceId: number): Promise<DeviceRecord | undefined> {
    return this.#get(userId, deviceId);
  }

  async touch(userId: string, deviceId: number, now: number): Promise<void> {
    await this.q.run('UPDATE devices SET last_seen = $1 WHERE user_id = $2 AND device_id = $3', [now, userId, deviceId]);
  }

  async active(userId: string): Promise<ActiveDevice[]> {
    return (await this.q.rows(
      `SELECT device_id, registration_id, identity_key FROM devices WHERE user_id = $1 AND ${ACTIVE} ORDER BY device_id`, [userId],
    )).map((r) => ({ deviceId: num(r.device_id), registrationId: num(r.registration_id), identityKey: bytes(r.identity_key) }));
  }

  async list(userId: string): Promise<DeviceRecord[]> {
    return (await this.q.rows('SELECT * FROM devices WHERE user_id = $1 ORDER BY device_id', [userId])).map(toDevice);
  }

  changeState(change: LifecycleChange, audit: NewAuditRecord): Promise<{ device: DeviceRecord; audit: AuditRecord }> {
    // AUDIT lock first (lock order), then the device row by the UPDATE: an envelope insert for this device
    // either committed before (and is purged here) or waits and then sees the new state (envelopes.ts).
    return this.q.write(async () => {
      const { userId, deviceId, state, at } = change;
      if (state === 'wipe-pending') {
        await this.q.run(
          `UPDATE devices SET state = 'wipe-pending', state_changed_at = $1, wipe_requested_at = $1, wipe_reason = $2
           WHERE user_id = $3 AND device_id = $4`,
          [at, change.reason ?? '', userId, deviceId],
        );
      } else {
        await this.q.run('UPDATE devices SET state = $1, state_changed_at = $2 WHERE user_id = $3 AND device_id = $4', [state, at, userId, deviceId]);
      }
      if (change.purge) {
        // The device will never fetch its queue again, and nobody may start a session with it.
        await this.q.run('DELETE FROM envelopes WHERE dest_user = $1 AND dest_device = $2', [userId, deviceId]);
        await this.q.run('DELETE FROM prekeys WHERE user_id = $1 AND device_id = $2', [userId, deviceId]);
      }
      return { device: (await this.#get(userId, deviceId))!, audit: await appendAudit(this.q, audit) };
    }, [LOCK.audit]);
  }

  async describe(userId: string, deviceId: number, change: { name?: string; platform?: string }): Promise<DeviceRecord | undefined> {
    const r = await this.q.row(
      'UPDATE devices SET name = coalesce($3, name), platform = coalesce($4, platform) WHERE user_id = $1 AND device_id = $2 RETURNING *',
      [userId, deviceId, change.name ?? null, change.platform ?? null],
    );
    return r && toDevice(r);
  }
}
