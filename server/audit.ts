// The audit log's hash chain: each entry's hash is sha256 (hex) over the previous entry's hash followed by
// the entry's canonical JSON (keys sorted at every level, no whitespace; `hash` itself excluded). Together
// with the SQLite triggers that refuse UPDATE and DELETE, an edited, removed or reordered entry shows up as
// a break in the chain.
import { createHash } from 'node:crypto';
import type { AuditDetails, AuditRecord, NewAuditRecord } from './store/types.ts';

/** The "previous hash" of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).filter((k) => obj[k] !== undefined).sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function auditHash(previousHash: string, entry: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...body } = entry;
  return createHash('sha256').update(previousHash + canonicalJson(body)).digest('hex');
}

/**
 * The entry `appendAudit` hashes and stores: `details` as it will read back from its JSON column (so the hash
 * computed now is the one a verifier recomputes), absent optional fields left out.
 */
export function auditEntry(id: number, a: NewAuditRecord): Omit<AuditRecord, 'hash'> {
  const { details, target, ...rest } = a;
  const { kind, id: targetId, ...person } = target;
  return {
    id, ...rest,
    target: { ...(kind !== undefined ? { kind } : {}), ...(targetId !== undefined ? { id: targetId } : {}), ...person },
    ...(details !== undefined ? { details: JSON.parse(JSON.stringify(details)) as AuditDetails } : {}),
  };
}

/** The audit_log row as both stores return it (column names of the schema). */
export interface AuditColumns {
  id: number; at: number; actor_user_id: string | null; actor_email: string; action: string;
  target_user_id: string; target_email: string; target_device_id: number | null; reason: string; outcome: string;
  /** Since migration 0011; NULL on older rows, which therefore read back exactly as they were hashed. */
  target_kind?: string | null; target_id?: string | null; details?: string | null;
  hash: string;
}

/** A stored row as the record that was hashed (throws on a row that is not even well-formed). */
export function auditRow(r: AuditColumns): AuditRecord {
  const text = (v: unknown, col: string): string => {
    if (typeof v !== 'string') throw new Error(`audit_log.${col} is not text`);
    return v;
  };
  const int = (v: unknown, col: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`audit_log.${col} is not an integer`);
    return v;
  };
  let details: AuditDetails | undefined;
  if (r.details != null) {
    const parsed: unknown = JSON.parse(text(r.details, 'details'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('audit_log.details is not a JSON object');
    details = parsed as AuditDetails;
  }
  return {
    id: int(r.id, 'id'), at: int(r.at, 'at'),
    actor: { userId: r.actor_user_id == null ? null : text(r.actor_user_id, 'actor_user_id'), email: text(r.actor_email, 'actor_email') },
    action: text(r.action, 'action') as AuditRecord['action'],
    target: {
      ...(r.target_kind != null ? { kind: text(r.target_kind, 'target_kind') as NonNullable<AuditRecord['target']['kind']> } : {}),
      ...(r.target_id != null ? { id: text(r.target_id, 'target_id') } : {}),
      userId: text(r.target_user_id, 'target_user_id'), email: text(r.target_email, 'target_email'),
      deviceId: r.target_device_id == null ? null : int(r.target_device_id, 'target_device_id'),
    },
    reason: text(r.reason, 'reason'), outcome: text(r.outcome, 'outcome'),
    ...(details !== undefined ? { details } : {}),
    hash: text(r.hash, 'hash'),
  };
}

/** Checks a complete log given in id order (oldest first); returns the id of the first bad entry, or null. */
export function verifyAuditChain(entries: ReadonlyArray<Omit<AuditRecord, 'hash'> & { hash: string }>): number | null {
  let previous = GENESIS_HASH;
  let expectedId = 1;
  for (const e of entries) {
    if (e.id !== expectedId || auditHash(previous, e) !== e.hash) return e.id;
    previous = e.hash;
    expectedId++;
  }
  return null;
}

/** The first break in a chain: the entry where verification stops, and why (one sentence). */
export interface ChainBreak { id: number; problem: string }

/**
 * Verifies a log fed a row at a time in id order (so `parley-server audit verify` never holds the whole log):
 * every id in sequence from 1, every row well-formed, every hash over its predecessor's hash and its content.
 */
export class ChainVerifier {
  #previous = GENESIS_HASH;
  #expected = 1;
  #broken: ChainBreak | null = null;

  /** Feeds the next stored row; returns the break once there is one (later rows change nothing). */
  push(row: AuditColumns): ChainBreak | null {
    if (this.#broken) return this.#broken;
    const id = typeof row.id === 'number' ? row.id : Number(row.id);
    if (id !== this.#expected) {
      return (this.#broken = id > this.#expected
        ? { id: this.#expected, problem: `entry ${this.#expected} is missing (the next stored entry is ${id})` }
        : { id, problem: `entry ${id} is out of order (expected ${this.#expected})` });
    }
    let entry: AuditRecord;
    try {
      entry = auditRow(row);
    } catch (err) {
      return (this.#broken = { id, problem: `entry ${id} is unreadable: ${(err as Error).message}` });
    }
    if (auditHash(this.#previous, entry) !== entry.hash) {
      return (this.#broken = { id, problem: `entry ${id} does not match its hash (its content, or the hash of entry ${id - 1} it chains to, was changed)` });
    }
    this.#previous = entry.hash;
    this.#expected++;
    return null;
  }

  /** Entries verified so far. */
  get count(): number { return this.#expected - 1; }
  /** The hash of the last verified entry (GENESIS_HASH if none): record it elsewhere to detect a cut-off tail later. */
  get head(): string { return this.#previous; }
}
