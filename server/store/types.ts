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
}

export interface StoredEnvelope extends NewEnvelope { id: number }

export interface NewUser { issuer: string; sub: string; email: string; name: string; groups: string[] }

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
  /** Case-insensitive; if an address was recycled, the most recently updated user wins. */
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  searchUsers(query: string, limit: number): Promise<UserRecord[]>;

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

  close(): Promise<void>;
}
