// End-to-end encrypted attachments, as SQLite's 0009 — except the ciphertext itself: nodes of a cluster share
// no file system, so the blob lives in the database as attachment_chunks (1 MiB BYTEA rows, written and read
// one at a time so no node ever holds a whole file; see postgres/attachments.ts).
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 9,
  name: 'attachments',
  sql: `
  CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    owner_user   TEXT NOT NULL,
    owner_device INTEGER NOT NULL,
    size         BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    complete     BOOLEAN NOT NULL DEFAULT FALSE,
    granted      BOOLEAN NOT NULL DEFAULT FALSE
  );
  CREATE INDEX attachments_owner ON attachments (owner_user);
  CREATE INDEX attachments_expiry ON attachments (expires_at);
  CREATE TABLE attachment_grants (
    attachment_id TEXT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    device_id     INTEGER NOT NULL,
    fetched_at    BIGINT,
    PRIMARY KEY (attachment_id, user_id, device_id)
  );
  CREATE TABLE attachment_chunks (
    attachment_id TEXT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    seq           INTEGER NOT NULL,
    data          BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, seq)
  );
  ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
  `,
};
