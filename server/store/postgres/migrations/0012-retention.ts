// Retention (org rules, `retention.messagesDays`), as SQLite's 0012: queued envelopes older than the retention
// period are swept by age (server/retention/), so the queue needs an index on when each envelope was accepted;
// attachment blobs likewise by upload time.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 12,
  name: 'retention',
  sql: `
  CREATE INDEX envelopes_age ON envelopes (server_timestamp);
  CREATE INDEX attachments_age ON attachments (created_at);
  `,
};
