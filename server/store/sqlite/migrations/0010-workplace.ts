// Workplace rules (issue #14): each user's own working hours (within the org's, server/workplace/), who accepted
// which messaging-policy version from which device, and held delivery — an envelope with deliver_after is kept
// out of fetch and push until then (server/workplace/release.ts moves it into the live queue).
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 10,
  name: 'workplace',
  sql: `
  CREATE TABLE working_hours (
    user_id    TEXT PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    time_zone  TEXT NOT NULL,
    days       TEXT NOT NULL,
    start_hhmm TEXT NOT NULL,
    end_hhmm   TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE consents (
    user_id     TEXT NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    version     TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    device_id   INTEGER NOT NULL,
    PRIMARY KEY (user_id, version)
  );
  ALTER TABLE envelopes ADD COLUMN deliver_after INTEGER;
  CREATE INDEX envelopes_held ON envelopes (deliver_after) WHERE deliver_after IS NOT NULL;
  CREATE INDEX envelopes_held_user ON envelopes (dest_user) WHERE deliver_after IS NOT NULL;
  `,
};
