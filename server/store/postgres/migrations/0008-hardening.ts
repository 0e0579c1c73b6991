// Hardening (docs/security.md), as SQLite's 0008:
// - users.groups_at: when the groups claim was last taken from a sign-in (admin rights need a fresh one);
//   existing rows start from their last update, the best guess there is.
// - envelopes.about_group: a 1:1 send about a group (a delivery receipt), stamped after the membership check.
// - sends: the sendIds of accepted sends per device, kept a few hours, so a retried send is stored once.
// - an index to sweep expired registration nonces without a full scan.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 8,
  name: 'hardening',
  sql: `
  ALTER TABLE users ADD COLUMN groups_at BIGINT;
  UPDATE users SET groups_at = updated_at;
  ALTER TABLE envelopes ADD COLUMN about_group TEXT;
  CREATE TABLE sends (
    user_id          TEXT NOT NULL,
    device_id        INTEGER NOT NULL,
    send_id          TEXT NOT NULL,
    server_timestamp BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, send_id)
  );
  CREATE INDEX sends_expiry ON sends (expires_at);
  CREATE INDEX registration_nonces_expiry ON registration_nonces (expires_at);
  `,
};
