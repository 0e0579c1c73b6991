// Business tools (issue #15, server/business/):
// - company_profile: one row (id 1), the logo's bytes inline (capped at 256 KiB by the route).
// - org_welcome: one row, the message every new member sees at first sign-in.
// - away_status: a user's away text, only when they chose to publish it.
// - stats_daily: closed days' plain totals (no user, device or pair in any row).
// - stats_open: the distinct users/devices/groups of days still open; a day's rows are deleted when it is
//   closed into stats_daily, so no per-person trace outlives its day.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 13,
  name: 'business',
  sql: `
  CREATE TABLE company_profile (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    website       TEXT NOT NULL,
    support       TEXT NOT NULL,
    office_hours  TEXT NOT NULL,
    logo          BLOB,
    logo_type     TEXT,
    logo_sha256   TEXT,
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT NOT NULL
  );
  CREATE TABLE org_welcome (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    text        TEXT,
    updated_at  INTEGER NOT NULL
  );
  CREATE TABLE away_status (
    user_id       TEXT PRIMARY KEY,
    text          TEXT NOT NULL,
    away_until       INTEGER,
    outside_hours INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE stats_daily (
    day              TEXT PRIMARY KEY,
    messages_relayed INTEGER NOT NULL DEFAULT 0,
    active_devices   INTEGER,
    active_users     INTEGER,
    active_groups    INTEGER
  ) WITHOUT ROWID;
  CREATE TABLE stats_open (
    day    TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('u', 'd', 'g')),
    member TEXT NOT NULL,
    PRIMARY KEY (day, kind, member)
  ) WITHOUT ROWID;
  `,
};
