// sendId records (finding 10: a retried send is answered with its first result) become an append-only log,
// found through an index the store keeps in memory (sqlite/send-records.ts). In the WITHOUT ROWID table
// clustered by (user_id, device_id, send_id) every record went to a random page, since sendIds are random, and
// a group commit of ~1,700 sends dirtied and wrote back as many pages: ~10 µs a send on the relay, as much as the
// rest of its database work. `key_hash` (48 bits of SHA-256 over the key: sqlite/send-key.ts) rebuilds the
// index at start-up; `expires_at` grows with `id`, so expired records are the oldest rows.
// The old records are not carried over: they only guard a 2-hour window, and a retry in flight across the
// upgrade that is queued twice is dropped by the receiver, which knows the message id.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 14,
  name: 'send-records',
  sql: `
  DROP TABLE sends;
  CREATE TABLE sends (
    id               INTEGER PRIMARY KEY,
    key_hash         INTEGER NOT NULL,
    user_id          TEXT NOT NULL,
    device_id        INTEGER NOT NULL,
    send_id          TEXT NOT NULL,
    server_timestamp INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
  );
  `,
};
