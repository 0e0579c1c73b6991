// Admin-governed groups: members with roles, and an append-only event log per group. (IF NOT EXISTS: this
// version was once re-run on databases whose schema had been rolled back by hand.)
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 5,
  name: 'chat-groups',
  sql: `
  CREATE TABLE IF NOT EXISTS chat_groups (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    announcement  INTEGER NOT NULL CHECK (announcement IN (0, 1)),
    confidential  INTEGER NOT NULL CHECK (confidential IN (0, 1)),
    scim_group_id TEXT,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users (user_id),
    updated_at    INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS chat_groups_scim ON chat_groups (scim_group_id) WHERE scim_group_id IS NOT NULL;

  CREATE TABLE IF NOT EXISTS chat_group_members (
    group_id TEXT NOT NULL REFERENCES chat_groups (id),
    user_id  TEXT NOT NULL REFERENCES users (user_id),
    role     TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    via_scim INTEGER NOT NULL CHECK (via_scim IN (0, 1)),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
  );
  CREATE INDEX IF NOT EXISTS chat_group_members_user ON chat_group_members (user_id);

  CREATE TABLE IF NOT EXISTS chat_group_events (
    group_id TEXT NOT NULL REFERENCES chat_groups (id),
    seq      INTEGER NOT NULL,
    at       INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    subject  TEXT,
    PRIMARY KEY (group_id, seq)
  ) WITHOUT ROWID;
  CREATE TRIGGER IF NOT EXISTS chat_group_events_no_update BEFORE UPDATE ON chat_group_events
    BEGIN SELECT RAISE(ABORT, 'chat_group_events is append-only'); END;
  `,
};
