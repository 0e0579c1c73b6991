// sendId records (finding 10: a retried send is answered with its first result) kept in arrival order instead
// of in a WITHOUT ROWID table clustered by (user_id, device_id, send_id). sendIds are random, so every record
// went to a random page of that tree, and a group commit of ~1,700 sends dirtied and wrote ~1,700 pages: ~10 µs
// per send on the relay, as much as the rest of its database work. Now a record is appended, and found through
// a small index on a 48-bit hash of its key (sqlite/send-key.ts), the full key compared on every match.
// Uniqueness is kept by the writers (a lookup before each insert, in the same write transaction). The old
// records are not carried over: they only guard a 2-hour window, and a retry in flight across the upgrade that
// is queued twice is dropped by the receiver, which knows the message id.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 14,
  name: 'send-records',
  sql: `
  DROP TABLE sends;
  CREATE TABLE sends (
    user_id          TEXT NOT NULL,
    device_id        INTEGER NOT NULL,
    send_id          TEXT NOT NULL,
    server_timestamp INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    key_hash         INTEGER NOT NULL
  );
  CREATE INDEX sends_key ON sends (key_hash);
  CREATE INDEX sends_expiry ON sends (expires_at);
  `,
};
