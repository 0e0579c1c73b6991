// Storage contract of the relay queue (part of ServerStore as `envelopes`; sqlite/envelopes.ts and
// postgres/envelopes.ts): envelopes wait per device until it acknowledges them, and sendId records answer a
// retried send once.

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
  /** A 1:1 send about this group (a delivery receipt), after the server checked both ends are members. */
  aboutGroup?: string;
  /** Held delivery: kept out of fetch and push until this time (the recipient is off work; server/workplace/). */
  deliverAfter?: number;
  /**
   * `content` as the sender's canonical base64 (checked: it decodes to `content` and back), kept in memory only
   * so that delivery need not encode it again; never stored.
   */
  contentBase64?: string;
}

/** A send that carried a client sendId: stored at most once per (device, sendId) while the record lives. */
export interface SendOnce {
  userId: string;
  deviceId: number;
  sendId: string;
  serverTimestamp: number;
  /** The record is forgotten after this. */
  expiresAt: number;
  now: number;
}

export interface StoredEnvelope extends NewEnvelope { id: number }

/** One send of a group commit (server/delivery.ts): its envelopes and, with a client sendId, its record (as storeOnce). */
export interface PendingSend { envelopes: NewEnvelope[]; once?: SendOnce }
/** What one send of storeMany came to: as storeOnce or store would answer, or why it failed. */
export type SendOutcome = { ok: { stored: StoredEnvelope[] } | { duplicateOf: number } } | { err: unknown };

export interface EnvelopeStore {
  /**
   * Stores all envelopes in one transaction; returns them with their ids, in id order. Envelopes for a device
   * that is no longer active are dropped (not returned).
   */
  store(envelopes: NewEnvelope[]): Promise<StoredEnvelope[]>;
  after(userId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]>;
  /** Deletes the envelope only if it is addressed to this device. */
  delete(userId: string, deviceId: number, id: number): Promise<boolean>;
  /** `delete` for each of these acknowledgements, in one call (the acks of a group commit); returns how many went. */
  deleteMany(acks: { userId: string; deviceId: number; id: number }[]): Promise<number>;
  /** The serverTimestamp of an earlier accepted send of this device with this sendId (not yet expired). */
  findSend(userId: string, deviceId: number, sendId: string, now: number): Promise<number | undefined>;
  /**
   * `store` and a record of the send, in one transaction — unless the device already has an unexpired send
   * with this sendId: then nothing is stored and the earlier serverTimestamp comes back. Sweeps expired records.
   */
  storeOnce(envelopes: NewEnvelope[], send: SendOnce): Promise<{ stored: StoredEnvelope[] } | { duplicateOf: number }>;
  /**
   * Several sends in the caller's transaction, in order, each as `storeOnce` (with `once`) or `store` would
   * store it: one outcome per send, and a send that fails fails alone. Ids follow the order of the sends.
   */
  storeMany(sends: PendingSend[]): Promise<SendOutcome[]>;
  /**
   * Org retention: deletes queued envelopes accepted before `before` (serverTimestamp, ms), at most `limit` of
   * them (a sweep runs in short batches); returns how many went.
   */
  expire(before: number, limit: number): Promise<number>;
}
