// A conversation as stored now, for `parley history` and the app: edits applied (with an "edited" mark),
// messages deleted for everyone as `deleted`, reactions, read and delivery state, replies, files.
import * as C from '../../../common/wire/content.ts';
import type { MessageQueries } from '../store/message-queries.ts';
import type { MessageFlag, MessageKind } from '../store/local-store.ts';
import { UsageError, type CoreContext } from '../context.ts';

export interface HistoryReaction { userId: string; email: string; name: string; emoji: string; you: boolean }

export interface HistoryItem {
  messageId: string;
  conversationId: string;
  kind: MessageKind;
  from: string;
  fromName: string;
  fromUserId: string;
  outgoing: boolean;
  sentAt: number;
  receivedAt: number;
  /** Absent when deleted; NEEDS_NEWER_VERSION for a newer client's kind; '' while held. */
  text?: string;
  deleted?: true;
  edited?: true;
  editedAt?: number;
  replyTo?: string;
  reply?: C.ReplyTo;
  attachments: C.AttachmentPointer[];
  reactions: HistoryReaction[];
  /** Ours: sending, queued, waiting, sent, delivered, read, failed. Theirs: received. */
  status: string;
  /** Theirs: this user has seen it. Ours: a recipient read it. */
  read: boolean;
  readAt?: number;
  flag?: MessageFlag;
  needsNewerVersion?: true;
  expiresInSeconds?: number;
  expiresAt?: number;
}

export function history(ctx: CoreContext, queries: MessageQueries, conversationId: string, opts: { limit?: number } = {}): HistoryItem[] {
  const { store, account } = ctx;
  if (!store.getConversation(conversationId)) throw new UsageError(`no conversation ${conversationId} on this device`);
  const limit = opts.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('the limit is a whole number from 1 to 10000');
  const rows = store.messages(conversationId, limit);
  const reactions = queries.reactions(rows.map((r) => r.id));
  const person = (userId: string) => {
    if (userId === account.userId) return { email: account.email, name: account.name };
    const c = store.getContact(userId);
    return { email: c?.email ?? '', name: c?.name ?? userId };
  };
  return rows.map((m): HistoryItem => {
    const who = person(m.senderUserId);
    const held = m.flag === 'held';
    const kind = m.kind ?? 'message';
    return {
      messageId: m.id, conversationId, kind, from: who.email, fromName: who.name, fromUserId: m.senderUserId,
      outgoing: m.direction === 'out', sentAt: m.sentAt, receivedAt: m.receivedAt,
      ...(m.deleted ? { deleted: true as const } : { text: held ? '' : kind === 'unknown' ? C.NEEDS_NEWER_VERSION : m.body }),
      ...(m.editedAt !== undefined && !m.deleted ? { edited: true as const, editedAt: m.editedAt } : {}),
      ...(m.replyTo ? { replyTo: m.replyTo.messageId, ...(held ? {} : { reply: m.replyTo }) } : {}),
      attachments: held || m.deleted ? [] : m.attachments ?? [],
      reactions: (reactions.get(m.id) ?? []).map((r) => ({ userId: r.userId, ...person(r.userId), emoji: r.emoji, you: r.userId === account.userId })),
      status: m.status, read: m.readAt !== undefined, ...(m.readAt !== undefined ? { readAt: m.readAt } : {}),
      ...(m.flag ? { flag: m.flag } : {}), ...(kind === 'unknown' ? { needsNewerVersion: true as const } : {}),
      ...(m.expiresIn ? { expiresInSeconds: m.expiresIn } : {}), ...(m.expiresAt ? { expiresAt: m.expiresAt } : {}),
    };
  });
}
