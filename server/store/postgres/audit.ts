// The append-only, hash-chained audit log (chain: server/audit.ts; the table's triggers refuse UPDATE, DELETE
// and TRUNCATE). Appends hold the AUDIT advisory lock, so two nodes never chain to the same predecessor.
import { auditHash, GENESIS_HASH } from '../../audit.ts';
import type { AuditRecord, AuditStore, NewAuditRecord } from '../types.ts';
import { LOCK, num, numOrNull, str, strOrNull, type Pg, type Row } from './sql.ts';

function toAudit(r: Row): AuditRecord {
  return {
    id: num(r.id), at: num(r.at),
    actor: { userId: strOrNull(r.actor_user_id), email: str(r.actor_email) },
    action: str(r.action) as AuditRecord['action'],
    target: { userId: str(r.target_user_id), email: str(r.target_email), deviceId: numOrNull(r.target_device_id) },
    reason: str(r.reason), outcome: str(r.outcome), hash: str(r.hash),
  };
}

/** Inside the caller's write, which holds the AUDIT lock: numbers the entry and chains it to the last one. */
export async function appendAudit(q: Pg, a: NewAuditRecord): Promise<AuditRecord> {
  const last = await q.row('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const id = last ? num(last.id) + 1 : 1;
  const entry = { id, ...a };
  const hash = auditHash(last ? str(last.hash) : GENESIS_HASH, entry);
  await q.run(
    `INSERT INTO audit_log (id, at, actor_user_id, actor_email, action, target_user_id, target_email, target_device_id, reason, outcome, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [id, a.at, a.actor.userId, a.actor.email, a.action, a.target.userId, a.target.email, a.target.deviceId, a.reason, a.outcome, hash],
  );
  return { ...entry, hash };
}

export class PgAuditStore implements AuditStore {
  constructor(private readonly q: Pg) {}

  append(a: NewAuditRecord): Promise<AuditRecord> {
    return this.q.write(() => appendAudit(this.q, a), [LOCK.audit]);
  }

  async list(limit: number): Promise<AuditRecord[]> {
    return (await this.q.rows('SELECT * FROM audit_log ORDER BY id DESC LIMIT $1', [limit])).map(toAudit);
  }
}
