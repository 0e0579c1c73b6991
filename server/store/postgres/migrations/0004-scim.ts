// SCIM 2.0 provisioning: users (every existing user gets an unmanaged row mirroring its claims), groups, members.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 4,
  name: 'scim',
  sql: `
  CREATE TABLE scim_users (
    id          TEXT PRIMARY KEY,
    user_id     TEXT REFERENCES users (user_id),
    external_id TEXT,
    user_name   TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    attrs_json  TEXT NOT NULL,
    managed     BOOLEAN NOT NULL,
    link_value  TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT,
    rid         BIGINT GENERATED ALWAYS AS IDENTITY
  );
  CREATE UNIQUE INDEX scim_users_user ON scim_users (user_id) WHERE user_id IS NOT NULL AND deleted_at IS NULL;
  CREATE UNIQUE INDEX scim_users_external ON scim_users (external_id) WHERE external_id IS NOT NULL AND deleted_at IS NULL;
  CREATE INDEX scim_users_user_name ON scim_users (lower(user_name)) WHERE deleted_at IS NULL;
  INSERT INTO scim_users (id, user_id, external_id, user_name, active, attrs_json, managed, link_value, created_at, updated_at)
    SELECT replace(gen_random_uuid()::text, '-', ''), user_id, NULL, CASE WHEN email = '' THEN sub ELSE email END, true,
      json_build_object('userName', CASE WHEN email = '' THEN sub ELSE email END, 'displayName', name,
        'emails', CASE WHEN email = '' THEN json_build_array()
                  ELSE json_build_array(json_build_object('value', email, 'type', 'work', 'primary', true)) END)::text,
      false, NULL, created_at, updated_at
    FROM users ORDER BY rid;

  CREATE TABLE scim_groups (
    id           TEXT PRIMARY KEY,
    external_id  TEXT,
    display_name TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    rid          BIGINT GENERATED ALWAYS AS IDENTITY
  );
  CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (lower(display_name));

  CREATE TABLE scim_group_members (
    group_id  TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    member_id TEXT NOT NULL REFERENCES scim_users (id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id)
  );
  CREATE INDEX scim_group_members_member ON scim_group_members (member_id);
  `,
};
