// Admin-governed groups: members with roles, and an append-only event log per group.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 5,
  name: 'chat-groups',
  sql: `
  CREATE TABLE chat_groups (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    announcement  BOOLEAN NOT NULL,
    confidential  BOOLEAN NOT NULL,
    scim_group_id TEXT,
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL REFERENCES users (user_id),
    updated_at    BIGINT NOT NULL
  );
  CREATE INDEX chat_groups_scim ON chat_groups (scim_group_id) WHERE scim_group_id IS NOT NULL;

  CREATE TABLE chat_group_members (
    group_id TEXT NOT NULL REFERENCES chat_groups (id),
    user_id  TEXT NOT NULL REFERENCES users (user_id),
    role     TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    via_scim BOOLEAN NOT NULL,
    added_at BIGINT NOT NULL,
    rid      BIGINT GENERATED ALWAYS AS IDENTITY,
    PRIMARY KEY (group_id, user_id)
  );
  CREATE INDEX chat_group_members_user ON chat_group_members (user_id);

  CREATE TABLE chat_group_events (
    group_id TEXT NOT NULL REFERENCES chat_groups (id),
    seq      INTEGER NOT NULL,
    at       BIGINT NOT NULL,
    kind     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    subject  TEXT,
    PRIMARY KEY (group_id, seq)
  );
  CREATE TRIGGER chat_group_events_no_update BEFORE UPDATE ON chat_group_events
    FOR EACH ROW EXECUTE FUNCTION parley_append_only();
  `,
};
