// Storage contract of the workplace rules (issue #14; policy in server/workplace/): each person's own working
// hours, the record of who accepted which messaging-policy version, and the held part of the envelope queue.
// Implemented by sqlite/workplace.ts and postgres/workplace.ts; part of ServerStore as `workplace`.
import type { WorkingHours } from '../../common/wire/org-rules.ts';
import type { StoredEnvelope } from './types.ts';

export interface ConsentRecord {
  userId: string;
  /** The messaging policy's version (MessagingPolicy.version). */
  version: string;
  acceptedAt: number;
  /** The device the person accepted on. */
  deviceId: number;
}

export interface WorkplaceStore {
  /** The person's own working hours; undefined = the org's. */
  hours(userId: string): Promise<(WorkingHours & { updatedAt: number }) | undefined>;
  /** Sets them, or (null) goes back to the org's. */
  setHours(userId: string, hours: WorkingHours | null, now: number): Promise<void>;

  /** This person's acceptance of this version, if any. */
  consent(userId: string, version: string): Promise<ConsentRecord | undefined>;
  /** Records an acceptance; an earlier acceptance of the same version stays as it was (false then). */
  recordConsent(c: ConsentRecord): Promise<boolean>;
  /** Every person's newest acceptance (of any version), by userId. */
  latestConsents(): Promise<Map<string, ConsentRecord>>;

  /**
   * Held delivery: moves envelopes whose deliverAfter is due by `now` into the live queue, at most `limit`, in
   * one transaction, and returns them as stored now. A released envelope gets a FRESH id (larger than any sent to
   * its device), because delivery pumps each device's queue by `id > last sent` and an urgent message may have
   * gone out after it was held. Each is moved at most once, however many nodes release at the same time.
   */
  releaseDue(now: number, limit: number): Promise<StoredEnvelope[]>;
  /**
   * The person's hours changed: every envelope held for them waits until `deliverAfter` instead — or, null, is
   * released now (as releaseDue, returned).
   */
  rehold(userId: string, deliverAfter: number | null): Promise<StoredEnvelope[]>;
  /** When the envelopes held for this person will arrive (the earliest), undefined if none are held. */
  heldUntil(userId: string): Promise<number | undefined>;
}
