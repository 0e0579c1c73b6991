// What travels inside the Signal ciphertext, client to client (the server never sees it): one versioned
// content record per message. Version 1 carried plain text, delivery receipts and verification sync and
// still decodes; version 2 adds attachments, replies, reactions, edits, deletes, read receipts, typing and
// disappearing timers. Padding and the decoder live in electron/core/payload.ts.
//
// Forward compatibility: a record whose `kind` this client does not know decodes as UnknownContent (shown
// as "This message needs a newer version of Parley"), never dropped. A known kind that breaks its schema is
// refused (a broken or hostile client).
import { Type, type Static } from 'typebox';
import { Base64, PublicKey, UserId } from './schemas.ts';
import { GroupId } from './groups.ts';

export const MAX_TEXT_CHARS = 8000;
export const MAX_ATTACHMENTS = 10;
/** A quoted excerpt above a reply: enough to recognise the message, never the whole of it. */
export const MAX_EXCERPT_CHARS = 200;
export const MAX_FILE_NAME_CHARS = 255;

export const MessageId = Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' });
/** A reaction: one emoji (with its modifiers and joiners), at most 32 UTF-16 units. */
export const Emoji = Type.String({ minLength: 1, maxLength: 32 });

/** Fields every message-like record carries. `to`: on the copy for the sender's own other devices, whom it went to. */
const Common = {
  messageId: MessageId,
  sentAt: Type.Integer({ minimum: 0 }),
  to: Type.Optional(UserId),
  /**
   * A group message. Accepted only when the server relayed the envelope for this same group (it checks
   * membership at send time and stamps the envelope), so the group cannot be forged through a 1:1 send.
   */
  group: Type.Optional(GroupId),
};

/**
 * An end-to-end encrypted file: the blob at the relay is AES-256-CBC + HMAC-SHA256 ciphertext under `key`
 * (64 bytes: 32 AES, 32 HMAC); `digest` is the sha256 of that ciphertext and is checked before anything is
 * saved. Name, type, size and the plaintext's sha256 exist only here, inside the Signal message.
 */
export const AttachmentPointer = Type.Object({
  /** The relay's id of the ciphertext blob. */
  id: Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' }),
  key: Base64(88),
  digest: Base64(44),
  /** Plaintext bytes. */
  size: Type.Integer({ minimum: 0, maximum: 2 ** 40 }),
  /** sha256 (hex) of the plaintext, shown to users and scripts. */
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  contentType: Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$' }),
  fileName: Type.String({ minLength: 1, maxLength: MAX_FILE_NAME_CHARS }),
  /** Images only: pixel size, so the UI can reserve the space before the preview decodes. */
  width: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  height: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
}, { additionalProperties: false });
export type AttachmentPointer = Static<typeof AttachmentPointer>;

export const ReplyTo = Type.Object({
  messageId: MessageId,
  /** The quoted message's author. */
  author: UserId,
  excerpt: Type.String({ maxLength: MAX_EXCERPT_CHARS }),
}, { additionalProperties: false });
export type ReplyTo = Static<typeof ReplyTo>;

// ---- version 1 (still sent for delivery receipts and verification; text still decodes) ----

export const TextContentV1 = Type.Object({
  v: Type.Literal(1), kind: Type.Literal('text'), ...Common,
  text: Type.String({ minLength: 1, maxLength: MAX_TEXT_CHARS }),
}, { additionalProperties: false });
export type TextContentV1 = Static<typeof TextContentV1>;

/** "Your message reached my device" (v1) or "…was shown to me" (v2, 'read'); receipts always travel 1:1. */
export const ReceiptContent = Type.Object({
  v: Type.Union([Type.Literal(1), Type.Literal(2)]),
  kind: Type.Literal('receipt'),
  receipt: Type.Union([Type.Literal('delivered'), Type.Literal('read')]),
  messageIds: Type.Array(MessageId, { minItems: 1, maxItems: 100 }),
  sentAt: Type.Integer({ minimum: 0 }),
  /** The messages were group messages of this group. */
  group: Type.Optional(GroupId),
  /** On the copy to the reader's own other devices: whose messages were read (so they clear unread too). */
  to: Type.Optional(UserId),
}, { additionalProperties: false });
export type ReceiptContent = Static<typeof ReceiptContent>;

/**
 * "I verified this contact's safety number": sent by a user's device to the user's other devices over the
 * pairwise sessions. A receiving device applies it only when it comes from one of the user's own devices
 * and every key matches the one it has itself.
 */
export const VerifiedContent = Type.Object({
  v: Type.Literal(1),
  kind: Type.Literal('verified'),
  userId: UserId,
  /** deviceId → base64 identity key: exactly the keys that were verified. */
  keys: Type.Record(Type.String({ pattern: '^[1-9][0-9]{0,6}$' }), PublicKey, { minProperties: 1, maxProperties: 1000 }),
  safetyNumber: Type.String({ pattern: '^[0-9]{5}( [0-9]{5}){11}$' }),
  sentAt: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type VerifiedContent = Static<typeof VerifiedContent>;

// ---- version 2 ----

/** A message: text and/or files, optionally a reply, optionally disappearing. */
export const MessageContent = Type.Object({
  v: Type.Literal(2), kind: Type.Literal('message'), ...Common,
  text: Type.Optional(Type.String({ maxLength: MAX_TEXT_CHARS })),
  attachments: Type.Optional(Type.Array(AttachmentPointer, { minItems: 1, maxItems: MAX_ATTACHMENTS })),
  replyTo: Type.Optional(ReplyTo),
  /** Disappearing timer of the conversation when sent: the message expires this long after it is read/sent. */
  expiresInSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 * 24 * 3600 })),
  /** Sent by the device on its own (electron/core/business/): an away reply or a first-contact greeting. */
  automatic: Type.Optional(Type.Union([Type.Literal('away'), Type.Literal('greeting')])),
}, { additionalProperties: false });
export type MessageContent = Static<typeof MessageContent>;
export type AutomaticKind = NonNullable<MessageContent['automatic']>;

/** One emoji per person per message: a new reaction replaces the old one; `remove` withdraws it. */
export const ReactionContent = Type.Object({
  v: Type.Literal(2), kind: Type.Literal('reaction'), ...Common,
  targetMessageId: MessageId,
  targetAuthor: UserId,
  emoji: Emoji,
  remove: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type ReactionContent = Static<typeof ReactionContent>;

/** Only the author may edit, within 24 h; receivers check both. */
export const EditContent = Type.Object({
  v: Type.Literal(2), kind: Type.Literal('edit'), ...Common,
  targetMessageId: MessageId,
  text: Type.String({ minLength: 1, maxLength: MAX_TEXT_CHARS }),
}, { additionalProperties: false });
export type EditContent = Static<typeof EditContent>;

/** Delete for everyone: only the author; receivers drop text and files and keep "This message was deleted". */
export const DeleteContent = Type.Object({
  v: Type.Literal(2), kind: Type.Literal('delete'), ...Common,
  targetMessageId: MessageId,
}, { additionalProperties: false });
export type DeleteContent = Static<typeof DeleteContent>;

/** Typing indicators: never stored, on the server or the client. */
export const TypingContent = Type.Object({
  v: Type.Literal(2), kind: Type.Literal('typing'),
  state: Type.Union([Type.Literal('started'), Type.Literal('stopped')]),
  sentAt: Type.Integer({ minimum: 0 }),
  group: Type.Optional(GroupId),
}, { additionalProperties: false });
export type TypingContent = Static<typeof TypingContent>;

/** A conversation's disappearing-messages timer changed (null: off). */
export const TimerContent = Type.Object({
  v: Type.Literal(2), kind: Type.Literal('timer'), ...Common,
  seconds: Type.Union([Type.Integer({ minimum: 1, maximum: 366 * 24 * 3600 }), Type.Null()]),
}, { additionalProperties: false });
export type TimerContent = Static<typeof TimerContent>;

/** One quick reply: typed as its shortcut in the composer, replaced by its text. */
export const QuickReply = Type.Object({
  shortcut: Type.String({ pattern: '^/[A-Za-z0-9_-]{1,32}$' }),
  text: Type.String({ minLength: 1, maxLength: 2000 }),
}, { additionalProperties: false });
export type QuickReply = Static<typeof QuickReply>;
export const MAX_QUICK_REPLIES = 200;

/**
 * The user's whole list of quick replies, sent by one of their devices to their other devices only (never to
 * anyone else, never readable by the server); the newest `updatedAt` wins.
 */
export const QuickRepliesContent = Type.Object({
  v: Type.Literal(2), kind: Type.Literal('quick-replies'),
  items: Type.Array(QuickReply, { maxItems: MAX_QUICK_REPLIES }),
  updatedAt: Type.Integer({ minimum: 0 }),
  sentAt: Type.Integer({ minimum: 0 }),
}, { additionalProperties: false });
export type QuickRepliesContent = Static<typeof QuickRepliesContent>;

export const Content = Type.Union([
  TextContentV1, ReceiptContent, VerifiedContent,
  MessageContent, ReactionContent, EditContent, DeleteContent, TypingContent, TimerContent, QuickRepliesContent,
]);
export type Content = Static<typeof Content>;

export const KNOWN_KINDS: ReadonlySet<string> = new Set(['text', 'receipt', 'verified', 'message', 'reaction', 'edit', 'delete', 'typing', 'timer', 'quick-replies']);

/** A record from a newer client: shown as a placeholder so nothing is silently lost. */
export interface UnknownContent {
  kind: 'unknown';
  /** What it said it was, for logs and the placeholder; never interpreted. */
  claimedKind: string;
  messageId?: string;
  sentAt?: number;
  group?: string;
  to?: string;
}

export const NEEDS_NEWER_VERSION = 'This message needs a newer version of Parley';
