// How the core's records look to the UI (common/app-api/contract.ts): messages, conversation summaries, groups.
import type { ConversationSummary, GroupView, MessageView } from '../../common/app-api/contract.ts';
import { UsageError, type GroupView as CoreGroupView, type Messenger } from '../core/messenger.ts';
import type { StoredMessage } from '../core/store/local-store.ts';
import { chatFields } from './search-views.ts';

export function messageView(m: Messenger, s: StoredMessage): MessageView {
  const senderName = s.direction === 'out' ? m.me.name : s.direction === 'system' ? '' : (m.contact(s.senderUserId)?.name ?? s.senderUserId);
  // 'waiting' (the recipient has no active device yet) shows as sending, with a sentence saying why.
  const waiting = s.status === 'waiting';
  const status = waiting ? 'sending' : (['sending', 'sent', 'delivered', 'failed', 'received', 'system', 'queued'] as const).find((x) => x === s.status) ?? 'received';
  const notice = waiting ? 'waiting' as const : s.flag;
  return {
    id: s.id, conversationId: s.conversationId, direction: s.direction, text: s.body, senderName, sentAt: s.sentAt, status, seq: s.seq,
    ...(notice ? { notice } : {}),
  };
}

/**
 * The conversation list's one-line preview of the last message. Group chats name the sender ("Alice Archer: …",
 * "You: …"); system messages and direct chats show the plain text.
 */
function preview(m: Messenger, last: StoredMessage, group: boolean): string {
  const body = last.body.slice(0, 120);
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
