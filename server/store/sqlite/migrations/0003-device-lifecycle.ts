// Device lifecycle: remote wipe, revocation, and the append-only audit log.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 3,
  name: 'device-lifecycle',
  sql: `
  ALTER TABLE devices ADD COLUMN lifecycle_key BLOB;
  ALTER TABLE devices ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'wipe-pending', 'wiped', 'revoked'));
  ALTER TABLE devices ADD COLUMN state_changed_at INTEGER;
  ALTER TABLE devices ADD COLUMN wipe_requested_at INTEGER;
  ALTER TABLE devices ADD COLUMN wipe_reason TEXT;

  CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY,
    at               INTEGER NOT NULL,
    actor_user_id    TEXT,
    actor_email      TEXT NOT NULL,
    action           TEXT NOT NULL,
    target_user_id   TEXT NOT NULL,
    target_email     TEXT NOT NULL,
    target_device_id INTEGER,
    reason           TEXT NOT NULL,
    outcome          TEXT NOT NULL,
    hash             TEXT NOT NULL
  );
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  `,
};
