// Storage contract of the relay. Async so a PostgreSQL implementation can follow the SQLite one (sqlite/):
// one sub-store per area, each a set of primitives (queries and atomic writes). Policy — who a signed-in
// person is (server/identity/), who may do what (routes, server/groups/) — lives above this line.
// Binary key material and envelope contents cross this boundary as raw bytes (Uint8Array);
// base64 is a wire concern handled by the routes.
import type { AttachmentStore } from './attachments.ts';
import type { BusinessStore } from './business.ts';

export type { AttachmentRecord, AttachmentStore } from './attachments.ts';
export type { AwayRecord, BusinessStore, CompanyProfileRecord, DailyCounts } from './business.ts';
import type { WorkplaceStore } from './workplace.ts';

export type { ConsentRecord, WorkplaceStore } from './workplace.ts';
import type { AuditRecord, AuditStore, NewAuditRecord } from './audit.ts';
import type { EnvelopeStore } from './envelopes.ts';

export type { EnvelopeStore, NewEnvelope, PendingSend, SendOnce, SendOutcome, StoredEnvelope } from './envelopes.ts';

export type {
  AuditAction, AuditActor, AuditDetails, AuditRecord, AuditStore, AuditTarget, NewAuditRecord,
} from './audit.ts';

export interface UserRecord {
  userId: string;
  issuer: string;
  sub: string;
  email: string;
  name: string;
  groups: string[];
  /** When `groups` was last taken from a sign-in (admin rights need a recent one); absent = unknown. */
  groupsAt?: number;
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
  /** 'Linux', 'macOS', 'Windows', … as the client said; '' or absent for devices registered before it was kept. */
  platform?: string;
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

export interface StoredPreKey { keyId: number; publicKey: Uint8Array }
interface StoredSignedPreKey extends StoredPreKey { signature: Uint8Array }

/** A device is "active" once it has published its identity key and a signed prekey. */
export interface ActiveDevice { deviceId: number; registrationId: number; identityKey: Uint8Array }

export interface StoredBundle {
  deviceId: number;
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: StoredSignedPreKey;
  preKey?: StoredPreKey;
}

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

export interface ScimStore {
  listUsers(filter: ScimUserFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimUserRow[] }>;
  getUser(id: string): Promise<ScimUserRow | undefined>;
  /** One transaction; throws ScimStoreError on a userName/externalId conflict. */
  createUser(write: ScimUserWrite, now: number): Promise<ScimUserRow>;
  /**
   * One transaction: reads the row, calls `update` (which may throw: nothing is written), checks uniqueness and
   * writes; the row becomes managed. Undefined if there is no such row.
   */
  updateUser(id: string, update: (current: ScimUserRow) => ScimUserWrite, now: number): Promise<ScimUserRow | undefined>;
  /** Marks the row deleted and removes it from its groups; the Parley user stays (deactivated). */
  deleteUser(id: string, now: number): Promise<ScimUserRow | undefined>;
  /** SCIM groups the user belongs to. */
  groupsOf(id: string): Promise<Array<{ id: string; displayName: string }>>;
  /** The attributes of these SCIM users, deleted ones included (for group member lists). */
  attrsOf(ids: string[]): Promise<Map<string, Record<string, unknown>>>;

  // Primitives of identity linking (server/identity/link.ts), which calls them inside ServerStore.transaction.
  /** The live row whose externalId is this value. */
  liveUserByExternalId(externalId: string): Promise<ScimUserRow | undefined>;
  /** The live row linked to this Parley user (at most one). */
  liveUserOf(userId: string): Promise<ScimUserRow | undefined>;
  /** An unmanaged row for a Parley user who signed in without being provisioned (userName and active from attrs). */
  createUnmanagedUser(userId: string, attrs: Record<string, unknown>, linkValue: string | null, now: number): Promise<ScimUserRow>;
  /** Rewrites an unmanaged row from fresh sign-in claims (no version bump: SCIM did not change it). */
  refreshUnmanagedUser(id: string, attrs: Record<string, unknown>, linkValue: string | null, now: number): Promise<void>;
  /** Links the row to a Parley user; `linkValue` replaces the stored one, or only fills it in if `onlyIfUnset`. */
  linkUser(id: string, userId: string, linkValue: string | null, opts?: { onlyIfUnset?: boolean }): Promise<void>;
  /**
   * Live, active, provisioned rows with an externalId that no Parley user is linked to yet (the person has not
   * signed in), whose attributes contain `query` (case-insensitive; callers filter further): people the
   * directory lists before their first sign-in (server/identity/pending.ts).
   */
  unlinkedMatching(query: string, limit: number): Promise<ScimUserRow[]>;

  listGroups(filter: ScimGroupFilter | null, offset: number, limit: number): Promise<{ total: number; rows: ScimGroupRow[] }>;
  getGroup(id: string): Promise<ScimGroupRow | undefined>;
  createGroup(write: ScimGroupWrite, now: number): Promise<ScimGroupRow>;
  updateGroup(id: string, update: (current: ScimGroupRow) => ScimGroupWrite, now: number): Promise<ScimGroupRow | undefined>;
  deleteGroup(id: string): Promise<boolean>;
}

export interface KeyUpload {
  identityKey?: Uint8Array;
  signedPreKey?: StoredSignedPreKey;
  preKeys: StoredPreKey[];
}

export type KeyUploadResult =
  | { ok: true; count: number }
  | { ok: false; reason: 'identity_required' | 'identity_key_immutable' | 'unknown_device' };

export interface RegistrationStore {
  /**
   * Stores a nonce until `expiresAt`. With `limit`: one transaction sweeps the nonces expired by `limit.now`
   * and refuses (false, nothing stored) when `limit.max` are outstanding.
   */
  createNonce(nonce: string, expiresAt: number, limit?: { now: number; max: number }): Promise<boolean>;
  /** Deletes the nonce; true only if it existed and had not expired (single use). */
  consumeNonce(nonce: string, now: number): Promise<boolean>;
  /**
   * Records a single-use token by its hash until `expiresAt`. True the first time; false if the hash is
   * already recorded and not yet expired (a replay). Expired records are swept as a side effect.
   */
  useTokenOnce(tokenHash: Uint8Array, expiresAt: number, now: number): Promise<boolean>;
}

/** The profile the directory shows, refreshed from sign-in claims or SCIM attributes. */
export interface UserProfile { email: string; name: string; groups?: string[] }

export interface UserStore {
  get(userId: string): Promise<UserRecord | undefined>;
  /** The user of this IdP identity. */
  bySubject(issuer: string, sub: string): Promise<UserRecord | undefined>;
  /** A new user with a fresh opaque id. */
  create(user: NewUser, now: number): Promise<UserRecord>;
  /** Sets email and name (and the groups claim, if given). */
  setProfile(userId: string, profile: UserProfile, now: number): Promise<void>;
  /**
   * The directory lookup: case-insensitive; deactivated users are never returned; if an address was recycled,
   * the most recently updated active user wins.
   */
  findByEmail(email: string): Promise<UserRecord | undefined>;
  /** Directory search over email and name; deactivated users are left out. */
  search(query: string, limit: number): Promise<UserRecord[]>;
  /** DEACTIVATED: the user has SCIM rows and none of them is live and active (SCIM set active=false or deleted it). */
  isDeactivated(userId: string): Promise<boolean>;
  /**
   * Every user's provisioning state (admin directory): 'deactivated' as above, else 'provisioned' if their live
   * SCIM row was written through SCIM, else 'just-in-time'.
   */
  provisioningStates(): Promise<Map<string, 'provisioned' | 'just-in-time' | 'deactivated'>>;
  /** All users (or those with this email, case-insensitive) with all their devices. */
  listWithDevices(email?: string): Promise<Array<{ user: UserRecord; devices: DeviceRecord[] }>>;
}

export interface DeviceStore {
  /** Throws AccountDeactivatedError if the user is deactivated. */
  create(
    d: { userId: string; registrationId: number; name: string; credentialHash: Uint8Array; lifecycleKey: Uint8Array; platform?: string }, now: number,
  ): Promise<DeviceRecord>;
  get(userId: string, deviceId: number): Promise<DeviceRecord | undefined>;
  touch(userId: string, deviceId: number, now: number): Promise<void>;
  /** Devices with published keys in state 'active' (the only ones others see and encrypt to). */
  active(userId: string): Promise<ActiveDevice[]>;
  /**
   * A number that changes whenever what `active` returns may have changed, so a reader may keep its lists while it
   * holds (server/fanout.ts); undefined where the store cannot tell (other processes write the database).
   */
  activeVersion(): number | undefined;
  /** Every device of the user, whatever its state. */
  list(userId: string): Promise<DeviceRecord[]>;
  /** Changes a device's lifecycle state and appends the audit entry, in one transaction. */
  changeState(change: LifecycleChange, audit: NewAuditRecord): Promise<{ device: DeviceRecord; audit: AuditRecord }>;
  /** Sets the name and/or platform the owner chose (fields left out stay); undefined if there is no such device. */
  describe(userId: string, deviceId: number, change: { name?: string; platform?: string }): Promise<DeviceRecord | undefined>;
}

export interface KeyStore {
  upload(userId: string, deviceId: number, keys: KeyUpload): Promise<KeyUploadResult>;
  countPreKeys(userId: string, deviceId: number): Promise<number>;
  /** Bundles of the active devices (all, or just `deviceId`), each consuming one one-time prekey atomically — unless
   * `opts.oneTime` is false: then they carry none and consume nothing (a requester over its allowance, server/limits). */
  takeBundles(userId: string, deviceId?: number, opts?: { oneTime?: boolean }): Promise<StoredBundle[]>;
  /** takeBundles for many users in one transaction (POST /v1/keys/bundles); unknown ones absent, `preKeysLeft` with a prekey. */
  takeBundlesBatch(requests: readonly BundleRequest[]): Promise<BatchBundle[]>;
}
export interface BundleRequest { userId: string; deviceIds?: readonly number[]; oneTime: boolean }
export interface BatchBundle extends StoredBundle { userId: string; preKeysLeft?: number }

export interface ServerStore {
  readonly registration: RegistrationStore;
  readonly users: UserStore;
  readonly devices: DeviceStore;
  readonly keys: KeyStore;
  readonly envelopes: EnvelopeStore;
  readonly audit: AuditStore;
  /** SCIM 2.0 provisioning state. */
  readonly scim: ScimStore;
  /** Admin-governed groups (server/groups/). */
  readonly groups: GroupStore;
  /** Company profile, welcome message, published away status, aggregate daily counters (server/business/). */
  readonly business: BusinessStore;
  /** End-to-end encrypted attachment blobs and their grants. */
  readonly attachments: AttachmentStore;
  /** Working hours, consent records, held delivery (server/workplace/). */
  readonly workplace: WorkplaceStore;
  /**
   * Runs `fn` as one transaction: every store call made from `fn` (and what it awaits) commits with it or, if
   * `fn` throws, not at all; other callers never see its writes before it commits. SQLite: other callers wait
   * while it runs. PostgreSQL: writes that check before writing (registration, SCIM, groups) wait on the same
   * cluster-wide lock; plain reads and the envelope/key/nonce paths do not. Nested calls join the outer
   * transaction. Keep it short: no network I/O inside.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
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
