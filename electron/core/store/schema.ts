// The shapes of the local store's rows; the schema is in migrations/ (one file per version), the queries in
// local-store.ts.

export { MIGRATIONS } from './migrations/index.ts';

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
