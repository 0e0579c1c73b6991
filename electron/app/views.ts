// How the core's records look to the UI (common/app-api/contract.ts): messages, conversation summaries, groups.
import type { AttachmentView, ConversationSummary, GroupView, MessageView, ReactionView } from '../../common/app-api/contract.ts';
import { NEEDS_NEWER_VERSION, type AttachmentPointer } from '../../common/wire/content.ts';
import { isExecutableFile, isPreviewableType } from './handlers/attachment-files.ts';
import { UsageError, type GroupView as CoreGroupView, type Messenger } from '../core/messenger.ts';
import type { StoredMessage } from '../core/store/local-store.ts';
import { chatFields } from './search-views.ts';

/** Many messages at once (one reactions query for the page). */
export function messageViews(m: Messenger, list: StoredMessage[]): MessageView[] {
  const reactions = m.reactions(list.map((s) => s.id));
  const automatic = m.business.automaticKinds();
  return list.map((s) => messageView(m, s, reactions.get(s.id) ?? [], automatic));
}

export function messageView(m: Messenger, s: StoredMessage, reactionList = m.reactions([s.id]).get(s.id) ?? [], automatic = m.business.automaticKinds()): MessageView {
  const senderName = s.direction === 'out' ? m.me.name : s.direction === 'system' ? '' : (m.contact(s.senderUserId)?.name ?? s.senderUserId);
  // 'waiting' (the recipient has no active device yet) shows as sending, with a sentence saying why.
  const waiting = s.status === 'waiting';
  const status = waiting ? 'sending' : (['sending', 'sent', 'delivered', 'read', 'failed', 'received', 'system', 'queued'] as const).find((x) => x === s.status) ?? 'received';
  const notice = waiting ? 'waiting' as const : s.flag;
  const nameOf = (userId: string) => (userId === m.me.userId ? 'You' : (m.contact(userId)?.name ?? 'Someone'));
  const reactions = s.deleted ? [] : reactionViews(m.me.userId, reactionList, nameOf);
  return {
    id: s.id, conversationId: s.conversationId, direction: s.direction, text: textOf(s), senderName, sentAt: s.sentAt, status, seq: s.seq,
    ...(notice ? { notice } : {}),
    ...(s.replyTo && !s.deleted ? { replyTo: { messageId: s.replyTo.messageId, authorName: nameOf(s.replyTo.author), excerpt: s.replyTo.excerpt } } : {}),
    ...(s.attachments?.length && !s.deleted ? { attachments: s.attachments.map(attachmentView) } : {}),
    ...(s.editedAt !== undefined ? { edited: true } : {}),
    ...(s.deleted ? { deleted: true } : {}),
    ...(reactions.length ? { reactions } : {}),
    ...(s.kind === 'unknown' ? { unknownKind: true } : {}),
    ...(automatic.has(s.id) && !s.deleted ? { automatic: automatic.get(s.id)! } : {}),
    ...(s.expiresAt !== undefined && !s.deleted ? { expiresAt: s.expiresAt } : {}),
  };
}

/** What a message says: nothing once deleted; the placeholder for a newer client's kind. */
function textOf(s: StoredMessage): string {
  if (s.deleted) return '';
  return s.kind === 'unknown' ? NEEDS_NEWER_VERSION : s.body;
}

function attachmentView(a: AttachmentPointer, index: number): AttachmentView {
  return {
    index, fileName: a.fileName, contentType: a.contentType, size: a.size,
    isImage: isPreviewableType(a.contentType), isExecutable: isExecutableFile(a.fileName, a.contentType),
    ...(a.width !== undefined && a.height !== undefined ? { width: a.width, height: a.height } : {}),
  };
}

/** One chip per emoji, in the order first chosen; "You" first among the names. */
function reactionViews(me: string, list: { userId: string; emoji: string }[], nameOf: (userId: string) => string): ReactionView[] {
  const byEmoji = new Map<string, ReactionView>();
  for (const r of list) {
    const v = byEmoji.get(r.emoji) ?? { emoji: r.emoji, count: 0, mine: false, names: [] };
    v.count++;
    if (r.userId === me) { v.mine = true; v.names.unshift('You'); } else v.names.push(nameOf(r.userId));
    byEmoji.set(r.emoji, v);
  }
  return [...byEmoji.values()];
}

/**
 * The conversation list's one-line preview of the last message. Group chats name the sender ("Alice Archer: …",
 * "You: …"); system messages and direct chats show the plain text.
 */
function preview(m: Messenger, last: StoredMessage, group: boolean): string {
  const files = last.attachments?.length && !last.deleted ? `📎 ${last.attachments.map((a) => a.fileName).join(', ')}` : '';
  const body = (last.deleted ? 'This message was deleted' : textOf(last) || files).slice(0, 120);
  if (!group || last.direction === 'system') return body;
  const who = last.direction === 'out' ? 'You' : m.contact(last.senderUserId)?.name;
  return who ? `${who}: ${body}` : body;
}

export function conversationSummary(m: Messenger, id: string): ConversationSummary {
  const c = m.conversation(id);
  if (!c) throw new UsageError('no such conversation');
  const last = m.lastMessage(id);
  const contact = c.peerUserId ? m.contact(c.peerUserId) : undefined;
  return {
    id: c.id, kind: c.kind === 'group' ? 'group' : 'direct',
    title: c.title, peerUserId: c.peerUserId, peerEmail: contact?.email ?? null, lastMessageAt: c.lastMessageAt,
    preview: last ? preview(m, last, c.kind === 'group') : '', unread: c.unread,
    verification: c.peerUserId ? m.verificationStatus(c.peerUserId) : 'unverified',
    ...chatFields(m, id),
  };
}

export function groupView(g: CoreGroupView): GroupView {
  return {
    id: g.id, name: g.name, announcement: g.announcement, confidential: g.confidential,
    ...(g.scimGroupId !== undefined ? { scimGroupId: g.scimGroupId } : {}), role: g.role,
    members: g.members.map((x) => ({ userId: x.userId, email: x.email, name: x.name, role: x.role, viaScim: x.viaScim, you: x.you })),
    memberCount: g.memberCount, canManage: g.canManage, canPost: g.canPost,
  };
}
