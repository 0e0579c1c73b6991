// The shapes of the local store's rows; the schema is in migrations/ (one file per version), the queries in
// local-store.ts.

import type { AttachmentPointer, ReplyTo } from '../../../common/wire/content.ts';

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
  /** 'unknown': a content kind from a newer Parley (shown as NEEDS_NEWER_VERSION); 'system': group events, timers. Always set on rows read from the store (absent only on rows being built: 'message'). */
  kind?: MessageKind;
  replyTo?: ReplyTo;
  attachments?: AttachmentPointer[];
  /** Set once the author edited it (the earlier texts are in message_edits). */
  editedAt?: number;
  /** Deleted for everyone by its author: body '' and no attachments; "This message was deleted" is shown. */
  deleted?: boolean;
  /** Incoming: when this user saw it. Outgoing: when a recipient first read it (status then 'read'). */
  readAt?: number;
  /** Disappearing: seconds after reading/sending (from the conversation's timer when it was sent). */
  expiresIn?: number;
  expiresAt?: number;
}

export type MessageKind = 'message' | 'unknown' | 'system';

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
  /** The disappearing-messages timer (seconds), or undefined when off. */
  disappearingSeconds?: number;
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
    ...(r.disappearing_seconds === null || r.disappearing_seconds === undefined ? {} : { disappearingSeconds: Number(r.disappearing_seconds) }),
  };
}

export function toMessage(r: Row): StoredMessage {
  return {
    id: String(r.id), conversationId: String(r.conversation_id), senderUserId: String(r.sender_user_id),
    senderDeviceId: Number(r.sender_device_id), direction: String(r.direction) as Direction, body: String(r.body),
    sentAt: Number(r.sent_at), receivedAt: Number(r.received_at), status: String(r.status), seq: Number(r.seq),
    ...(r.flag === null || r.flag === undefined ? {} : { flag: String(r.flag) as MessageFlag }),
    kind: (r.kind === undefined ? 'message' : String(r.kind)) as MessageKind,
    ...(r.reply_to === null || r.reply_to === undefined ? {} : {
      replyTo: { messageId: String(r.reply_to), author: String(r.reply_author ?? ''), excerpt: String(r.reply_excerpt ?? '') },
    }),
    ...(typeof r.attachments === 'string' ? { attachments: JSON.parse(r.attachments) as AttachmentPointer[] } : {}),
    ...(r.edited_at === null || r.edited_at === undefined ? {} : { editedAt: Number(r.edited_at) }),
    ...(r.deleted === 1 || r.deleted === 1n ? { deleted: true } : {}),
    ...(r.read_at === null || r.read_at === undefined ? {} : { readAt: Number(r.read_at) }),
    ...(r.expires_in === null || r.expires_in === undefined ? {} : { expiresIn: Number(r.expires_in) }),
    ...(r.expires_at === null || r.expires_at === undefined ? {} : { expiresAt: Number(r.expires_at) }),
  };
}
