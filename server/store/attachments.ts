// The attachment area of the ServerStore contract (types.ts), in a file of its own: opaque ciphertext blobs
// (SQLite: files under <data>/blobs; PostgreSQL: chunk rows) and which devices may fetch them. The routes
// (server/routes/attachments.ts) decide who may do what; this is storage only.

export interface AttachmentRecord {
  id: string;
  ownerUser: string;
  ownerDevice: number;
  /** Ciphertext bytes (counted against the owner's quota from the moment they are reserved). */
  size: number;
  createdAt: number;
  expiresAt: number;
  /** Every byte is stored (an incomplete upload is never served). */
  complete: boolean;
  /** The uploader named the recipient devices. */
  granted: boolean;
}

export interface AttachmentStore {
  /**
   * Records an upload about to start, if the owner's stored bytes plus `size` stay within `quotaBytes`
   * (atomically, also across nodes); false (nothing stored) otherwise.
   */
  reserve(a: Omit<AttachmentRecord, 'complete' | 'granted'>, quotaBytes: number): Promise<boolean>;
  /**
   * Stores the blob of a reserved upload from `chunks` without holding it in memory; marks it complete only
   * when exactly `size` bytes came. Throws (nothing kept) if the source fails or the count differs.
   */
  writeBlob(id: string, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** The blob's bytes in order, a chunk at a time (a complete attachment only). */
  readBlob(id: string): AsyncIterable<Uint8Array>;
  get(id: string): Promise<AttachmentRecord | undefined>;
  /** Adds devices that may fetch, marks the upload granted and sets its expiry; false if no such attachment. */
  grant(id: string, devices: Array<{ userId: string; deviceId: number }>, expiresAt: number): Promise<boolean>;
  /** Whether this device was granted the attachment. */
  isGranted(id: string, userId: string, deviceId: number): Promise<boolean>;
  /** Records a finished fetch; true when every granted device has now fetched it. */
  markFetched(id: string, userId: string, deviceId: number, now: number): Promise<boolean>;
  /** Deletes the record, its grants and its blob; false if there was none. */
  delete(id: string): Promise<boolean>;
  /** Ids of attachments whose expiry passed (at most `limit`). */
  expired(now: number, limit: number): Promise<string[]>;
  /** Ids of attachments uploaded before `before` (org retention, server/retention/), oldest first, at most `limit`. */
  createdBefore(before: number, limit: number): Promise<string[]>;
  /** Bytes the user's attachments occupy (reserved or stored). */
  usage(userId: string): Promise<number>;
}

