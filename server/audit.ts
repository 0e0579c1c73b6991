// The audit log's hash chain: each entry's hash is sha256 (hex) over the previous entry's hash followed by
// the entry's canonical JSON (keys sorted at every level, no whitespace; `hash` itself excluded). Together
// with the SQLite triggers that refuse UPDATE and DELETE, an edited, removed or reordered entry shows up as
// a break in the chain.
import { createHash } from 'node:crypto';
import type { AuditRecord } from './store/types.ts';

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
