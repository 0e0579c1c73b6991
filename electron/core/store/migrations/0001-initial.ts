// The first schema: Signal protocol state, contacts, conversations, messages, processed envelopes.
export const migration = `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
   CREATE TABLE prekeys (key_id INTEGER PRIMARY KEY, public_key BLOB NOT NULL, private_key BLOB NOT NULL) STRICT;
   CREATE TABLE signed_prekeys (key_id INTEGER PRIMARY KEY, public_key BLOB NOT NULL, private_key BLOB NOT NULL,
     signature BLOB NOT NULL, created_at INTEGER NOT NULL) STRICT;
   CREATE TABLE sessions (address TEXT PRIMARY KEY, record TEXT NOT NULL) STRICT;
   CREATE TABLE peer_identities (user_id TEXT NOT NULL, device_id INTEGER NOT NULL, identity_key BLOB NOT NULL,
     first_seen INTEGER NOT NULL, PRIMARY KEY (user_id, device_id)) STRICT;
   CREATE TABLE contacts (user_id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL,
     verified_identity TEXT, updated_at INTEGER NOT NULL) STRICT;
   CREATE INDEX contacts_email ON contacts (email);
   CREATE TABLE conversations (id TEXT PRIMARY KEY, kind TEXT NOT NULL, peer_user_id TEXT, title TEXT NOT NULL,
     last_message_at INTEGER NOT NULL, unread INTEGER NOT NULL DEFAULT 0) STRICT;
   CREATE TABLE messages (id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, sender_user_id TEXT NOT NULL,
     sender_device_id INTEGER NOT NULL, direction TEXT NOT NULL CHECK (direction IN ('in','out','system')),
     body TEXT NOT NULL, sent_at INTEGER NOT NULL, received_at INTEGER NOT NULL, status TEXT NOT NULL,
     seq INTEGER NOT NULL) STRICT;
   CREATE INDEX messages_conversation ON messages (conversation_id, seq);
   CREATE TABLE processed_envelopes (server TEXT NOT NULL, envelope_id TEXT NOT NULL, processed_at INTEGER NOT NULL,
     PRIMARY KEY (server, envelope_id)) STRICT;`;
