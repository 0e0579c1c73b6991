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

  createDevice(d: { userId: string; registrationId: number; name: string; credentialHash: Uint8Array }, now: number): Promise<DeviceRecord>;
  getDevice(userId: string, deviceId: number): Promise<DeviceRecord | undefined>;
  touchDevice(userId: string, deviceId: number, now: number): Promise<void>;
  activeDevices(userId: string): Promise<ActiveDevice[]>;

  uploadKeys(userId: string, deviceId: number, keys: KeyUpload): Promise<KeyUploadResult>;
  countPreKeys(userId: string, deviceId: number): Promise<number>;
  /** Bundles of the active devices (all, or just `deviceId`), each consuming one one-time prekey atomically. */
  takeBundles(userId: string, deviceId?: number): Promise<StoredBundle[]>;

  /** Stores all envelopes in one transaction; returns them with their ids, in id order. */
  storeEnvelopes(envelopes: NewEnvelope[]): Promise<StoredEnvelope[]>;
  envelopesAfter(userId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]>;
  /** Deletes the envelope only if it is addressed to this device. */
  deleteEnvelope(userId: string, deviceId: number, id: number): Promise<boolean>;

  close(): Promise<void>;
}
