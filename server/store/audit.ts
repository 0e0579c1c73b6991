// The audit trail's contract (implementations: sqlite/audit.ts, postgres/audit.ts; the hash chain:
// server/audit.ts). Re-exported by types.ts, so `import type { NewAuditRecord } from '../store/types.ts'` works.

/**
 * What an audit entry records. Add a name here for a new kind of act (and nothing else: the store, the wire
 * schema's `action` is a plain string, and `parley admin audit` print any name). Never message content.
 */
export type AuditAction =
  // Device lifecycle (routes/admin.ts, routes/lifecycle.ts, routes/devices.ts). 'device revoked' also records an
  // owner removing a device or signing out (actor = the owner; the reason says which).
  | 'wipe requested' | 'wipe confirmed' | 'device revoked' | 'device registered'
  // Accounts made or linked at a person's first sign-in (identity/link.ts).
  | 'user created' | 'user linked'
  /** Written before migration 0011 by unauthenticated wipe receipts; no longer written (old entries stay). */
  | 'wipe receipt refused'
  // SCIM provisioning (routes/scim.ts): actor SCIM_ACTOR.
  | 'scim user created' | 'scim user updated' | 'scim user deactivated' | 'scim user deleted'
  | 'scim group created' | 'scim group updated' | 'scim group deleted'
  // Org admins acting on groups they could not otherwise change (routes/groups.ts).
  | 'group created' | 'group member added' | 'group member removed' | 'group role changed' | 'group settings changed'
  // Workplace rules and consent (H5), retention (H7), org profile (H8).
  | 'policy changed' | 'urgent override' | 'consent accepted' | 'retention changed' | 'org profile changed';

/** Who acted: a signed-in person, or `{ userId: null, email: 'scim' }` (the provisioning client) / 'system'. */
export interface AuditActor { userId: string | null; email: string }

/**
 * What was acted on. A person or one of their devices: `userId`, `email` (at the time), `deviceId` or null — the
 * only shape before migration 0011 (no `kind`). Anything else names its `kind` and `id` (a group id, a SCIM
 * resource id, a policy version) and leaves `userId`/`email` '' unless a person is also concerned (e.g. the
 * member a group change added).
 */
export interface AuditTarget {
  kind?: 'group' | 'scim-user' | 'scim-group' | 'policy' | 'user';
  id?: string;
  userId: string;
  email: string;
  deviceId: number | null;
}

/**
 * Extra facts about an act, e.g. `{ name: 'Finance', role: 'admin' }` or `{ version: 'ab12…' }`: a flat JSON
 * object of short values. Hashed into the chain; never message content, tokens or keys.
 */
export type AuditDetails = Record<string, string | number | boolean | null | string[]>;

/**
 * An audit entry before the store numbers and chains it. Append with `ctx.store.audit.append(entry)` (or inside
 * `ctx.store.transaction`, so the entry commits with the act). Absent optional fields stay absent in the chain.
 */
export interface NewAuditRecord {
  at: number;
  actor: AuditActor;
  action: AuditAction;
  target: AuditTarget;
  /** Why, as the actor said ('' if nothing was said). */
  reason: string;
  /** What happened, in a few words ('done', 'unchanged: already wiped', …). */
  outcome: string;
  details?: AuditDetails;
}

export interface AuditRecord extends NewAuditRecord {
  id: number;
  /** sha256 hex over the previous entry's hash and this entry's canonical JSON (see server/audit.ts). */
  hash: string;
}

export interface AuditStore {
  /** Appends to the hash-chained, append-only audit log. */
  append(entry: NewAuditRecord): Promise<AuditRecord>;
  /** Newest first: at most `limit` entries, only those with `at >= since` and `id < beforeId` if given (paging). */
  list(limit: number, opts?: { since?: number; beforeId?: number }): Promise<AuditRecord[]>;
  /** Every entry in id order, oldest first, a page at a time (for verifying the chain). */
  page(afterId: number, limit: number): Promise<AuditRecord[]>;
  /** The newest entry with this action. */
  latest(action: AuditAction): Promise<AuditRecord | undefined>;
}
