// The data inventory: every column the relay stores and every file in its data directory, with what kind of
// personal data it is, why it is kept, how long, and who can read it. tests/inventory checks it against the
// live schema of both stores (a new column without an entry fails), and `parley-server data-inventory` prints
// it (md or json) checked against a real database. docs/dpia.md builds on it.
//
// Readers: "server" = the relay process (and so its operator, who can read the database file); "admins" = org
// admins through the admin API/console; "owner" = the person the row is about, from their own devices;
// "members" = members of the same group; "colleagues" = any signed-in person of the organization (directory).
// Message content never reaches the server in the clear: envelopes and attachment blobs are end-to-end encrypted.

export type Category =
  | 'identity' // who a person is at the IdP / directory: opaque ids, subject, external ids
  | 'contact' // email, name, user name
  | 'organisational' // groups claim, directory groups, group names and memberships, roles
  | 'device' // device names, platforms, states, when last seen
  | 'key material' // public keys and credential hashes (no private keys, no secrets)
  | 'communication metadata' // who sent to whom and when (envelope routing)
  | 'encrypted content' // ciphertext the server cannot read
  | 'workplace' // working hours, consents, away notices
  | 'audit' // the audit trail of admin acts
  | 'usage statistics' // aggregate counters, per-member sets for the open day
  | 'not personal'; // nonces, schema bookkeeping, company data

export interface TableInventory {
  table: string;
  purpose: string;
  retention: string;
  readers: string;
  /** Every column: [category, what it holds]. */
  columns: Record<string, readonly [Category, string]>;
}

export interface FileInventory { path: string; category: Category; holds: string; purpose: string; retention: string; readers: string }

const UNTIL_DELETED = 'while the account exists; deactivated people stay (their devices are wiped) until an operator deletes them';

export const TABLES: readonly TableInventory[] = [
  {
    table: 'users', purpose: 'the directory: who may sign in, whom to address, org-admin rights',
    retention: UNTIL_DELETED, readers: 'server; colleagues (email, name via directory lookup/search); admins; owner',
    columns: {
      rid: ['not personal', 'PostgreSQL only: insertion order (SQLite uses its rowid)'],
      user_id: ['identity', 'opaque Parley user id'],
      issuer: ['identity', 'the IdP that vouches for the person'],
      sub: ['identity', 'the IdP subject id'],
      email: ['contact', 'work email from the ID token or SCIM'],
      name: ['contact', 'display name from the ID token or SCIM'],
      groups_json: ['organisational', 'the groups claim of the last sign-in (admin rights)'],
      groups_at: ['organisational', 'when the groups claim was last taken from a sign-in'],
      created_at: ['identity', 'first sign-in'],
      updated_at: ['identity', 'last profile change'],
    },
  },
  {
    table: 'devices', purpose: 'authenticating devices, key distribution, remote wipe and revocation',
    retention: 'until the account is deleted; revoked and wiped devices stay as records (the audit trail refers to them)',
    readers: 'server; admins (name, state, created, last seen); owner',
    columns: {
      user_id: ['identity', 'owner'],
      device_id: ['device', 'device number'],
      registration_id: ['key material', 'Signal registration id'],
      name: ['device', 'device name the owner chose (often the host name)'],
      credential_hash: ['key material', 'sha256 of the device credential (the secret is never stored)'],
      identity_key: ['key material', 'Signal identity public key'],
      spk_id: ['key material', 'signed prekey id'],
      spk_public: ['key material', 'signed prekey (public)'],
      spk_signature: ['key material', 'signature over the signed prekey'],
      created_at: ['device', 'registration time'],
      last_seen: ['device', 'last status check or connection'],
      lifecycle_key: ['key material', 'Ed25519 public key that signs status checks and wipe receipts'],
      state: ['device', 'active, wipe-pending, wiped or revoked'],
      state_changed_at: ['device', 'when the state last changed'],
      wipe_requested_at: ['device', 'when a wipe was requested'],
      wipe_reason: ['device', 'the reason an admin gave for a wipe (shown on the device)'],
      platform: ['device', 'Linux, macOS, Windows as the client said'],
    },
  },
  {
    table: 'prekeys', purpose: 'one-time prekeys others use to start sessions with a device',
    retention: 'each is deleted when handed out; all of a device\'s when it is revoked or wiped', readers: 'server; colleagues (one key per session start)',
    columns: {
      user_id: ['identity', 'owner'], device_id: ['device', 'device number'],
      key_id: ['key material', 'prekey id'], public_key: ['key material', 'prekey (public)'],
    },
  },
  {
    table: 'envelopes', purpose: 'store-and-forward of end-to-end encrypted messages to devices that are offline',
    retention: 'deleted when the recipient device acknowledges it, when that device is revoked or wiped, and (with rules.retention.messagesDays) when older than the period',
    readers: 'server (routing fields only; content is ciphertext); the recipient device',
    columns: {
      id: ['communication metadata', 'queue position'],
      dest_user: ['communication metadata', 'recipient'], dest_device: ['communication metadata', 'recipient device'],
      source_user: ['communication metadata', 'sender'], source_device: ['communication metadata', 'sender device'],
      type: ['communication metadata', 'Signal message type (prekey or whisper)'],
      content: ['encrypted content', 'the end-to-end encrypted message'],
      server_timestamp: ['communication metadata', 'when the server accepted it'],
      group_id: ['communication metadata', 'the group it was sent to, if any'],
      about_group: ['communication metadata', 'the group a 1:1 receipt is about, if any'],
      deliver_after: ['communication metadata', 'held until the recipient\'s working hours start'],
    },
  },
  {
    table: 'sends', purpose: 'answering a retried send once (idempotency)', retention: 'swept after its expiry (2 hours)',
    readers: 'server',
    columns: {
      user_id: ['communication metadata', 'sender'], device_id: ['communication metadata', 'sender device'],
      send_id: ['communication metadata', 'random id the client chose'], server_timestamp: ['communication metadata', 'when accepted'],
      expires_at: ['communication metadata', 'when the record is forgotten'],
      id: ['not personal', 'SQLite only: order of arrival (records are appended)'],
      key_hash: ['communication metadata', 'SQLite only: 48 bits of SHA-256 over sender, device and sendId, to find the record'],
    },
  },
  {
    table: 'registration_nonces', purpose: 'single-use sign-in nonces', retention: 'deleted on use or after 10 minutes', readers: 'server',
    columns: { nonce: ['not personal', 'random nonce'], expires_at: ['not personal', 'expiry'] },
  },
  {
    table: 'used_id_tokens', purpose: 'refusing a replayed ID token', retention: 'until the token would have expired', readers: 'server',
    columns: { token_hash: ['not personal', 'sha256 of a used ID token'], expires_at: ['not personal', 'expiry'] },
  },
  {
    table: 'audit_log', purpose: 'accountability for admin acts, provisioning, device changes, consent and overrides (append-only, hash-chained)',
    retention: 'kept for the life of the deployment: entries cannot be changed or deleted (triggers refuse it; `parley-server audit verify` detects tampering)',
    readers: 'server; admins (admin audit API/console/CLI)',
    columns: {
      id: ['audit', 'entry number'], at: ['audit', 'when'],
      actor_user_id: ['identity', 'who acted (null for SCIM or the system)'], actor_email: ['contact', 'the actor\'s email at the time, or "scim"'],
      action: ['audit', 'what was done'], target_user_id: ['identity', 'the person concerned, if any'],
      target_email: ['contact', 'their email at the time'], target_device_id: ['device', 'the device concerned, if any'],
      target_kind: ['audit', 'group, scim-user, scim-group, policy, user (absent: a person or device)'],
      target_id: ['organisational', 'the group, SCIM resource or policy version concerned'],
      reason: ['audit', 'the reason the actor gave'], outcome: ['audit', 'what happened'],
      details: ['organisational', 'extra facts as JSON (group name, SCIM userName, role, policy version); never message content'],
      hash: ['audit', 'hash chain link'],
    },
  },
  {
    table: 'scim_users', purpose: 'SCIM provisioning from the company directory (joiners, movers, leavers)',
    retention: 'deleted rows are kept marked deleted_at (a leaver stays deactivated); otherwise while the directory keeps the person',
    readers: 'server; the SCIM client (the company directory); admins (provisioning state)',
    columns: {
      rid: ['not personal', 'PostgreSQL only: insertion order (SQLite uses its rowid)'],
      id: ['identity', 'SCIM id'], user_id: ['identity', 'the linked Parley user'], external_id: ['identity', 'the directory\'s id'],
      user_name: ['contact', 'SCIM userName (usually the email)'], active: ['organisational', 'active flag from the directory'],
      attrs_json: ['contact', 'SCIM attributes: names, emails, title, department, manager, phone numbers as the directory sent them'],
      managed: ['organisational', 'written through SCIM or mirrored from sign-in'], link_value: ['identity', 'the link claim value seen at registration'],
      version: ['not personal', 'row version (ETag)'], created_at: ['organisational', 'created'], updated_at: ['organisational', 'updated'],
      deleted_at: ['organisational', 'when SCIM deleted it'],
    },
  },
  {
    table: 'scim_groups', purpose: 'directory groups that Parley groups can follow', retention: 'until the directory deletes the group',
    readers: 'server; the SCIM client; admins',
    columns: {
      rid: ['not personal', 'PostgreSQL only: insertion order (SQLite uses its rowid)'],
      id: ['organisational', 'SCIM id'], external_id: ['organisational', 'the directory\'s id'], display_name: ['organisational', 'group name'],
      version: ['not personal', 'row version'], created_at: ['organisational', 'created'], updated_at: ['organisational', 'updated'],
    },
  },
  {
    table: 'scim_group_members', purpose: 'directory group membership', retention: 'until the directory changes it', readers: 'server; the SCIM client; admins',
    columns: { group_id: ['organisational', 'SCIM group'], member_id: ['organisational', 'SCIM user'], position: ['not personal', 'order added'] },
  },
  {
    table: 'chat_groups', purpose: 'admin-governed encrypted groups: who is in them and their settings',
    retention: 'while the group exists', readers: 'server; members; admins (name, member count)',
    columns: {
      id: ['organisational', 'group id'], name: ['organisational', 'group name'], announcement: ['organisational', 'announcement-only flag'],
      confidential: ['organisational', 'confidential flag'], scim_group_id: ['organisational', 'linked directory group'],
      created_at: ['organisational', 'created'], created_by: ['identity', 'creator'], updated_at: ['organisational', 'updated'],
    },
  },
  {
    table: 'chat_group_members', purpose: 'group membership and roles', retention: 'until the person leaves or is removed',
    readers: 'server; members (confidential groups: admins and yourself only); admins',
    columns: {
      rid: ['not personal', 'PostgreSQL only: insertion order (SQLite uses its rowid)'],
      group_id: ['organisational', 'group'], user_id: ['identity', 'member'], role: ['organisational', 'owner, admin or member'],
      via_scim: ['organisational', 'added by the directory'], added_at: ['organisational', 'when added'],
    },
  },
  {
    table: 'chat_group_events', purpose: 'the group\'s membership history shown to members', retention: 'while the group exists',
    readers: 'server; members from when they joined (confidential groups: less)',
    columns: {
      group_id: ['organisational', 'group'], seq: ['organisational', 'event number'], at: ['organisational', 'when'],
      kind: ['organisational', 'created, added, removed, left, promoted, demoted, settings, deactivated'],
      actor: ['identity', 'who did it (userId or "scim")'], subject: ['identity', 'whom it concerned'],
    },
  },
  {
    table: 'attachments', purpose: 'encrypted attachment blobs in transit (metadata; the blob is a file)',
    retention: 'deleted when it expires: unshared uploads soon, shared ones after the retention period', readers: 'server; the uploader and granted devices',
    columns: {
      id: ['communication metadata', 'random attachment id'], owner_user: ['communication metadata', 'uploader'],
      owner_device: ['communication metadata', 'uploader device'], size: ['communication metadata', 'ciphertext size'],
      created_at: ['communication metadata', 'uploaded'], expires_at: ['communication metadata', 'expiry'],
      complete: ['not personal', 'upload finished'], granted: ['communication metadata', 'shared with recipients'],
    },
  },
  {
    table: 'attachment_grants', purpose: 'which devices may download an attachment', retention: 'with its attachment',
    readers: 'server',
    columns: {
      attachment_id: ['communication metadata', 'attachment'], user_id: ['communication metadata', 'recipient'],
      device_id: ['communication metadata', 'recipient device'], fetched_at: ['communication metadata', 'when downloaded'],
    },
  },
  {
    table: 'attachment_chunks', purpose: 'PostgreSQL only: the attachment ciphertext in 1 MiB rows (SQLite keeps it in blobs/)',
    retention: 'deleted with its attachment', readers: 'server; the uploader and granted devices',
    columns: {
      attachment_id: ['communication metadata', 'attachment'], seq: ['not personal', 'chunk number'],
      data: ['encrypted content', 'attachment ciphertext'],
    },
  },
  {
    table: 'working_hours', purpose: 'holding non-urgent messages outside a person\'s working hours', retention: 'until the person changes or clears them',
    readers: 'server; colleagues (availability: off until when)', columns: {
      user_id: ['identity', 'person'], time_zone: ['workplace', 'time zone'], days: ['workplace', 'working days'],
      start_hhmm: ['workplace', 'start of the working day'], end_hhmm: ['workplace', 'end of the working day'], updated_at: ['workplace', 'when changed'],
    },
  },
  {
    table: 'consents', purpose: 'proof that a person accepted the messaging policy version', retention: 'while the account exists',
    readers: 'server; admins', columns: {
      user_id: ['identity', 'person'], version: ['workplace', 'policy version'], accepted_at: ['workplace', 'when'], device_id: ['device', 'on which device'],
    },
  },
  {
    table: 'away_status', purpose: 'a published away notice shown to colleagues', retention: 'until cleared or expired', readers: 'server; colleagues',
    columns: {
      user_id: ['identity', 'person'], text: ['workplace', 'the notice'], away_until: ['workplace', 'until when'],
      outside_hours: ['workplace', 'also outside working hours'], updated_at: ['workplace', 'changed'],
    },
  },
  {
    table: 'company_profile', purpose: 'the organization\'s public profile', retention: 'until changed', readers: 'colleagues',
    columns: {
      id: ['not personal', 'single row'], name: ['not personal', 'company name'], description: ['not personal', 'description'],
      website: ['not personal', 'website'], support: ['not personal', 'support contact'], office_hours: ['not personal', 'office hours'],
      logo: ['not personal', 'logo image'], logo_type: ['not personal', 'logo type'], logo_sha256: ['not personal', 'logo hash'],
      updated_at: ['audit', 'changed'], updated_by: ['identity', 'the admin who changed it'],
    },
  },
  {
    table: 'org_welcome', purpose: 'the welcome message new colleagues see', retention: 'until changed', readers: 'colleagues',
    columns: { id: ['not personal', 'single row'], text: ['not personal', 'welcome text'], updated_at: ['not personal', 'changed'] },
  },
  {
    table: 'stats_daily', purpose: 'aggregate usage counts per day for admins (no per-person data)', retention: 'kept as aggregates',
    readers: 'server; admins', columns: {
      day: ['usage statistics', 'the day counted'], messages_relayed: ['usage statistics', 'messages relayed that day'],
      active_devices: ['usage statistics', 'number of active devices'], active_users: ['usage statistics', 'number of active people'],
      active_groups: ['usage statistics', 'number of active groups'],
    },
  },
  {
    table: 'stats_open', purpose: 'counting distinct active users/devices/groups of the open day', retention: 'deleted when the day is closed into stats_daily',
    readers: 'server', columns: {
      day: ['usage statistics', 'the open day'], kind: ['usage statistics', 'user, device or group'], member: ['identity', 'the id counted'],
    },
  },
  {
    table: 'schema_migrations', purpose: 'schema bookkeeping', retention: 'permanent', readers: 'server',
    columns: { version: ['not personal', 'migration'], name: ['not personal', 'migration name'], applied_at: ['not personal', 'when applied'] },
  },
];

/** SQLite's own bookkeeping: not data the relay chose to keep. */
export const INTERNAL_TABLES: readonly string[] = ['sqlite_sequence'];

/** Tables and columns only one backend has: PostgreSQL keeps attachment ciphertext in rows and insertion order in rid. */
export const BACKEND_ONLY: readonly string[] = [
  'attachment_chunks', 'users.rid', 'scim_users.rid', 'scim_groups.rid', 'chat_group_members.rid', 'sends.id', 'sends.key_hash',
];

export const FILES: readonly FileInventory[] = [
  {
    path: 'parley-server.db', category: 'identity', holds: 'every table above (SQLite; -wal and -shm alongside while it runs)',
    purpose: 'the relay\'s state', retention: 'as each table says', readers: 'the server\'s OS user only (0600 in a 0700 directory)',
  },
  {
    path: 'lease-key.pem', category: 'key material', holds: 'Ed25519 private key that signs offline leases',
    purpose: 'devices trust leases only from this server', retention: 'for the life of the deployment', readers: 'the server\'s OS user only (0600)',
  },
  {
    path: 'blobs/', category: 'encrypted content', holds: 'attachment ciphertext, one file per attachment id',
    purpose: 'attachment transfer', retention: 'deleted with its attachments row', readers: 'the server\'s OS user only (0700, files 0600)',
  },
];

/** One row per column or file, as printed and as JSON. */
export interface InventoryRow {
  table?: string; column?: string; file?: string;
  category: Category; personal: boolean; holds: string; purpose: string; retention: string; readers: string;
}

export function inventoryRows(): InventoryRow[] {
  const rows: InventoryRow[] = [];
  for (const t of TABLES) {
    for (const [column, [category, holds]] of Object.entries(t.columns)) {
      rows.push({ table: t.table, column, category, personal: category !== 'not personal', holds, purpose: t.purpose, retention: t.retention, readers: t.readers });
    }
  }
  for (const f of FILES) {
    rows.push({ file: f.path, category: f.category, personal: f.category !== 'not personal', holds: f.holds, purpose: f.purpose, retention: f.retention, readers: f.readers });
  }
  return rows;
}
