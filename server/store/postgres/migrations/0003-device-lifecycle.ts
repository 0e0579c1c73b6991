// Device lifecycle: remote wipe, revocation, and the append-only audit log (triggers refuse UPDATE, DELETE and
// TRUNCATE, so only a superuser disabling them could rewrite it — and the hash chain would still show it).
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 3,
  name: 'device-lifecycle',
  sql: `
  ALTER TABLE devices ADD COLUMN lifecycle_key BYTEA;
  ALTER TABLE devices ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'wipe-pending', 'wiped', 'revoked'));
  ALTER TABLE devices ADD COLUMN state_changed_at BIGINT;
  ALTER TABLE devices ADD COLUMN wipe_requested_at BIGINT;
  ALTER TABLE devices ADD COLUMN wipe_reason TEXT;

  CREATE TABLE audit_log (
    id               BIGINT PRIMARY KEY,
    at               BIGINT NOT NULL,
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
  CREATE FUNCTION parley_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION parley_append_only();
  CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION parley_append_only();
  `,
};
