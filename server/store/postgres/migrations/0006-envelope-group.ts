// The group an envelope was relayed for (set by the server after its membership check, never by the sender).
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 6,
  name: 'envelope-group',
  sql: `
  ALTER TABLE envelopes ADD COLUMN group_id TEXT;
  `,
};
