// Single-use records of nonce-less ID tokens (device authorization grant), kept until the token expires.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 2,
  name: 'used-id-tokens',
  sql: `
  CREATE TABLE used_id_tokens (
    token_hash BYTEA PRIMARY KEY,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX used_id_tokens_expiry ON used_id_tokens (expires_at);
  `,
};
