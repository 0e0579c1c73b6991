// End-to-end encrypted attachments (server/routes/attachments.ts): the relay keeps opaque ciphertext blobs
// (files under <data>/blobs, see sqlite/attachments.ts) and only this metadata — never a file name, a content
// type or a key.
// - attachments: one row per upload; `size` counts against the owner's quota from the moment it is reserved;
//   `complete` once every byte is on disk; `granted` once the uploader named the recipient devices;
//   `expires_at`: an ungranted upload soon, a granted one after the retention period.
// - attachment_grants: the devices that may fetch the blob; the blob is deleted once all of them fetched it.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 9,
  name: 'attachments',
  sql: `
  CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    owner_user   TEXT NOT NULL,
    owner_device INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    complete     INTEGER NOT NULL DEFAULT 0,
    granted      INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX attachments_owner ON attachments (owner_user);
  CREATE INDEX attachments_expiry ON attachments (expires_at);
  CREATE TABLE attachment_grants (
    attachment_id TEXT NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL,
    device_id     INTEGER NOT NULL,
    fetched_at    INTEGER,
    PRIMARY KEY (attachment_id, user_id, device_id)
  ) WITHOUT ROWID;
  `,
};
