// The append-only, hash-chained audit log (chain: server/audit.ts; the table's triggers refuse UPDATE and DELETE).
import { auditHash, GENESIS_HASH } from '../../audit.ts';
import type { AuditRecord, AuditStore, NewAuditRecord } from '../types.ts';
import { num, numOrNull, str, strOrNull, type Row, type Sql } from './sql.ts';

function toAudit(r: Row): AuditRecord {
  return {
    id: num(r.id), at: num(r.at),
    actor: { userId: strOrNull(r.actor_user_id), email: str(r.actor_email) },
    action: str(r.action) as AuditRecord['action'],
    target: { userId: str(r.target_user_id), email: str(r.target_email), deviceId: numOrNull(r.target_device_id) },
    reason: str(r.reason), outcome: str(r.outcome), hash: str(r.hash),
  };
}

/** Inside the caller's transaction: numbers the entry and chains it to the last one. */
export function appendAudit(q: Sql, a: NewAuditRecord): AuditRecord {
  const last = q.get('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const id = last ? num(last.id) + 1 : 1;
  const entry = { id, ...a };
  const hash = auditHash(last ? str(last.hash) : GENESIS_HASH, entry);
  q.run(
    `INSERT INTO audit_log (id, at, actor_user_id, actor_email, action, target_user_id, target_email, target_device_id, reason, outcome, hash)
     VALUES ($id, $at, $actorUserId, $actorEmail, $action, $targetUserId, $targetEmail, $targetDeviceId, $reason, $outcome, $hash)`,
    {
      id, at: a.at, actorUserId: a.actor.userId, actorEmail: a.actor.email, action: a.action,
      targetUserId: a.target.userId, targetEmail: a.target.email, targetDeviceId: a.target.deviceId,
      reason: a.reason, outcome: a.outcome, hash,
    },
  );
  return { ...entry, hash };
}

export class SqliteAuditStore implements AuditStore {
  constructor(private readonly q: Sql) {}

  append(a: NewAuditRecord): Promise<AuditRecord> {
    return this.q.write(() => appendAudit(this.q, a));
  }

  list(limit: number): Promise<AuditRecord[]> {
    return this.q.plain(() => this.q.all('SELECT * FROM audit_log ORDER BY id DESC LIMIT $limit', { limit }).map(toAudit));
  }
}
