// The append-only, hash-chained audit log (chain: server/audit.ts; the table's triggers refuse UPDATE and DELETE).
import { auditEntry, auditHash, auditRow, GENESIS_HASH, type AuditColumns } from '../../audit.ts';
import type { AuditAction, AuditRecord, AuditStore, NewAuditRecord } from '../types.ts';
import { num, str, type Row, type Sql } from './sql.ts';

const toAudit = (r: Row): AuditRecord => auditRow(r as unknown as AuditColumns);

/** Inside the caller's transaction: numbers the entry and chains it to the last one. */
export function appendAudit(q: Sql, a: NewAuditRecord): AuditRecord {
  const last = q.get('SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1');
  const id = last ? num(last.id) + 1 : 1;
  const entry = auditEntry(id, a);
  const hash = auditHash(last ? str(last.hash) : GENESIS_HASH, entry);
  q.run(
    `INSERT INTO audit_log (id, at, actor_user_id, actor_email, action, target_user_id, target_email, target_device_id, reason, outcome,
       target_kind, target_id, details, hash)
     VALUES ($id, $at, $actorUserId, $actorEmail, $action, $targetUserId, $targetEmail, $targetDeviceId, $reason, $outcome,
       $targetKind, $targetId, $details, $hash)`,
    {
      id, at: a.at, actorUserId: a.actor.userId, actorEmail: a.actor.email, action: a.action,
      targetUserId: a.target.userId, targetEmail: a.target.email, targetDeviceId: a.target.deviceId,
      reason: a.reason, outcome: a.outcome, targetKind: a.target.kind ?? null, targetId: a.target.id ?? null,
      details: a.details === undefined ? null : JSON.stringify(a.details), hash,
    },
  );
  return { ...entry, hash };
}

export class SqliteAuditStore implements AuditStore {
  constructor(private readonly q: Sql) {}

  append(a: NewAuditRecord): Promise<AuditRecord> {
    return this.q.write(() => appendAudit(this.q, a));
  }

  list(limit: number, opts: { since?: number; beforeId?: number } = {}): Promise<AuditRecord[]> {
    return this.q.plain(() => this.q.all(
      'SELECT * FROM audit_log WHERE at >= $since AND id < $before ORDER BY id DESC LIMIT $limit',
      { limit, since: opts.since ?? 0, before: opts.beforeId ?? Number.MAX_SAFE_INTEGER },
    ).map(toAudit));
  }

  latest(action: AuditAction): Promise<AuditRecord | undefined> {
    return this.q.plain(() => {
      const r = this.q.get('SELECT * FROM audit_log WHERE action = $action ORDER BY id DESC LIMIT 1', { action });
      return r ? toAudit(r) : undefined;
    });
  }

  page(afterId: number, limit: number): Promise<AuditRecord[]> {
    return this.q.plain(() => this.q.all('SELECT * FROM audit_log WHERE id > $after ORDER BY id LIMIT $limit', { after: afterId, limit }).map(toAudit));
  }
}
