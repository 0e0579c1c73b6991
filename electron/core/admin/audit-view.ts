// The audit log as people read it: `{ at, actor, action, target, details }` with `at` an ISO time, `actor` and
// `target` one readable string each, and everything else (reason, outcome, the entry's own details) under
// `details`. Shared by `parley admin audit` (text, --json, --csv) and the admin console.
import type * as L from '../../../common/wire/lifecycle.ts';

export interface AuditView {
  at: string;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

/** "bob@acme.test device 2", "group Finance (g_…) member dave@acme.test", "SCIM user erin@acme.test", "policy ab12…". */
export function auditTarget(e: L.AuditEntry): string {
  const t = e.target;
  const d = e.details ?? {};
  const person = t.email || t.userId;
  switch (t.kind) {
    case undefined:
      return `${person}${t.deviceId === null ? '' : ` device ${t.deviceId}`}`;
    case 'user':
      return person;
    case 'group':
      return `group ${typeof d.group === 'string' ? `${d.group} (${t.id})` : t.id}${person ? ` member ${person}` : ''}`;
    case 'scim-user':
      return `SCIM user ${t.email || (typeof d.userName === 'string' ? d.userName : '') || t.id}`;
    case 'scim-group':
      return `SCIM group ${typeof d.displayName === 'string' ? d.displayName : t.id}`;
    default:
      return `${t.kind} ${t.id ?? ''}${person ? ` ${person}` : ''}`.trim();
  }
}

export function auditView(e: L.AuditEntry): AuditView {
  return {
    at: new Date(e.at).toISOString(),
    actor: e.actor.email || e.actor.userId || 'unknown',
    action: e.action,
    target: auditTarget(e),
    details: { ...(e.reason ? { reason: e.reason } : {}), ...(e.outcome ? { outcome: e.outcome } : {}), ...e.details },
  };
}

/**
 * `--since`: a date (2026-01-31, midnight UTC) or a full ISO time with a zone (2026-01-31T09:00:00Z,
 * …+01:00). Anything else is undefined (the caller says what it wants).
 */
export function parseSince(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) return undefined;
  const t = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isFinite(t) && t >= 0 ? t : undefined;
}

/** A spreadsheet cell: RFC 4180 quoting, and a leading ' before = + - @ so no cell runs as a formula. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const CSV_HEADER = 'at,actor,action,target,details';

export function csvRow(v: AuditView): string {
  return [v.at, v.actor, v.action, v.target, JSON.stringify(v.details)].map(csvCell).join(',');
}
