// Storage contract of the relay. Async so a PostgreSQL implementation can follow the SQLite one.
// Binary key material and envelope contents cross this boundary as raw bytes (Uint8Array);
// base64 is a wire concern handled by the routes.

export interface UserRecord {
  userId: string;
  issuer: string;
  sub: string;
  email: string;
  name: string;
  groups: string[];
  createdAt: number;
  updatedAt: number;
}

export interface DeviceRecord {
  userId: string;
  deviceId: number;
  registrationId: number;
  name: string;
  /** sha256 of the credential secret; the secret itself is never stored. */
  credentialHash: Uint8Array;
  identityKey: Uint8Array | null;
  signedPreKey: StoredSignedPreKey | null;
  createdAt: number;
  lastSeen: number;
  /** Raw 32-byte Ed25519 key that signs status checks and wipe receipts; null for devices registered before it existed. */
  lifecycleKey: Uint8Array | null;
  state: DeviceState;
  wipeRequestedAt: number | null;
  wipeReason: string | null;
}

/** active → wipe-pending → wiped; active → revoked (→ wipe-pending if an admin then asks for a wipe). */
export type DeviceState = 'active' | 'wipe-pending' | 'wiped' | 'revoked';

export interface LifecycleChange {
  userId: string;
  deviceId: number;
  state: DeviceState;
  at: number;
  /** Kept with 'wipe-pending' and returned to the device by the status check. */
  reason?: string;
  /** Delete the device's queued envelopes and one-time prekeys. */
  purge: boolean;
}

export type AuditAction = 'wipe requested' | 'wipe confirmed' | 'device revoked' | 'wipe receipt refused';

/** An audit entry before the store numbers and chains it. */
export interface NewAuditRecord {
  at: number;
  actor: { userId: string | null; email: string };
  action: AuditAction;
  target: { userId: string; email: string; deviceId: number | null };
  reason: string;
  outcome: string;
}

export interface AuditRecord extends NewAuditRecord {
  id: number;
  /** sha256 hex over the previous entry's hash and this entry's canonical JSON (see server/audit.ts). */
  hash: string;
}

export interface StoredPreKey { keyId: number; publicKey: Uint8Array }
export interface StoredSignedPreKey extends StoredPreKey { signature: Uint8Array }

/** A device is "active" once it has published its identity key and a signed prekey. */
export interface ActiveDevice { deviceId: number; registrationId: number; identityKey: Uint8Array }

export interface StoredBundle {
  deviceId: number;
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: StoredSignedPreKey;
  preKey?: StoredPreKey;
}

export interface NewEnvelope {
  destUser: string;
  destDevice: number;
  sourceUser: string;
  sourceDevice: number;
  type: 1 | 3;
  content: Uint8Array;
  serverTimestamp: number;
  /** Relayed for this group (POST /v1/groups/:id/messages); absent for 1:1 sends. */
  groupId?: string;
}

export interface StoredEnvelope extends NewEnvelope { id: number }

export interface NewUser { issuer: string; sub: string; email: string; name: string; groups: string[] }

// ---- SCIM 2.0 provisioning (server/scim/) ----
// Every Parley user has a SCIM user row (users who signed in before being provisioned get an "unmanaged" one
// that mirrors their sign-in claims); a SCIM user row may exist before its person ever signs in (userId null).
// A user whose rows are all deleted or inactive is DEACTIVATED: out of the directory, no new devices.

export interface ScimUserRow {
  /** The SCIM id (server-made, never the Parley userId). */
  id: string;
  /** The linked Parley user, once the person registered a device (or signed in before being provisioned). */
  userId: string | null;
  externalId: string | null;
  userName: string;
  active: boolean;
  /** Canonical SCIM attributes (server/scim/schema.ts), extension attributes under their URN; no id/meta/schemas. */
  attrs: Record<string, unknown>;
  /** False while the row only mirrors a just-in-time user's sign-in claims; true once written through SCIM. */
  managed: boolean;
  /** The link-claim value the linked user presented at registration (null if unknown). */
  linkValue: string | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** What a SCIM write stores; userName and active are taken from attrs. */
export interface ScimUserWrite { attrs: Record<string, unknown>; externalId: string | null }

export interface ScimGroupRow {
  id: string;
  externalId: string | null;
  displayName: string;
  /** SCIM user ids, in the order they were added. */
  members: string[];
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface ScimGroupWrite { displayName: string; externalId: string | null; members: string[] }

export type ScimUserFilter = { attr: 'userName' | 'externalId' | 'id' | 'emails'; value: string };
export type ScimGroupFilter = { attr: 'displayName' | 'externalId' | 'id'; value: string };

/** A SCIM write the store refused: a uniqueness conflict or a member that is not a (live) SCIM user. */
export class ScimStoreError extends Error {
  constructor(readonly kind: 'uniqueness' | 'unknown_member', message: string) {
    super(message);
    this.name = 'ScimStoreError';
  }
}

/** createDevice for a user who is deactivated (closes the race between registration and a SCIM deactivation). */
export class AccountDeactivatedError extends Error {
  constructor() {
    super('account deactivated');
    this.name = 'AccountDeactivatedError';
  }
}

export type IdentityResolution =
  | { ok: true; user: UserRecord; scimId: string }
  | { ok: false; reason: 'deactivated' | 'identity_conflict' };

export interface ScimStore {
  listUsers(filter: ScimUserFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimUserRow[] }>;
  getUser(id: string): Promise<ScimUserRow | undefined>;
  /** One transaction; throws ScimStoreError on a userName/externalId conflict. */
  createUser(write: ScimUserWrite, now: number): Promise<ScimUserRow>;
  /**
   * One transaction: reads the row, calls `update` (which may throw: nothing is written), checks uniqueness and
   * writes. If the row is linked, the Parley user's email/name follow. Undefined if there is no such row.
   */
  updateUser(id: string, update: (current: ScimUserRow) => ScimUserWrite, now: number): Promise<ScimUserRow | undefined>;
  /** Marks the row deleted and removes it from its groups; the Parley user stays (deactivated). */
  deleteUser(id: string, now: number): Promise<ScimUserRow | undefined>;
  /** SCIM groups the user belongs to. */
  groupsOf(id: string): Promise<Array<{ id: string; displayName: string }>>;
  /** Display names of these SCIM users (for group member lists). */
  displayOf(ids: string[]): Promise<Map<string, string>>;

  listGroups(filter: ScimGroupFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimGroupRow[] }>;
  getGroup(id: string): Promise<ScimGroupRow | undefined>;
  createGroup(write: ScimGroupWrite, now: number): Promise<ScimGroupRow>;
  updateGroup(id: string, update: (current: ScimGroupRow) => ScimGroupWrite, now: number): Promise<ScimGroupRow | undefined>;
  deleteGroup(id: string): Promise<boolean>;

  /**
   * Registration: which Parley user an ID token is. If a live SCIM user's externalId equals `linkValue`, that SCIM
   * user is the person (an inactive one is refused); otherwise the user (issuer, sub) just in time, refused if
   * SCIM deactivated or deleted it. Creates/updates the Parley user and the link in one transaction.
   */
  resolveIdentity(claims: NewUser, linkValue: string | undefined, now: number): Promise<IdentityResolution>;
}

export interface KeyUpload {
  identityKey?: Uint8Array;
  signedPreKey?: StoredSignedPreKey;
  preKeys: StoredPreKey[];
}

export type KeyUploadResult =
  | { ok: true; count: number }
  | { ok: false; reason: 'identity_required' | 'identity_key_immutable' | 'unknown_device' };

export interface ServerStore {
  createNonce(nonce: string, expiresAt: number): Promise<void>;
  /** Deletes the nonce; true only if it existed and had not expired (single use). */
  consumeNonce(nonce: string, now: number): Promise<boolean>;
  /**
   * Records a single-use token by its hash until `expiresAt`. True the first time; false if the hash is
   * already recorded and not yet expired (a replay). Expired records are swept as a side effect.
   */
  useTokenOnce(tokenHash: Uint8Array, expiresAt: number, now: number): Promise<boolean>;

  /** Just-in-time provisioning: finds the user by (issuer, sub) or creates it; refreshes display attributes. */
  upsertUser(user: NewUser, now: number): Promise<UserRecord>;
  getUser(userId: string): Promise<UserRecord | undefined>;
  /**
   * The directory lookup: case-insensitive; deactivated users (SCIM active=false or deleted) are never returned;
   * if an address was recycled, the most recently updated active user wins.
   */
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  /** Directory search; deactivated users are left out. */
  searchUsers(query: string, limit: number): Promise<UserRecord[]>;
  /** True if SCIM deactivated or deleted this user. */
  isDeactivated(userId: string): Promise<boolean>;
  /**
   * Every user's provisioning state (admin directory): 'deactivated' if SCIM deactivated or deleted them, else
   * 'provisioned' if their live SCIM row was written through SCIM, else 'just-in-time'.
   */
  provisioningStates(): Promise<Map<string, 'provisioned' | 'just-in-time' | 'deactivated'>>;

  /** Throws AccountDeactivatedError if the user is deactivated. */
  createDevice(
    d: { userId: string; registrationId: number; name: string; credentialHash: Uint8Array; lifecycleKey: Uint8Array }, now: number,
  ): Promise<DeviceRecord>;
  getDevice(userId: string, deviceId: number): Promise<DeviceRecord | undefined>;
  touchDevice(userId: string, deviceId: number, now: number): Promise<void>;
  /** Devices with published keys in state 'active' (the only ones others see and encrypt to). */
  activeDevices(userId: string): Promise<ActiveDevice[]>;
  /** Every device of the user, whatever its state. */
  listDevices(userId: string): Promise<DeviceRecord[]>;
  /** All users (or those with this email, case-insensitive) with all their devices. */
  listUsers(email?: string): Promise<Array<{ user: UserRecord; devices: DeviceRecord[] }>>;
  /** Changes a device's lifecycle state and appends the audit entry, in one transaction. */
  changeDeviceState(change: LifecycleChange, audit: NewAuditRecord): Promise<{ device: DeviceRecord; audit: AuditRecord }>;
  /** Appends to the hash-chained, append-only audit log. */
  appendAudit(entry: NewAuditRecord): Promise<AuditRecord>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditRecord[]>;

  uploadKeys(userId: string, deviceId: number, keys: KeyUpload): Promise<KeyUploadResult>;
  countPreKeys(userId: string, deviceId: number): Promise<number>;
  /** Bundles of the active devices (all, or just `deviceId`), each consuming one one-time prekey atomically. */
  takeBundles(userId: string, deviceId?: number): Promise<StoredBundle[]>;

  /**
   * Stores all envelopes in one transaction; returns them with their ids, in id order. Envelopes for a device
   * that is no longer active are dropped (not returned).
   */
  storeEnvelopes(envelopes: NewEnvelope[]): Promise<StoredEnvelope[]>;
  envelopesAfter(userId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]>;
  /** Deletes the envelope only if it is addressed to this device. */
  deleteEnvelope(userId: string, deviceId: number, id: number): Promise<boolean>;

  /** SCIM 2.0 provisioning state. */
  readonly scim: ScimStore;
  /** Admin-governed groups (server/groups/). */
  readonly groups: GroupStore;

  close(): Promise<void>;
}

// ---- groups (server/groups/, wire: common/wire/groups.ts) ----
// Every membership or settings change appends an event to the group's log in the same transaction.

export type GroupRole = 'owner' | 'admin' | 'member';
export type GroupEventKind = 'created' | 'added' | 'removed' | 'left' | 'promoted' | 'demoted' | 'settings' | 'deactivated';
/** A userId, or "scim" for the directory. */
export type GroupActor = string;

export interface GroupRecord {
  id: string;
  name: string;
  announcement: boolean;
  confidential: boolean;
  scimGroupId: string | null;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
}

export interface GroupMemberRecord { userId: string; role: GroupRole; viaScim: boolean; addedAt: number }
export interface GroupEventRecord { seq: number; at: number; kind: GroupEventKind; actor: GroupActor; subject: string | null }
export interface GroupSettingsChange { name?: string; announcement?: boolean; confidential?: boolean; scimGroupId?: string | null }

export interface GroupStore {
  /** Creates the group with its members; logs 'created' (actor = createdBy) and 'added' for every other member. */
  create(group: Omit<GroupRecord, 'updatedAt'>, members: Array<Omit<GroupMemberRecord, 'addedAt'>>): Promise<GroupRecord>;
  get(id: string): Promise<GroupRecord | undefined>;
  /** The user's groups with their role, newest first. */
  listOf(userId: string): Promise<Array<GroupRecord & { role: GroupRole }>>;
  /** Every group of the organization with its member count, newest first (org admins' view). */
  listAll(): Promise<Array<GroupRecord & { memberCount: number }>>;
  members(id: string): Promise<GroupMemberRecord[]>;
  /** False (nothing logged) if already a member. */
  addMember(id: string, member: Omit<GroupMemberRecord, 'addedAt'>, actor: GroupActor, now: number): Promise<boolean>;
  /** False (nothing logged) if not a member. */
  removeMember(id: string, userId: string, kind: 'removed' | 'left' | 'deactivated', actor: GroupActor, now: number): Promise<boolean>;
  setRole(id: string, userId: string, role: 'admin' | 'member', actor: GroupActor, now: number): Promise<'promoted' | 'demoted' | 'unchanged' | 'not_member'>;
  /** Logs 'settings' if anything changed. Unlinking (scimGroupId null) turns directory members into ordinary ones. */
  update(id: string, change: GroupSettingsChange, actor: GroupActor, now: number): Promise<GroupRecord | undefined>;
  events(id: string, afterSeq: number, limit: number): Promise<GroupEventRecord[]>;
  /** Leaver: removes the user from every group with a 'deactivated' event; returns the group ids. */
  removeEverywhere(userId: string, actor: GroupActor, now: number): Promise<string[]>;
  /** Groups linked to this SCIM group. */
  linkedTo(scimGroupId: string): Promise<GroupRecord[]>;
  /** Parley users a SCIM group stands for: live, active, linked and not deactivated; undefined if no such SCIM group. */
  directoryMembers(scimGroupId: string): Promise<string[] | undefined>;
  /**
   * Makes the viaScim members of a linked group equal `desired` (one transaction): adds the missing (as members,
   * viaScim), removes viaScim members no longer desired; people added by hand are left alone.
   */
  syncDirectory(id: string, desired: string[], actor: GroupActor, now: number): Promise<{ added: string[]; removed: string[] }>;
  /** Linked groups whose SCIM group lists this user but that do not have them yet (e.g. registered after the sync). */
  pendingDirectoryGroups(userId: string): Promise<string[]>;
}
