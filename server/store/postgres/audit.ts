// The append-only, hash-chained audit log (chain: server/audit.ts; the table's triggers refuse UPDATE, DELETE
// and TRUNCATE). Appends hold the AUDIT advisory lock, so two nodes never chain to the same predecessor.
import { auditEntry, auditHash, auditRow, GENESIS_HASH, type AuditColumns } from '../../audit.ts';
import type { AuditAction, AuditRecord, AuditStore, NewAuditRecord } from '../types.ts';
import { LOCK, num, str, type Pg, type Row } from './sql.ts';

const toAudit = (r: Row): AuditRecord => auditRow(r as unknown as AuditColumns);

/** Inside the caller's write, which holds the AUDIT lock: numbers the entry and chains it to the last one. */
export async function appendAudit(q: Pg, a: NewAuditRecord): Promise<AuditRecord> {
  const last = await q.row('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const id = last ? num(last.id) + 1 : 1;
  const entry = auditEntry(id, a);
  const hash = auditHash(last ? str(last.hash) : GENESIS_HASH, entry);
  await q.run(
    `INSERT INTO audit_log (id, at, actor_user_id, actor_email, action, target_user_id, target_email, target_device_id, reason, outcome,
       target_kind, target_id, details, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [id, a.at, a.actor.userId, a.actor.email, a.action, a.target.userId, a.target.email, a.target.deviceId, a.reason, a.outcome,
      a.target.kind ?? null, a.target.id ?? null, a.details === undefined ? null : JSON.stringify(a.details), hash],
  );
  return { ...entry, hash };
}

export class PgAuditStore implements AuditStore {
  constructor(private readonly q: Pg) {}

  append(a: NewAuditRecord): Promise<AuditRecord> {
    return this.q.write(() => appendAudit(this.q, a), [LOCK.audit]);
  }

  async list(limit: number, opts: { since?: number; beforeId?: number } = {}): Promise<AuditRecord[]> {
    return (await this.q.rows(
      'SELECT * FROM audit_log WHERE at >= $2 AND id < $3 ORDER BY id DESC LIMIT $1',
      [limit, opts.since ?? 0, opts.beforeId ?? Number.MAX_SAFE_INTEGER],
    )).map(toAudit);
  }

  async latest(action: AuditAction): Promise<AuditRecord | undefined> {
    const r = await this.q.row('SELECT * FROM audit_log WHERE action = $1 ORDER BY id DESC LIMIT 1', [action]);
    return r ? toAudit(r) : undefined;
  }

  async page(afterId: number, limit: number): Promise<AuditRecord[]> {
    return (await this.q.rows('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit])).map(toAudit);
  }
}
