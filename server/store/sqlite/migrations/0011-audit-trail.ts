// The complete audit trail: entries about groups, SCIM resources and policy versions (target_kind, target_id)
// and a JSON `details` object. Old rows keep NULLs there, which read back as absent fields, so their hashes
// still verify. ADD COLUMN rewrites no row (the triggers refusing UPDATE stay untouched).
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 11,
  name: 'audit-trail',
  sql: `
  ALTER TABLE audit_log ADD COLUMN target_kind TEXT;
  ALTER TABLE audit_log ADD COLUMN target_id TEXT;
  ALTER TABLE audit_log ADD COLUMN details TEXT;
  CREATE INDEX audit_log_at ON audit_log (at);
  `,
};
