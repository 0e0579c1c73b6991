// Users (one per IdP identity), their devices with published keys, one-time prekeys, queued envelopes,
// registration nonces. Times are milliseconds (BIGINT); `rid` keeps insertion order where SQLite uses rowid.
import type { Migration } from './index.ts';

export const migration: Migration = {
  version: 1,
  name: 'initial',
  sql: `
  CREATE TABLE users (
    user_id     TEXT PRIMARY KEY,
    issuer      TEXT NOT NULL,
    sub         TEXT NOT NULL,
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    groups_json TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    rid         BIGINT GENERATED ALWAYS AS IDENTITY,
    UNIQUE (issuer, sub)
  );
  CREATE INDEX users_email ON users (lower(email), updated_at);

  CREATE TABLE devices (
    user_id          TEXT NOT NULL REFERENCES users (user_id),
    device_id        INTEGER NOT NULL,
    registration_id  INTEGER NOT NULL,
    name             TEXT NOT NULL,
    credential_hash  BYTEA NOT NULL,
    identity_key     BYTEA,
    spk_id           INTEGER,
    spk_public       BYTEA,
    spk_signature    BYTEA,
    created_at       BIGINT NOT NULL,
    last_seen        BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id)
  );

  CREATE TABLE prekeys (
    user_id    TEXT NOT NULL,
    device_id  INTEGER NOT NULL,
    key_id     INTEGER NOT NULL,
    public_key BYTEA NOT NULL,
    PRIMARY KEY (user_id, device_id, key_id),
    FOREIGN KEY (user_id, device_id) REFERENCES devices (user_id, device_id)
  );

  CREATE TABLE envelopes (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dest_user        TEXT NOT NULL,
    dest_device      INTEGER NOT NULL,
    source_user      TEXT NOT NULL,
    source_device    INTEGER NOT NULL,
    type             SMALLINT NOT NULL,
    content          BYTEA NOT NULL,
    server_timestamp BIGINT NOT NULL
  );
  CREATE INDEX envelopes_dest ON envelopes (dest_user, dest_device, id);

  CREATE TABLE registration_nonces (
    nonce      TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
  );
  `,
};
