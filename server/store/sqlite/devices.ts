// Devices: registration, last-seen, and the lifecycle states (active → wipe-pending → wiped; → revoked).
import {
  AccountDeactivatedError, type ActiveDevice, type AuditRecord, type DeviceRecord, type DeviceState, type DeviceStore,
  type LifecycleChange, type NewAuditRecord,
} from '../types.ts';
import { appendAudit } from './audit.ts';
import { ACTIVE, DEACTIVATED } from './conditions.ts';
import { bytes, num, numOrNull, str, strOrNull, type Row, type Sql } from './sql.ts';

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

export class SqliteDeviceStore implements DeviceStore {
  /** Counts the statements that may change who is active (write-watch.ts); `touch` and renames do not. */
  readonly #activeWrites: () => number;

  constructor(private readonly q: Sql) {
    this.#activeWrites = q.watch('devices', ['user_id', 'device_id', 'registration_id', 'identity_key', 'spk_public', 'state']);
  }

  activeVersion(): number {
    return this.#activeWrites();
  }

  #get(userId: string, deviceId: number): DeviceRecord | undefined {
    const r = this.q.get('SELECT * FROM devices WHERE user_id = $userId AND device_id = $deviceId', { userId, deviceId });
    return r && toDevice(r);
  }

  create(
    d: { userId: string; registrationId: number; name: string; credentialHash: Uint8Array; lifecycleKey: Uint8Array; platform?: string }, now: number,
  ): Promise<DeviceRecord> {
    return this.q.write(() => {
      // Checked in the same transaction: closes the race between registration and a SCIM deactivation.
      if (num(this.q.get(`SELECT ${DEACTIVATED('$userId')} AS d`, { userId: d.userId })!.d) === 1) throw new AccountDeactivatedError();
      const next = num(this.q.get('SELECT coalesce(max(device_id), 0) + 1 AS next FROM devices WHERE user_id = $userId', { userId: d.userId })!.next);
      this.q.run(
        `INSERT INTO devices (user_id, device_id, registration_id, name, credential_hash, created_at, last_seen, lifecycle_key, state, platform)
         VALUES ($userId, $deviceId, $registrationId, $name, $hash, $now, $now, $lk, 'active', $platform)`,
        { userId: d.userId, deviceId: next, registrationId: d.registrationId, name: d.name, hash: d.credentialHash, now, lk: d.lifecycleKey,
          platform: d.platform ?? '' },
      );
      return this.#get(d.userId, next)!;
    });
  }

  get(userId: string, deviceId: number): Promise<DeviceRecord | undefined> {
    return this.q.plain(() => this.#get(userId, deviceId));
  }

  touch(userId: string, deviceId: number, now: number): Promise<void> {
    return this.q.plain(() => {
      this.q.run('UPDATE devices SET last_seen = $now WHERE user_id = $userId AND device_id = $deviceId', { userId, deviceId, now });
    });
  }

  active(userId: string): Promise<ActiveDevice[]> {
    return this.q.plain(() => this.q.all(
      `SELECT device_id, registration_id, identity_key FROM devices WHERE user_id = $userId AND ${ACTIVE} ORDER BY device_id`, { userId },
    ).map((r) => ({ deviceId: num(r.device_id), registrationId: num(r.registration_id), identityKey: bytes(r.identity_key) })));
  }

  list(userId: string): Promise<DeviceRecord[]> {
    return this.q.plain(() => this.q.all('SELECT * FROM devices WHERE user_id = $userId ORDER BY device_id', { userId }).map(toDevice));
  }

  changeState(change: LifecycleChange, audit: NewAuditRecord): Promise<{ device: DeviceRecord; audit: AuditRecord }> {
    return this.q.write(() => {
      const { userId, deviceId, state, at } = change;
      const params = { userId, deviceId };
      if (state === 'wipe-pending') {
        this.q.run(
          `UPDATE devices SET state = 'wipe-pending', state_changed_at = $at, wipe_requested_at = $at, wipe_reason = $reason
           WHERE user_id = $userId AND device_id = $deviceId`,
          { ...params, at, reason: change.reason ?? '' },
        );
      } else {
        this.q.run('UPDATE devices SET state = $state, state_changed_at = $at WHERE user_id = $userId AND device_id = $deviceId',
          { ...params, state, at });
      }
      if (change.purge) {
        // The device will never fetch its queue again, and nobody may start a session with it.
        this.q.run('DELETE FROM envelopes WHERE dest_user = $userId AND dest_device = $deviceId', params);
        this.q.run('DELETE FROM prekeys WHERE user_id = $userId AND device_id = $deviceId', params);
      }
      return { device: this.#get(userId, deviceId)!, audit: appendAudit(this.q, audit) };
    });
  }

  describe(userId: string, deviceId: number, change: { name?: string; platform?: string }): Promise<DeviceRecord | undefined> {
    return this.q.write(() => {
      this.q.run(
        `UPDATE devices SET name = coalesce($name, name), platform = coalesce($platform, platform)
         WHERE user_id = $userId AND device_id = $deviceId`,
        { userId, deviceId, name: change.name ?? null, platform: change.platform ?? null },
      );
      return this.#get(userId, deviceId);
    });
  }
}
