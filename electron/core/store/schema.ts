// The local store's schema (one migration per version, run in order at open) and the shapes of its rows.
// local-store.ts holds the queries.

export const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
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
     PRIMARY KEY (server, envelope_id)) STRICT;`,
  // A received message the client does not vouch for (see incoming/sender-check.ts), and the identity key
  // it was decrypted under, so a later verification of exactly that key can release it.
  `ALTER TABLE messages ADD COLUMN flag TEXT CHECK (flag IN ('unlisted-device', 'held'));
   ALTER TABLE messages ADD COLUMN sender_key TEXT;`,
];

/**
 * 'unlisted-device': sent from a device (or key) the directory does not list for its sender, so it may
 * not be from them. 'held': from a verified contact, but under a device or key that was not verified; its
 * text is not shown until the user verifies the new safety number.
 */
export type MessageFlag = 'unlisted-device' | 'held';

export type Direction = 'in' | 'out' | 'system';

export interface StoredMessage {
  id: string;
  conversationId: string;
  senderUserId: string;
  senderDeviceId: number;
  direction: Direction;
  body: string;
  sentAt: number;
  receivedAt: number;
  status: string;
  seq: number;
  flag?: MessageFlag;
}

export interface Contact {
  userId: string;
  email: string;
  name: string;
  /** What the user compared and marked verified; null while unverified. */
  verified: VerifiedIdentity | null;
}

export interface VerifiedIdentity {
  safetyNumber: string;
  /** deviceId → base64 identity key, exactly the keys the verified safety number was computed over. */
  keys: Record<string, string>;
  at: number;
}

export interface Conversation {
  id: string;
  kind: string;
  peerUserId: string | null;
  title: string;
  lastMessageAt: number;
  unread: number;
}

export type Row = Record<string, unknown>;

export function toContact(r: Row): Contact {
  return {
    userId: String(r.user_id), email: String(r.email), name: String(r.name),
    verified: r.verified_identity === null ? null : (JSON.parse(String(r.verified_identity)) as VerifiedIdentity),
  };
}

export function toConversation(r: Row): Conversation {
  return {
    id: String(r.id), kind: String(r.kind), peerUserId: r.peer_user_id === null ? null : String(r.peer_user_id),
    title: String(r.title), lastMessageAt: Number(r.last_message_at), unread: Number(r.unread),
  };
}

export function toMessage(r: Row): StoredMessage {
  return {
    id: String(r.id), conversationId: String(r.conversation_id), senderUserId: String(r.sender_user_id),
    senderDeviceId: Number(r.sender_device_id), direction: String(r.direction) as Direction, body: String(r.body),
    sentAt: Number(r.sent_at), receivedAt: Number(r.received_at), status: String(r.status), seq: Number(r.seq),
    ...(r.flag === null || r.flag === undefined ? {} : { flag: String(r.flag) as MessageFlag }),
  };
}
