// Building the content records we send (common/wire/content.ts v2) from what the user gave and from the
// store: a message (text, files, a reply's quote, the chat's disappearing timer) and the checks that refuse
// what can never be sent, before anything is stored.
import * as C from '../../../common/wire/content.ts';
import type { MessageQueries } from '../store/message-queries.ts';
import type { StoredMessage } from '../store/local-store.ts';
import { UsageError } from '../context.ts';

/** What a user sends: text and/or files (H2 fills `attachments`), optionally replying to a message. */
export interface MessageInput {
  text?: string;
  attachments?: C.AttachmentPointer[];
  /** The id of the message this one replies to (same conversation). */
  replyTo?: string;
  /** Sent by this device on its own (core/business/): marked in the record so receivers can label it. */
  automatic?: C.AutomaticKind;
  /** Deliver at once even if the recipient is off work (org rule decides; audited). Not part of the record. */
  urgent?: boolean;
}

/** Refuses what can never be sent, before anything is stored. */
export function checkText(text: string): void {
  if (text.length === 0) throw new UsageError('the message is empty');
  if (text.length > C.MAX_TEXT_CHARS) throw new UsageError(`the message is longer than ${C.MAX_TEXT_CHARS} characters`);
}

export function checkInput(input: MessageInput): void {
  const files = input.attachments ?? [];
  if (files.length > C.MAX_ATTACHMENTS) throw new UsageError(`at most ${C.MAX_ATTACHMENTS} files per message`);
  if (input.text === undefined || input.text.length === 0) {
    if (files.length === 0) throw new UsageError('the message is empty');
    return;
  }
  checkText(input.text);
}

/** The quote above a reply: the quoted message must be in the same chat and not deleted. */
export function replyFor(queries: MessageQueries, conversationId: string, replyTo: string | undefined): C.ReplyTo | undefined {
  if (replyTo === undefined) return undefined;
  const q = queries.find(replyTo);
  if (!q || q.conversationId !== conversationId || q.kind === 'system') throw new UsageError(`no message ${replyTo} in this conversation to reply to`);
  if (q.deleted) throw new UsageError('that message was deleted; it cannot be replied to');
  const files = q.attachments?.map((a) => a.fileName).join(', ');
  // A held message's text is not shown to this user, so it is not quoted either.
  const excerpt = q.flag === 'held' ? '' : (q.body || (files ? `📎 ${files}` : '')).slice(0, C.MAX_EXCERPT_CHARS);
  return { messageId: q.id, author: q.senderUserId, excerpt };
}

/** The record for a stored message of ours (sent now, or resent from the outbox under the same id). */
export function messageContent(m: StoredMessage, extra: { group?: string; to?: string } = {}): C.MessageContent {
  return {
    v: 2, kind: 'message', messageId: m.id, sentAt: m.sentAt,
    ...(m.body ? { text: m.body } : {}),
    ...(m.attachments && m.attachments.length > 0 ? { attachments: m.attachments } : {}),
    ...(m.replyTo ? { replyTo: m.replyTo } : {}),
    ...(m.expiresIn ? { expiresInSeconds: m.expiresIn } : {}),
    ...extra,
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A control record for a conversation (reaction, edit, delete, timer, and later kinds): the core fills in
 * `v`, `messageId`, `sentAt`, `group` and, on the copy for our own devices, `to`.
 */
export type ControlContent = DistributiveOmit<Exclude<C.Content, C.TextContentV1 | C.ReceiptContent | C.VerifiedContent | C.MessageContent | C.TypingContent>, 'v' | 'messageId' | 'sentAt' | 'group' | 'to'>;
