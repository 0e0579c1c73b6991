// SQLite implementation of ServerStore: one file `<dataDir>/parley-server.db` in WAL mode.
// The driver is synchronous; methods are async only to honour the storage contract.
import Database from '@signalapp/sqlcipher';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { auditHash, GENESIS_HASH } from '../audit.ts';
import type {
  ActiveDevice, AuditRecord, DeviceRecord, DeviceState, LifecycleChange, NewAuditRecord, KeyUpload, KeyUploadResult, NewEnvelope, NewUser, ServerStore,
  StoredBundle, StoredEnvelope, StoredPreKey, UserRecord,
} from './types.ts';

export const DB_FILE = 'parley-server.db';

type Row = Record<string, unknown>;

/** Each entry migrates from user_version = index to index + 1. Append only; never edit a shipped one. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE users (
    user_id     TEXT PRIMARY KEY,
    issuer      TEXT NOT NULL,
    sub         TEXT NOT NULL,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (issuer, sub)
  );
  CREATE INDEX users_email ON users (lower(email), updated_at);

  CREATE TABLE devices (
    user_id          TEXT NOT NULL REFERENCES users (user_id),
    device_id        INTEGER NOT NULL,
    registration_id  INTEGER NOT NULL,
    name             TEXT NOT NULL,
    credential_hash  BLOB NOT NULL,
    identity_key     BLOB,
    spk_id           INTEGER,
    spk_public       BLOB,
    spk_signature    BLOB,
    created_at       INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id)
  );

  CREATE TABLE prekeys (
    user_id    TEXT NOT NULL,
    device_id  INTEGER NOT NULL,
    key_id     INTEGER NOT NULL,
    public_key BLOB NOT NULL,
    PRIMARY KEY (user_id, device_id, key_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id)
  );

  CREATE TABLE envelopes (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    dest_user        TEXT NOT NULL,
    dest_device      INTEGER NOT NULL,
    source_user      TEXT NOT NULL,
    source_device    INTEGER NOT NULL,
    type             INTEGER NOT NULL,
    content          BLOB NOT NULL,
    server_timestamp INTEGER NOT NULL
  );
  CREATE INDEX envelopes_dest ON envelopes (dest_user, dest_device, id);

  CREATE TABLE registration_nonces (
    nonce      TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  );
  `,
  `
  CREATE TABLE used_id_tokens (
    token_hash BLOB PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX used_id_tokens_expiry ON used_id_tokens (expires_at);
  `,
  // Device lifecycle: remote wipe, revocation, and the append-only audit log.
  `
  ALTER TABLE devices ADD COLUMN lifecycle_key BLOB;
  ALTER TABLE devices ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'wipe-pending', 'wiped', 'revoked'));
  ALTER TABLE devices ADD COLUMN state_changed_at INTEGER;
  ALTER TABLE devices ADD COLUMN wipe_requested_at INTEGER;
  ALTER TABLE devices ADD COLUMN wipe_reason TEXT;

  CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    actor_user_id    TEXT,
    actor_email      TEXT NOT NULL,
    action           TEXT NOT NULL,
    target_user_id   TEXT NOT NULL,
    target_email     TEXT NOT NULL,
    target_device_id INTEGER,
    reason           TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    hash             TEXT NOT NULL
  );
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  `,
];

const bytes = (v: unknown): Uint8Array => {
  if (v instanceof Uint8Array) return v;
  throw new Error('expected a BLOB column');
};
const num = (v: unknown): number => {
  if (typeof v === 'number') return v;
  throw new Error('expected an INTEGER column');
};
const str = (v: unknown): string => {
  if (typeof v === 'string') return v;
  throw new Error('expected a TEXT column');
};

function toUser(r: Row): UserRecord {
  return {
    userId: str(r.user_id), issuer: str(r.issuer), sub: str(r.sub), email: str(r.email), name: str(r.name),
    groups: JSON.parse(str(r.groups_json)) as string[], createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}

function toDevice(r: Row): DeviceRecord {
  return {
    userId: str(r.user_id), deviceId: num(r.device_id), registrationId: num(r.registration_id), name: str(r.name),
    credentialHash: bytes(r.credential_hash),
    identityKey: r.identity_key == null ? null : bytes(r.identity_key),
    signedPreKey: r.spk_public == null ? null
      : { keyId: num(r.spk_id), publicKey: bytes(r.spk_public), signature: bytes(r.spk_signature) },
    createdAt: num(r.created_at), lastSeen: num(r.last_seen),
    lifecycleKey: r.lifecycle_key == null ? null : bytes(r.lifecycle_key),
    state: str(r.state) as DeviceState,
    wipeRequestedAt: r.wipe_requested_at == null ? null : num(r.wipe_requested_at),
    wipeReason: r.wipe_reason == null ? null : str(r.wipe_reason),
  };
}

function toAudit(r: Row): AuditRecord {
  return {
    id: num(r.id), at: num(r.at),
    actor: { userId: r.actor_user_id == null ? null : str(r.actor_user_id), email: str(r.actor_email) },
    action: str(r.action) as AuditRecord['action'],
    target: { userId: str(r.target_user_id), email: str(r.target_email), deviceId: r.target_device_id == null ? null : num(r.target_device_id) },
    reason: str(r.reason), outcome: str(r.outcome), hash: str(r.hash),
  };
}

function toEnvelope(r: Row): StoredEnvelope {
  return {
    id: num(r.id), destUser: str(r.dest_user), destDevice: num(r.dest_device), sourceUser: str(r.source_user),
    sourceDevice: num(r.source_device), type: num(r.type) === 3 ? 3 : 1, content: bytes(r.content),
    serverTimestamp: num(r.server_timestamp),
  };
}

/** Listed in the directory and expected in sends: keys published and not wiped or revoked. */
const ACTIVE = "identity_key IS NOT NULL AND spk_public IS NOT NULL AND state = 'active'";

export class SqliteStore implements ServerStore {
  readonly #db: Database;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.#db = new Database(join(dataDir, DB_FILE), { cacheStatements: true });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#migrate();
  }

  #migrate(): void {
    const version = Number(this.#db.pragma('user_version', { simple: true }) ?? 0);
    if (version > MIGRATIONS.length) {
      throw new Error(`database schema version ${version} is newer than this server (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[v]!);
        this.#db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  // The driver refuses a named-parameter object for a statement without parameters.
  #get(sql: string, params?: Record<string, string | number | Uint8Array<ArrayBuffer> | null>): Row | undefined {
    return params ? this.#db.prepare(sql).get(params) : this.#db.prepare(sql).get();
  }
  #all(sql: string, params?: Record<string, string | number | Uint8Array<ArrayBuffer> | null>): Row[] {
    return params ? this.#db.prepare(sql).all(params) : this.#db.prepare(sql).all();
  }
  #run(sql: string, params: Record<string, string | number | Uint8Array<ArrayBuffer> | null> = {}): number {
    return this.#db.prepare(sql).run(params).changes;
  }

  async createNonce(nonce: string, expiresAt: number): Promise<void> {
    this.#run('INSERT INTO registration_nonces (nonce, expires_at) VALUES ($nonce, $expiresAt)', { nonce, expiresAt });
  }

  async consumeNonce(nonce: string, now: number): Promise<boolean> {
    return this.#db.transaction(() => {
      // Expired nonces are garbage; sweep them while we are here.
      this.#run('DELETE FROM registration_nonces WHERE expires_at <= $now', { now });
      return this.#run('DELETE FROM registration_nonces WHERE nonce = $nonce', { nonce }) === 1;
    })();
  }

  async useTokenOnce(tokenHash: Uint8Array, expiresAt: number, now: number): Promise<boolean> {
    return this.#db.transaction(() => {
      this.#run('DELETE FROM used_id_tokens WHERE expires_at <= $now', { now });
      return this.#run(
        'INSERT INTO used_id_tokens (token_hash, expires_at) VALUES ($hash, $expiresAt) ON CONFLICT (token_hash) DO NOTHING',
        { hash: copy(tokenHash), expiresAt },
      ) === 1;
    })();
  }

  async upsertUser(u: NewUser, now: number): Promise<UserRecord> {
    return this.#db.transaction(() => {
      const existing = this.#get('SELECT user_id FROM users WHERE issuer = $issuer AND sub = $sub', { issuer: u.issuer, sub: u.sub });
      const groups = JSON.stringify(u.groups);
      if (existing) {
        this.#run(
          'UPDATE users SET email = $email, name = $name, groups_json = $groups, updated_at = $now WHERE user_id = $userId',
          { email: u.email, name: u.name, groups, now, userId: str(existing.user_id) },
        );
      } else {
        const userId = `u_${randomBytes(16).toString('base64url')}`;
        this.#run(
          `INSERT INTO users (user_id, issuer, sub, email, name, groups_json, created_at, updated_at)
           VALUES ($userId, $issuer, $sub, $email, $name, $groups, $now, $now)`,
          { userId, issuer: u.issuer, sub: u.sub, email: u.email, name: u.name, groups, now },
        );
      }
      return toUser(this.#get('SELECT * FROM users WHERE issuer = $issuer AND sub = $sub', { issuer: u.issuer, sub: u.sub })!);
    })();
  }

  async getUser(userId: string): Promise<UserRecord | undefined> {
    const r = this.#get('SELECT * FROM users WHERE user_id = $userId', { userId });
    return r && toUser(r);
  }

  async findUserByEmail(email: string): Promise<UserRecord | undefined> {
    const r = this.#get(
      'SELECT * FROM users WHERE lower(email) = lower($email) ORDER BY updated_at DESC, rowid DESC LIMIT 1', { email },
    );
    return r && toUser(r);
  }

  async searchUsers(query: string, limit: number): Promise<UserRecord[]> {
    // instr() rather than LIKE so that % and _ in the query are literal.
    return this.#all(
      `SELECT * FROM users WHERE instr(lower(email), lower($q)) > 0 OR instr(lower(name), lower($q)) > 0
       ORDER BY lower(name), user_id LIMIT $limit`, { q: query, limit },
    ).map(toUser);
  }

  async createDevice(
    d: { userId: string; registrationId: number; name: string; credentialHash: Uint8Array; lifecycleKey: Uint8Array }, now: number,
  ): Promise<DeviceRecord> {
    return this.#db.transaction(() => {
      const next = num(this.#get(
        'SELECT coalesce(max(device_id), 0) + 1 AS next FROM devices WHERE user_id = $userId', { userId: d.userId },
      )!.next);
      this.#run(
        `INSERT INTO devices (user_id, device_id, registration_id, name, credential_hash, created_at, last_seen, lifecycle_key, state)
         VALUES ($userId, $deviceId, $registrationId, $name, $hash, $now, $now, $lk, 'active')`,
        {
          userId: d.userId, deviceId: next, registrationId: d.registrationId, name: d.name, hash: copy(d.credentialHash), now,
          lk: copy(d.lifecycleKey),
        },
      );
      return toDevice(this.#get('SELECT * FROM devices WHERE user_id = $userId AND device_id = $deviceId', { userId: d.userId, deviceId: next })!);
    })();
  }

  async getDevice(userId: string, deviceId: number): Promise<DeviceRecord | undefined> {
    const r = this.#get('SELECT * FROM devices WHERE user_id = $userId AND device_id = $deviceId', { userId, deviceId });
    return r && toDevice(r);
  }

  async touchDevice(userId: string, deviceId: number, now: number): Promise<void> {
    this.#run('UPDATE devices SET last_seen = $now WHERE user_id = $userId AND device_id = $deviceId', { userId, deviceId, now });
  }

  async activeDevices(userId: string): Promise<ActiveDevice[]> {
    return this.#all(
      `SELECT device_id, registration_id, identity_key FROM devices WHERE user_id = $userId AND ${ACTIVE} ORDER BY device_id`, { userId },
    ).map((r) => ({ deviceId: num(r.device_id), registrationId: num(r.registration_id), identityKey: bytes(r.identity_key) }));
  }

  async uploadKeys(userId: string, deviceId: number, keys: KeyUpload): Promise<KeyUploadResult> {
    return this.#db.transaction((): KeyUploadResult => {
      const dev = this.#get('SELECT identity_key, spk_public, state FROM devices WHERE user_id = $userId AND device_id = $deviceId', { userId, deviceId });
      // A wiped or revoked device never publishes keys again (the authenticator refuses it first; this closes the race).
      if (!dev || dev.state !== 'active') return { ok: false, reason: 'unknown_device' };
      const current = dev.identity_key == null ? null : bytes(dev.identity_key);
      // Validate everything before writing anything: a rejected upload must change nothing.
      if (!current && !keys.identityKey) return { ok: false, reason: 'identity_required' };
      if (dev.spk_public == null && !keys.signedPreKey) return { ok: false, reason: 'identity_required' };
      if (current && keys.identityKey && !Buffer.from(current).equals(keys.identityKey)) {
        return { ok: false, reason: 'identity_key_immutable' };
      }
      if (!current && keys.identityKey) {
        this.#run('UPDATE devices SET identity_key = $ik WHERE user_id = $userId AND device_id = $deviceId',
          { ik: copy(keys.identityKey), userId, deviceId });
      }
      if (keys.signedPreKey) {
        const spk = keys.signedPreKey;
        this.#run(
          `UPDATE devices SET spk_id = $id, spk_public = $pub, spk_signature = $sig
           WHERE user_id = $userId AND device_id = $deviceId`,
          { id: spk.keyId, pub: copy(spk.publicKey), sig: copy(spk.signature), userId, deviceId },
        );
      }
      const insert = this.#db.prepare(
        `INSERT INTO prekeys (user_id, device_id, key_id, public_key) VALUES ($userId, $deviceId, $keyId, $pub)
         ON CONFLICT (user_id, device_id, key_id) DO UPDATE SET public_key = excluded.public_key`,
      );
      for (const pk of keys.preKeys) insert.run({ userId, deviceId, keyId: pk.keyId, pub: copy(pk.publicKey) });
      return { ok: true, count: this.#countPreKeys(userId, deviceId) };
    })();
  }

  #countPreKeys(userId: string, deviceId: number): number {
    return num(this.#get('SELECT count(*) AS n FROM prekeys WHERE user_id = $userId AND device_id = $deviceId', { userId, deviceId })!.n);
  }

  async countPreKeys(userId: string, deviceId: number): Promise<number> {
    return this.#countPreKeys(userId, deviceId);
  }

  async takeBundles(userId: string, deviceId?: number): Promise<StoredBundle[]> {
    return this.#db.transaction(() => {
      const devices = this.#all(
        `SELECT * FROM devices WHERE user_id = $userId AND ${ACTIVE} ${deviceId === undefined ? '' : 'AND device_id = $deviceId'}
         ORDER BY device_id`,
        deviceId === undefined ? { userId } : { userId, deviceId },
      ).map(toDevice);
      return devices.map((d): StoredBundle => {
        const pk = this.#get(
          `DELETE FROM prekeys WHERE rowid = (
             SELECT rowid FROM prekeys WHERE user_id = $userId AND device_id = $deviceId ORDER BY key_id LIMIT 1)
           RETURNING key_id, public_key`,
          { userId, deviceId: d.deviceId },
        );
        const preKey: StoredPreKey | undefined = pk && { keyId: num(pk.key_id), publicKey: bytes(pk.public_key) };
        return {
          deviceId: d.deviceId, registrationId: d.registrationId, identityKey: d.identityKey!, signedPreKey: d.signedPreKey!,
          ...(preKey ? { preKey } : {}),
        };
      });
    })();
  }

  async storeEnvelopes(envelopes: NewEnvelope[]): Promise<StoredEnvelope[]> {
    return this.#db.transaction(() => {
      // Nothing is queued for a device that was wiped or revoked after the sender's device check.
      const insert = this.#db.prepare(
        `INSERT INTO envelopes (dest_user, dest_device, source_user, source_device, type, content, server_timestamp)
         SELECT $destUser, $destDevice, $sourceUser, $sourceDevice, $type, $content, $ts
         WHERE NOT EXISTS (SELECT 1 FROM devices WHERE user_id = $destUser AND device_id = $destDevice AND state != 'active')`,
      );
      const stored: StoredEnvelope[] = [];
      for (const e of envelopes) {
        const { changes, lastInsertRowid } = insert.run({
          destUser: e.destUser, destDevice: e.destDevice, sourceUser: e.sourceUser, sourceDevice: e.sourceDevice,
          type: e.type, content: copy(e.content), ts: e.serverTimestamp,
        });
        if (changes === 1) stored.push({ ...e, id: Number(lastInsertRowid) });
      }
      return stored;
    })();
  }

  async envelopesAfter(userId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]> {
    return this.#all(
      `SELECT * FROM envelopes WHERE dest_user = $userId AND dest_device = $deviceId AND id > $afterId
       ORDER BY id LIMIT $limit`, { userId, deviceId, afterId, limit },
    ).map(toEnvelope);
  }

  async deleteEnvelope(userId: string, deviceId: number, id: number): Promise<boolean> {
    return this.#run(
      'DELETE FROM envelopes WHERE id = $id AND dest_user = $userId AND dest_device = $deviceId', { id, userId, deviceId },
    ) === 1;
  }

  async listUsers(email?: string): Promise<Array<{ user: UserRecord; devices: DeviceRecord[] }>> {
    const users = (email === undefined
      ? this.#all('SELECT * FROM users ORDER BY lower(email), user_id')
      : this.#all('SELECT * FROM users WHERE lower(email) = lower($email) ORDER BY updated_at DESC, user_id', { email })).map(toUser);
    return users.map((user) => ({
      user,
      devices: this.#all('SELECT * FROM devices WHERE user_id = $userId ORDER BY device_id', { userId: user.userId }).map(toDevice),
    }));
  }

  async listDevices(userId: string): Promise<DeviceRecord[]> {
    return this.#all('SELECT * FROM devices WHERE user_id = $userId ORDER BY device_id', { userId }).map(toDevice);
  }

  async changeDeviceState(change: LifecycleChange, audit: NewAuditRecord): Promise<{ device: DeviceRecord; audit: AuditRecord }> {
    return this.#db.transaction(() => {
      const { userId, deviceId, state, at } = change;
      const params = { userId, deviceId };
      if (change.state === 'wipe-pending') {
        this.#run(
          `UPDATE devices SET state = 'wipe-pending', state_changed_at = $at, wipe_requested_at = $at, wipe_reason = $reason
           WHERE user_id = $userId AND device_id = $deviceId`,
          { ...params, at, reason: change.reason ?? '' },
        );
      } else {
        this.#run('UPDATE devices SET state = $state, state_changed_at = $at WHERE user_id = $userId AND device_id = $deviceId',
          { ...params, state, at });
      }
      if (change.purge) {
        // The device will never fetch its queue again, and nobody may start a session with it.
        this.#run('DELETE FROM envelopes WHERE dest_user = $userId AND dest_device = $deviceId', params);
        this.#run('DELETE FROM prekeys WHERE user_id = $userId AND device_id = $deviceId', params);
      }
      const device = toDevice(this.#get('SELECT * FROM devices WHERE user_id = $userId AND device_id = $deviceId', params)!);
      return { device, audit: this.#appendAudit(audit) };
    })();
  }

  #appendAudit(a: NewAuditRecord): AuditRecord {
    const last = this.#get('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
    const id = last ? num(last.id) + 1 : 1;
    const entry = { id, ...a };
    const hash = auditHash(last ? str(last.hash) : GENESIS_HASH, entry);
    this.#run(
      `INSERT INTO audit_log (id, at, actor_user_id, actor_email, action, target_user_id, target_email, target_device_id, reason, outcome, hash)
       VALUES ($id, $at, $actorUserId, $actorEmail, $action, $targetUserId, $targetEmail, $targetDeviceId, $reason, $outcome, $hash)`,
      {
        id, at: a.at, actorUserId: a.actor.userId, actorEmail: a.actor.email, action: a.action,
        targetUserId: a.target.userId, targetEmail: a.target.email, targetDeviceId: a.target.deviceId,
        reason: a.reason, outcome: a.outcome, hash,
      },
    );
    return { ...entry, hash };
  }

  async appendAudit(a: NewAuditRecord): Promise<AuditRecord> {
    return this.#db.transaction(() => this.#appendAudit(a))();
  }

  async listAudit(limit: number): Promise<AuditRecord[]> {
    return this.#all('SELECT * FROM audit_log ORDER BY id DESC LIMIT $limit', { limit }).map(toAudit);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

/** The driver wants Uint8Array<ArrayBuffer>; Buffers from a pool may be views on a shared/larger buffer. */
function copy(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}
