// SQLite implementation of ServerStore: one file `<dataDir>/parley-server.db` in WAL mode.
// The driver is synchronous; methods are async only to honour the storage contract.
import Database from '@signalapp/sqlcipher';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { auditHash, GENESIS_HASH } from '../audit.ts';
import {
  AccountDeactivatedError, ScimStoreError,
  type ActiveDevice, AuditRecord, DeviceRecord, DeviceState, LifecycleChange, NewAuditRecord, KeyUpload, KeyUploadResult, NewEnvelope, NewUser, ServerStore,
  StoredBundle, StoredEnvelope, StoredPreKey, UserRecord,
  GroupActor, GroupEventKind, GroupEventRecord, GroupMemberRecord, GroupRecord, GroupRole, GroupSettingsChange, GroupStore,
  IdentityResolution, ScimGroupFilter, ScimGroupRow, ScimGroupWrite, ScimStore, ScimUserFilter, ScimUserRow, ScimUserWrite,
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
  // SCIM 2.0 provisioning: users (every existing user gets an unmanaged row mirroring its claims), groups, members.
  `
  CREATE TABLE scim_users (
    id          TEXT PRIMARY KEY,
    user_id     TEXT REFERENCES users (user_id),
    external_id TEXT,
    user_name   TEXT NOT NULL,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    attrs_json  TEXT NOT NULL,
    managed     INTEGER NOT NULL CHECK (managed IN (0, 1)),
    link_value  TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
  );
  CREATE UNIQUE INDEX scim_users_user ON scim_users (user_id) WHERE user_id IS NOT NULL AND deleted_at IS NULL;
  CREATE UNIQUE INDEX scim_users_external ON scim_users (external_id) WHERE external_id IS NOT NULL AND deleted_at IS NULL;
  CREATE INDEX scim_users_user_name ON scim_users (lower(user_name)) WHERE deleted_at IS NULL;
  INSERT INTO scim_users (id, user_id, external_id, user_name, active, attrs_json, managed, link_value, created_at, updated_at)
    SELECT 's' || lower(hex(randomblob(16))), user_id, NULL, CASE WHEN email = '' THEN sub ELSE email END, 1,
      json_object('userName', CASE WHEN email = '' THEN sub ELSE email END, 'displayName', name,
        'emails', CASE WHEN email = '' THEN json_array() ELSE json_array(json_object('value', email, 'type', 'work', 'primary', json('true'))) END),
      0, NULL, created_at, updated_at
    FROM users;

  CREATE TABLE scim_groups (
    id           TEXT PRIMARY KEY,
    external_id  TEXT,
    display_name TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (lower(display_name));

  CREATE TABLE scim_group_members (
    group_id  TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    member_id TEXT NOT NULL REFERENCES scim_users (id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id)
  ) WITHOUT ROWID;
  CREATE INDEX scim_group_members_member ON scim_group_members (member_id);
  `,
  // Admin-governed groups: members with roles, and an append-only event log per group. IF NOT EXISTS so that a
  // schema rolled back to an earlier version (as tests/server/scim-setup.test.ts does) migrates forward again.
  `
  CREATE TABLE IF NOT EXISTS chat_groups (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    announcement  INTEGER NOT NULL CHECK (announcement IN (0, 1)),
    confidential  INTEGER NOT NULL CHECK (confidential IN (0, 1)),
    scim_group_id TEXT,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users (user_id),
    updated_at    INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS chat_groups_scim ON chat_groups (scim_group_id) WHERE scim_group_id IS NOT NULL;

  CREATE TABLE IF NOT EXISTS chat_group_members (
    group_id TEXT NOT NULL REFERENCES chat_groups (id),
    user_id  TEXT NOT NULL REFERENCES users (user_id),
    role     TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    via_scim INTEGER NOT NULL CHECK (via_scim IN (0, 1)),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
  );
  CREATE INDEX IF NOT EXISTS chat_group_members_user ON chat_group_members (user_id);

  CREATE TABLE IF NOT EXISTS chat_group_events (
    group_id TEXT NOT NULL REFERENCES chat_groups (id),
    seq      INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    subject  TEXT,
    PRIMARY KEY (group_id, seq)
  ) WITHOUT ROWID;
  CREATE TRIGGER IF NOT EXISTS chat_group_events_no_update BEFORE UPDATE ON chat_group_events
    BEGIN SELECT RAISE(ABORT, 'chat_group_events is append-only'); END;
  `,
  // The group an envelope was relayed for (set by the server after its membership check, never by the sender).
  `
  ALTER TABLE envelopes ADD COLUMN group_id TEXT;
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
    serverTimestamp: num(r.server_timestamp), ...(r.group_id == null ? {} : { groupId: str(r.group_id) }),
  };
}

/** Listed in the directory and expected in sends: keys published and not wiped or revoked. */
const ACTIVE = "identity_key IS NOT NULL AND spk_public IS NOT NULL AND state = 'active'";

/** SQL: 1 if SCIM deactivated the user `col` (it has SCIM rows, none of them live and active), else 0. */
const DEACTIVATED = (col: string) => `(EXISTS (SELECT 1 FROM scim_users s WHERE s.user_id = ${col})
  AND NOT EXISTS (SELECT 1 FROM scim_users s WHERE s.user_id = ${col} AND s.deleted_at IS NULL AND s.active = 1))`;

export class SqliteStore implements ServerStore {
  readonly #db: Database;
  readonly scim: SqliteScimStore;
  readonly groups: SqliteGroupStore;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.#db = new Database(join(dataDir, DB_FILE), { cacheStatements: true });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    this.#migrate();
    this.scim = new SqliteScimStore(this.#db);
    this.groups = new SqliteGroupStore(this.#db);
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
        this.scim.insertJitRow(userId, u, null, now);
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
      `SELECT * FROM users WHERE lower(email) = lower($email) AND NOT ${DEACTIVATED('users.user_id')}
       ORDER BY updated_at DESC, rowid DESC LIMIT 1`, { email },
    );
    return r && toUser(r);
  }

  async searchUsers(query: string, limit: number): Promise<UserRecord[]> {
    // instr() rather than LIKE so that % and _ in the query are literal.
    return this.#all(
      `SELECT * FROM users WHERE (instr(lower(email), lower($q)) > 0 OR instr(lower(name), lower($q)) > 0)
         AND NOT ${DEACTIVATED('users.user_id')}
       ORDER BY lower(name), user_id LIMIT $limit`, { q: query, limit },
    ).map(toUser);
  }

  async isDeactivated(userId: string): Promise<boolean> {
    return num(this.#get(`SELECT ${DEACTIVATED('$userId')} AS d`, { userId })!.d) === 1;
  }

  async provisioningStates(): Promise<Map<string, 'provisioned' | 'just-in-time' | 'deactivated'>> {
    const rows = this.#all(
      `SELECT u.user_id, ${DEACTIVATED('u.user_id')} AS deactivated,
         EXISTS (SELECT 1 FROM scim_users s WHERE s.user_id = u.user_id AND s.deleted_at IS NULL AND s.managed = 1) AS managed
       FROM users u`,
    );
    return new Map(rows.map((r) => [
      str(r.user_id), num(r.deactivated) === 1 ? 'deactivated' as const : num(r.managed) === 1 ? 'provisioned' as const : 'just-in-time' as const,
    ]));
  }

  async createDevice(
    d: { userId: string; registrationId: number; name: string; credentialHash: Uint8Array; lifecycleKey: Uint8Array }, now: number,
  ): Promise<DeviceRecord> {
    return this.#db.transaction(() => {
      if (num(this.#get(`SELECT ${DEACTIVATED('$userId')} AS d`, { userId: d.userId })!.d) === 1) throw new AccountDeactivatedError();
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
        `INSERT INTO envelopes (dest_user, dest_device, source_user, source_device, type, content, server_timestamp, group_id)
         SELECT $destUser, $destDevice, $sourceUser, $sourceDevice, $type, $content, $ts, $groupId
         WHERE NOT EXISTS (SELECT 1 FROM devices WHERE user_id = $destUser AND device_id = $destDevice AND state != 'active')`,
      );
      const stored: StoredEnvelope[] = [];
      for (const e of envelopes) {
        const { changes, lastInsertRowid } = insert.run({
          destUser: e.destUser, destDevice: e.destDevice, sourceUser: e.sourceUser, sourceDevice: e.sourceDevice,
          type: e.type, content: copy(e.content), ts: e.serverTimestamp, groupId: e.groupId ?? null,
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

// ---- SCIM 2.0 provisioning ----

type Params = Record<string, string | number | Uint8Array<ArrayBuffer> | null>;
const newScimId = () => randomBytes(16).toString('hex');

function toScimUser(r: Row): ScimUserRow {
  return {
    id: str(r.id), userId: r.user_id == null ? null : str(r.user_id), externalId: r.external_id == null ? null : str(r.external_id),
    userName: str(r.user_name), active: num(r.active) === 1, attrs: JSON.parse(str(r.attrs_json)) as Record<string, unknown>,
    managed: num(r.managed) === 1, linkValue: r.link_value == null ? null : str(r.link_value), version: num(r.version),
    createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  };
}

/** What a SCIM user shows in the Parley directory: the primary (else first) email or userName, and a display name. */
function directoryView(attrs: Record<string, unknown>): { email: string; name: string } {
  const userName = String(attrs.userName ?? '');
  const emails = Array.isArray(attrs.emails) ? attrs.emails as Array<{ value?: unknown; primary?: unknown }> : [];
  const email = emails.find((e) => e.primary === true && typeof e.value === 'string')?.value
    ?? emails.find((e) => typeof e.value === 'string')?.value ?? userName;
  const n = (attrs.name ?? {}) as { formatted?: unknown; givenName?: unknown; familyName?: unknown };
  const composed = [n.givenName, n.familyName].filter((x): x is string => typeof x === 'string' && x !== '').join(' ');
  const name = [attrs.displayName, n.formatted, composed].find((x): x is string => typeof x === 'string' && x.trim() !== '') ?? userName;
  return { email: String(email), name };
}

function jitAttrs(u: NewUser): Record<string, unknown> {
  const userName = u.email || u.sub;
  return {
    userName, displayName: u.name || userName, active: true,
    emails: u.email ? [{ value: u.email, type: 'work', primary: true }] : [],
  };
}

class SqliteScimStore implements ScimStore {
  constructor(private readonly db: Database) {}

  #get(sql: string, params?: Params): Row | undefined {
    return params ? this.db.prepare(sql).get(params) : this.db.prepare(sql).get();
  }
  #all(sql: string, params?: Params): Row[] {
    return params ? this.db.prepare(sql).all(params) : this.db.prepare(sql).all();
  }
  #run(sql: string, params: Params = {}): number {
    return this.db.prepare(sql).run(params).changes;
  }

  #user(id: string): ScimUserRow | undefined {
    const r = this.#get('SELECT * FROM scim_users WHERE id = $id AND deleted_at IS NULL', { id });
    return r && toScimUser(r);
  }

  /** The live row of a Parley user. */
  #rowOfUser(userId: string): ScimUserRow | undefined {
    const r = this.#get('SELECT * FROM scim_users WHERE user_id = $userId AND deleted_at IS NULL', { userId });
    return r && toScimUser(r);
  }

  /** Called inside the caller's transaction: the unmanaged row of a user who signed in before being provisioned. */
  insertJitRow(userId: string, u: NewUser, linkValue: string | null, now: number): void {
    const attrs = jitAttrs(u);
    this.#run(
      `INSERT INTO scim_users (id, user_id, external_id, user_name, active, attrs_json, managed, link_value, created_at, updated_at)
       VALUES ($id, $userId, NULL, $userName, 1, $attrs, 0, $link, $now, $now)`,
      { id: newScimId(), userId, userName: String(attrs.userName), attrs: JSON.stringify(attrs), link: linkValue, now },
    );
  }

  #checkUserUnique(write: ScimUserWrite, selfId: string | null): void {
    const userName = String(write.attrs.userName);
    if (this.#get('SELECT 1 FROM scim_users WHERE lower(user_name) = lower($userName) AND deleted_at IS NULL AND id IS NOT $self',
      { userName, self: selfId })) {
      throw new ScimStoreError('uniqueness', `A user with userName ${JSON.stringify(userName)} already exists.`);
    }
    if (write.externalId !== null && this.#get('SELECT 1 FROM scim_users WHERE external_id = $ext AND deleted_at IS NULL AND id IS NOT $self',
      { ext: write.externalId, self: selfId })) {
      throw new ScimStoreError('uniqueness', `A user with externalId ${JSON.stringify(write.externalId)} already exists.`);
    }
  }

  /** A linked Parley user's directory entry follows its SCIM attributes. */
  #syncParleyUser(row: ScimUserRow, now: number): void {
    if (!row.userId || !row.managed) return;
    const { email, name } = directoryView(row.attrs);
    this.#run('UPDATE users SET email = $email, name = $name, updated_at = $now WHERE user_id = $userId', { email, name, now, userId: row.userId });
  }

  async listUsers(filter: ScimUserFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimUserRow[] }> {
    let where = 'deleted_at IS NULL';
    const params: Params = {};
    if (filter) {
      params.v = filter.value;
      switch (filter.attr) {
        case 'userName': where += ' AND lower(user_name) = lower($v)'; break;
        case 'externalId': where += ' AND external_id = $v'; break;
        case 'id': where += ' AND id = $v'; break;
        case 'emails':
          where += " AND EXISTS (SELECT 1 FROM json_each(scim_users.attrs_json, '$.emails') e WHERE lower(json_extract(e.value, '$.value')) = lower($v))";
          break;
      }
    }
    return this.db.transaction(() => {
      const total = num(this.#get(`SELECT count(*) AS n FROM scim_users WHERE ${where}`, Object.keys(params).length ? params : undefined)!.n);
      const rows = this.#all(`SELECT * FROM scim_users WHERE ${where} ORDER BY created_at, rowid LIMIT $limit OFFSET $offset`,
        { ...params, limit, offset }).map(toScimUser);
      return { total, rows };
    })();
  }

  async getUser(id: string): Promise<ScimUserRow | undefined> {
    return this.#user(id);
  }

  async createUser(write: ScimUserWrite, now: number): Promise<ScimUserRow> {
    return this.db.transaction(() => {
      this.#checkUserUnique(write, null);
      const id = newScimId();
      this.#run(
        `INSERT INTO scim_users (id, user_id, external_id, user_name, active, attrs_json, managed, link_value, created_at, updated_at)
         VALUES ($id, NULL, $ext, $userName, $active, $attrs, 1, NULL, $now, $now)`,
        {
          id, ext: write.externalId, userName: String(write.attrs.userName), active: write.attrs.active === false ? 0 : 1,
          attrs: JSON.stringify(write.attrs), now,
        },
      );
      return this.#user(id)!;
    })();
  }

  async updateUser(id: string, update: (current: ScimUserRow) => ScimUserWrite, now: number): Promise<ScimUserRow | undefined> {
    return this.db.transaction(() => {
      const current = this.#user(id);
      if (!current) return undefined;
      const write = update(current);
      this.#checkUserUnique(write, id);
      this.#run(
        `UPDATE scim_users SET external_id = $ext, user_name = $userName, active = $active, attrs_json = $attrs, managed = 1,
           version = version + 1, updated_at = $now WHERE id = $id`,
        {
          id, ext: write.externalId, userName: String(write.attrs.userName), active: write.attrs.active === false ? 0 : 1,
          attrs: JSON.stringify(write.attrs), now,
        },
      );
      const row = this.#user(id)!;
      this.#syncParleyUser(row, now);
      return row;
    })();
  }

  async deleteUser(id: string, now: number): Promise<ScimUserRow | undefined> {
    return this.db.transaction(() => {
      const row = this.#user(id);
      if (!row) return undefined;
      this.#run('DELETE FROM scim_group_members WHERE member_id = $id', { id });
      this.#run('UPDATE scim_users SET deleted_at = $now, updated_at = $now WHERE id = $id', { id, now });
      return row;
    })();
  }

  async groupsOf(id: string): Promise<Array<{ id: string; displayName: string }>> {
    return this.#all(
      `SELECT g.id, g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
       WHERE m.member_id = $id ORDER BY lower(g.display_name), g.id`, { id },
    ).map((r) => ({ id: str(r.id), displayName: str(r.display_name) }));
  }

  async displayOf(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of ids) {
      const r = this.#get('SELECT attrs_json FROM scim_users WHERE id = $id', { id });
      if (r) out.set(id, directoryView(JSON.parse(str(r.attrs_json)) as Record<string, unknown>).name);
    }
    return out;
  }

  #group(id: string): ScimGroupRow | undefined {
    const r = this.#get('SELECT * FROM scim_groups WHERE id = $id', { id });
    if (!r) return undefined;
    const members = this.#all('SELECT member_id FROM scim_group_members WHERE group_id = $id ORDER BY position', { id }).map((m) => str(m.member_id));
    return {
      id: str(r.id), externalId: r.external_id == null ? null : str(r.external_id), displayName: str(r.display_name), members,
      version: num(r.version), createdAt: num(r.created_at), updatedAt: num(r.updated_at),
    };
  }

  #writeGroup(id: string, write: ScimGroupWrite, now: number, create: boolean): void {
    if (this.#get('SELECT 1 FROM scim_groups WHERE lower(display_name) = lower($name) AND id != $id', { name: write.displayName, id })) {
      throw new ScimStoreError('uniqueness', `A group named ${JSON.stringify(write.displayName)} already exists.`);
    }
    const members = [...new Set(write.members)];
    for (const m of members) {
      if (!this.#get('SELECT 1 FROM scim_users WHERE id = $m AND deleted_at IS NULL', { m })) {
        throw new ScimStoreError('unknown_member', `Member ${JSON.stringify(m.slice(0, 100))} is not a user of this service provider.`);
      }
    }
    if (create) {
      this.#run(
        `INSERT INTO scim_groups (id, external_id, display_name, created_at, updated_at) VALUES ($id, $ext, $name, $now, $now)`,
        { id, ext: write.externalId, name: write.displayName, now },
      );
    } else {
      this.#run('UPDATE scim_groups SET external_id = $ext, display_name = $name, version = version + 1, updated_at = $now WHERE id = $id',
        { id, ext: write.externalId, name: write.displayName, now });
    }
    const existing = new Set(this.#all('SELECT member_id FROM scim_group_members WHERE group_id = $id', { id }).map((r) => str(r.member_id)));
    const keep = new Set(members);
    for (const m of existing) if (!keep.has(m)) this.#run('DELETE FROM scim_group_members WHERE group_id = $id AND member_id = $m', { id, m });
    let position = num(this.#get('SELECT coalesce(max(position), 0) AS p FROM scim_group_members WHERE group_id = $id', { id })!.p);
    for (const m of members) {
      if (!existing.has(m)) this.#run('INSERT INTO scim_group_members (group_id, member_id, position) VALUES ($id, $m, $p)', { id, m, p: ++position });
    }
  }

  async listGroups(filter: ScimGroupFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimGroupRow[] }> {
    let where = '1';
    const params: Params = {};
    if (filter) {
      params.v = filter.value;
      where = filter.attr === 'displayName' ? 'lower(display_name) = lower($v)' : filter.attr === 'externalId' ? 'external_id = $v' : 'id = $v';
    }
    return this.db.transaction(() => {
      const total = num(this.#get(`SELECT count(*) AS n FROM scim_groups WHERE ${where}`, Object.keys(params).length ? params : undefined)!.n);
      const ids = this.#all(`SELECT id FROM scim_groups WHERE ${where} ORDER BY created_at, rowid LIMIT $limit OFFSET $offset`,
        { ...params, limit, offset }).map((r) => str(r.id));
      return { total, rows: ids.map((id) => this.#group(id)!) };
    })();
  }

  async getGroup(id: string): Promise<ScimGroupRow | undefined> {
    return this.#group(id);
  }

  async createGroup(write: ScimGroupWrite, now: number): Promise<ScimGroupRow> {
    return this.db.transaction(() => {
      const id = newScimId();
      this.#writeGroup(id, write, now, true);
      return this.#group(id)!;
    })();
  }

  async updateGroup(id: string, update: (current: ScimGroupRow) => ScimGroupWrite, now: number): Promise<ScimGroupRow | undefined> {
    return this.db.transaction(() => {
      const current = this.#group(id);
      if (!current) return undefined;
      this.#writeGroup(id, update(current), now, false);
      return this.#group(id)!;
    })();
  }

  async deleteGroup(id: string): Promise<boolean> {
    return this.db.transaction(() => {
      this.#run('DELETE FROM scim_group_members WHERE group_id = $id', { id });
      return this.#run('DELETE FROM scim_groups WHERE id = $id', { id }) === 1;
    })();
  }

  async resolveIdentity(u: NewUser, linkValue: string | undefined, now: number): Promise<IdentityResolution> {
    return this.db.transaction((): IdentityResolution => {
      const groups = JSON.stringify(u.groups);
      const bySub = this.#get('SELECT * FROM users WHERE issuer = $issuer AND sub = $sub', { issuer: u.issuer, sub: u.sub });
      const linked = linkValue === undefined ? undefined
        : this.#get('SELECT * FROM scim_users WHERE external_id = $v AND deleted_at IS NULL', { v: linkValue });
      const link = linkValue ?? null;

      if (linked) {
        // A provisioned SCIM user whose externalId is this person's link claim: that SCIM user IS this person.
        const row = toScimUser(linked);
        if (!row.active) return { ok: false, reason: 'deactivated' };
        let userId = row.userId;
        if (userId === null) {
          if (bySub) {
            userId = str(bySub.user_id);
            // The person signed in before being provisioned: the provisioned row replaces the just-in-time one.
            const other = this.#rowOfUser(userId);
            if (other && other.id !== row.id) {
              if (other.managed && other.externalId !== null) return { ok: false, reason: 'identity_conflict' };
              this.#run('DELETE FROM scim_group_members WHERE member_id = $id', { id: other.id });
              this.#run('UPDATE scim_users SET deleted_at = $now WHERE id = $id', { id: other.id, now });
            }
          } else {
            userId = `u_${randomBytes(16).toString('base64url')}`;
            this.#run(
              `INSERT INTO users (user_id, issuer, sub, email, name, groups_json, created_at, updated_at)
               VALUES ($userId, $issuer, $sub, $email, $name, $groups, $now, $now)`,
              { userId, issuer: u.issuer, sub: u.sub, email: u.email, name: u.name, groups, now },
            );
          }
        }
        this.#run('UPDATE scim_users SET user_id = $userId, link_value = $link WHERE id = $id', { userId, link, id: row.id });
        const { email, name } = directoryView(row.attrs);
        this.#run('UPDATE users SET email = $email, name = $name, groups_json = $groups, updated_at = $now WHERE user_id = $userId',
          { email, name, groups, now, userId });
        return { ok: true, user: toUser(this.#get('SELECT * FROM users WHERE user_id = $userId', { userId })!), scimId: row.id };
      }

      if (bySub) {
        const userId = str(bySub.user_id);
        const row = this.#rowOfUser(userId);
        const hadRows = this.#get('SELECT 1 FROM scim_users WHERE user_id = $userId', { userId }) !== undefined;
        if (row ? !row.active : hadRows) return { ok: false, reason: 'deactivated' };
        let scimId: string;
        if (!row) {
          this.insertJitRow(userId, u, link, now);
          scimId = this.#rowOfUser(userId)!.id;
        } else {
          scimId = row.id;
          if (!row.managed) {
            const attrs = jitAttrs(u);
            this.#run('UPDATE scim_users SET user_name = $userName, attrs_json = $attrs, link_value = $link, updated_at = $now WHERE id = $id',
              { userName: String(attrs.userName), attrs: JSON.stringify(attrs), link, now, id: row.id });
          } else {
            this.#run('UPDATE scim_users SET link_value = coalesce(link_value, $link) WHERE id = $id', { link, id: row.id });
          }
        }
        const view = row?.managed ? directoryView(row.attrs) : { email: u.email, name: u.name };
        this.#run('UPDATE users SET email = $email, name = $name, groups_json = $groups, updated_at = $now WHERE user_id = $userId',
          { email: view.email, name: view.name, groups, now, userId });
        return { ok: true, user: toUser(this.#get('SELECT * FROM users WHERE user_id = $userId', { userId })!), scimId };
      }

      // Just in time: a new Parley user with an unmanaged SCIM row.
      const userId = `u_${randomBytes(16).toString('base64url')}`;
      this.#run(
        `INSERT INTO users (user_id, issuer, sub, email, name, groups_json, created_at, updated_at)
         VALUES ($userId, $issuer, $sub, $email, $name, $groups, $now, $now)`,
        { userId, issuer: u.issuer, sub: u.sub, email: u.email, name: u.name, groups, now },
      );
      this.insertJitRow(userId, u, link, now);
      return { ok: true, user: toUser(this.#get('SELECT * FROM users WHERE user_id = $userId', { userId })!), scimId: this.#rowOfUser(userId)!.id };
    })();
  }
}

// ---- groups ----

function toGroup(r: Row): GroupRecord {
  return {
    id: str(r.id), name: str(r.name), announcement: num(r.announcement) === 1, confidential: num(r.confidential) === 1,
    scimGroupId: r.scim_group_id == null ? null : str(r.scim_group_id), createdAt: num(r.created_at), createdBy: str(r.created_by),
    updatedAt: num(r.updated_at),
  };
}

const toMember = (r: Row): GroupMemberRecord => ({
  userId: str(r.user_id), role: str(r.role) as GroupRole, viaScim: num(r.via_scim) === 1, addedAt: num(r.added_at),
});

class SqliteGroupStore implements GroupStore {
  constructor(private readonly db: Database) {}

  #get(sql: string, params: Params): Row | undefined { return this.db.prepare(sql).get(params); }
  #all(sql: string, params: Params): Row[] { return this.db.prepare(sql).all(params); }
  #run(sql: string, params: Params): number { return this.db.prepare(sql).run(params).changes; }

  /** Inside the caller's transaction. */
  #event(groupId: string, kind: GroupEventKind, actor: GroupActor, subject: string | null, at: number): void {
    this.#run(
      `INSERT INTO chat_group_events (group_id, seq, at, kind, actor, subject)
       SELECT $groupId, coalesce(max(seq), 0) + 1, $at, $kind, $actor, $subject FROM chat_group_events WHERE group_id = $groupId`,
      { groupId, at, kind, actor, subject },
    );
  }

  #insertMember(groupId: string, m: Omit<GroupMemberRecord, 'addedAt'>, now: number): boolean {
    return this.#run(
      `INSERT INTO chat_group_members (group_id, user_id, role, via_scim, added_at) VALUES ($groupId, $userId, $role, $viaScim, $now)
       ON CONFLICT DO NOTHING`,
      { groupId, userId: m.userId, role: m.role, viaScim: m.viaScim ? 1 : 0, now },
    ) === 1;
  }

  #delete(groupId: string, userId: string): boolean {
    return this.#run('DELETE FROM chat_group_members WHERE group_id = $groupId AND user_id = $userId', { groupId, userId }) === 1;
  }

  async create(g: Omit<GroupRecord, 'updatedAt'>, members: Array<Omit<GroupMemberRecord, 'addedAt'>>): Promise<GroupRecord> {
    return this.db.transaction(() => {
      this.#run(
        `INSERT INTO chat_groups (id, name, announcement, confidential, scim_group_id, created_at, created_by, updated_at)
         VALUES ($id, $name, $announcement, $confidential, $scim, $at, $by, $at)`,
        { id: g.id, name: g.name, announcement: g.announcement ? 1 : 0, confidential: g.confidential ? 1 : 0, scim: g.scimGroupId, at: g.createdAt, by: g.createdBy },
      );
      this.#event(g.id, 'created', g.createdBy, null, g.createdAt);
      for (const m of members) {
        if (this.#insertMember(g.id, m, g.createdAt) && m.userId !== g.createdBy) this.#event(g.id, 'added', m.viaScim ? 'scim' : g.createdBy, m.userId, g.createdAt);
      }
      return { ...g, updatedAt: g.createdAt };
    })();
  }

  async get(id: string): Promise<GroupRecord | undefined> {
    const r = this.#get('SELECT * FROM chat_groups WHERE id = $id', { id });
    return r && toGroup(r);
  }

  async listOf(userId: string): Promise<Array<GroupRecord & { role: GroupRole }>> {
    return this.#all(
      `SELECT g.*, m.role FROM chat_groups g JOIN chat_group_members m ON m.group_id = g.id
       WHERE m.user_id = $userId ORDER BY g.created_at DESC, g.id`, { userId },
    ).map((r) => ({ ...toGroup(r), role: str(r.role) as GroupRole }));
  }

  async listAll(): Promise<Array<GroupRecord & { memberCount: number }>> {
    return this.db.prepare(
      `SELECT g.*, (SELECT count(*) FROM chat_group_members m WHERE m.group_id = g.id) AS member_count
       FROM chat_groups g ORDER BY g.created_at DESC, g.id`,
    ).all().map((r) => ({ ...toGroup(r), memberCount: num(r.member_count) }));
  }

  async members(id: string): Promise<GroupMemberRecord[]> {
    return this.#all('SELECT * FROM chat_group_members WHERE group_id = $id ORDER BY added_at, rowid', { id }).map(toMember);
  }

  async addMember(id: string, m: Omit<GroupMemberRecord, 'addedAt'>, actor: GroupActor, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.#insertMember(id, m, now)) return false;
      this.#event(id, 'added', actor, m.userId, now);
      return true;
    })();
  }

  async removeMember(id: string, userId: string, kind: 'removed' | 'left' | 'deactivated', actor: GroupActor, now: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.#delete(id, userId)) return false;
      this.#event(id, kind, actor, userId, now);
      return true;
    })();
  }

  async setRole(id: string, userId: string, role: 'admin' | 'member', actor: GroupActor, now: number): Promise<'promoted' | 'demoted' | 'unchanged' | 'not_member'> {
    return this.db.transaction(() => {
      const r = this.#get('SELECT role FROM chat_group_members WHERE group_id = $id AND user_id = $userId', { id, userId });
      if (!r) return 'not_member' as const;
      const current = str(r.role) as GroupRole;
      const isAdmin = current !== 'member';
      if ((role === 'admin') === isAdmin) return 'unchanged' as const;
      this.#run('UPDATE chat_group_members SET role = $role WHERE group_id = $id AND user_id = $userId', { role, id, userId });
      const kind = role === 'admin' ? 'promoted' as const : 'demoted' as const;
      this.#event(id, kind, actor, userId, now);
      return kind;
    })();
  }

  async update(id: string, change: GroupSettingsChange, actor: GroupActor, now: number): Promise<GroupRecord | undefined> {
    return this.db.transaction(() => {
      const r = this.#get('SELECT * FROM chat_groups WHERE id = $id', { id });
      if (!r) return undefined;
      const g = toGroup(r);
      const next: GroupRecord = {
        ...g,
        name: change.name ?? g.name,
        announcement: change.announcement ?? g.announcement,
        confidential: change.confidential ?? g.confidential,
        scimGroupId: change.scimGroupId === undefined ? g.scimGroupId : change.scimGroupId,
      };
      if (next.name === g.name && next.announcement === g.announcement && next.confidential === g.confidential && next.scimGroupId === g.scimGroupId) return g;
      next.updatedAt = now;
      this.#run(
        `UPDATE chat_groups SET name = $name, announcement = $announcement, confidential = $confidential, scim_group_id = $scim,
         updated_at = $now WHERE id = $id`,
        { id, name: next.name, announcement: next.announcement ? 1 : 0, confidential: next.confidential ? 1 : 0, scim: next.scimGroupId, now },
      );
      if (next.scimGroupId === null) this.#run('UPDATE chat_group_members SET via_scim = 0 WHERE group_id = $id', { id });
      this.#event(id, 'settings', actor, null, now);
      return next;
    })();
  }

  async events(id: string, afterSeq: number, limit: number): Promise<GroupEventRecord[]> {
    return this.#all(
      'SELECT * FROM chat_group_events WHERE group_id = $id AND seq > $after ORDER BY seq LIMIT $limit', { id, after: afterSeq, limit },
    ).map((r) => ({
      seq: num(r.seq), at: num(r.at), kind: str(r.kind) as GroupEventKind, actor: str(r.actor), subject: r.subject == null ? null : str(r.subject),
    }));
  }

  async removeEverywhere(userId: string, actor: GroupActor, now: number): Promise<string[]> {
    return this.db.transaction(() => {
      const ids = this.#all('SELECT group_id FROM chat_group_members WHERE user_id = $userId ORDER BY group_id', { userId }).map((r) => str(r.group_id));
      for (const id of ids) {
        this.#delete(id, userId);
        this.#event(id, 'deactivated', actor, userId, now);
      }
      return ids;
    })();
  }

  async linkedTo(scimGroupId: string): Promise<GroupRecord[]> {
    return this.#all('SELECT * FROM chat_groups WHERE scim_group_id = $scimGroupId ORDER BY id', { scimGroupId }).map(toGroup);
  }

  async directoryMembers(scimGroupId: string): Promise<string[] | undefined> {
    if (!this.#get('SELECT 1 FROM scim_groups WHERE id = $scimGroupId', { scimGroupId })) return undefined;
    return this.#all(
      `SELECT su.user_id FROM scim_group_members m JOIN scim_users su ON su.id = m.member_id
       WHERE m.group_id = $scimGroupId AND su.deleted_at IS NULL AND su.active = 1 AND su.user_id IS NOT NULL
         AND ${DEACTIVATED('su.user_id')} = 0
       ORDER BY m.position`, { scimGroupId },
    ).map((r) => str(r.user_id));
  }

  async syncDirectory(id: string, desired: string[], actor: GroupActor, now: number): Promise<{ added: string[]; removed: string[] }> {
    return this.db.transaction(() => {
      const current = this.#all('SELECT * FROM chat_group_members WHERE group_id = $id', { id }).map(toMember);
      const want = new Set(desired);
      const have = new Set(current.map((m) => m.userId));
      const removed = current.filter((m) => m.viaScim && !want.has(m.userId)).map((m) => m.userId);
      const added = desired.filter((u) => !have.has(u));
      for (const userId of removed) {
        this.#delete(id, userId);
        this.#event(id, 'removed', actor, userId, now);
      }
      for (const userId of added) {
        this.#insertMember(id, { userId, role: 'member', viaScim: true }, now);
        this.#event(id, 'added', actor, userId, now);
      }
      return { added, removed };
    })();
  }

  async pendingDirectoryGroups(userId: string): Promise<string[]> {
    return this.#all(
      `SELECT DISTINCT g.id FROM chat_groups g
       JOIN scim_group_members m ON m.group_id = g.scim_group_id
       JOIN scim_users s ON s.id = m.member_id AND s.deleted_at IS NULL AND s.active = 1
       WHERE s.user_id = $userId
         AND NOT EXISTS (SELECT 1 FROM chat_group_members cm WHERE cm.group_id = g.id AND cm.user_id = $userId)`, { userId },
    ).map((r) => str(r.id));
  }
}
