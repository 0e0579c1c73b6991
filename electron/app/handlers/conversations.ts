// Handlers for chats: the list, opening a direct chat, reading and sending (group chats send through the
// group path), and the directory search for starting a chat.
import { UsageError } from '../../core/messenger.ts';
import { conversationSummary, messageView } from '../views.ts';
import type { AppHost, Handlers } from '../host.ts';
import { groupAction } from './groups.ts';

type ConversationMethods = 'conversations.list' | 'conversations.open' | 'conversations.markRead' | 'messages.list' | 'messages.send' | 'directory.search';

export function conversationHandlers(host: AppHost): Pick<Handlers, ConversationMethods> {
  return {
    'conversations.list': async () => {
      const m = host.requireReady();
      return m.conversations().map((c) => conversationSummary(m, c.id));
    },

    'conversations.open': async ({ email }) => {
      const m = host.requireReady();
      const { contact } = await m.resolveContact(email);
      if (contact.userId === m.me.userId) throw new UsageError('that is you');
      const id = await m.openDirectConversation(contact.userId);
      host.emit({ type: 'conversations' });
      return conversationSummary(m, id);
    },

    'conversations.markRead': async ({ conversationId }) => {
      const m = host.requireReady();
      await m.markRead(conversationId);
      return null;
    },

    'messages.list': async ({ conversationId, beforeSeq, limit }) => {
      const m = host.requireReady();
      return m.messages(conversationId, limit ?? 200, beforeSeq).map((s) => messageView(m, s));
    },

    'messages.send': async ({ conversationId, text }) => {
      const m = host.requireReady();
      const c = m.conversation(conversationId);
      if (c?.kind === 'group') {
        const sent = await groupAction(host, 'send', (mm) => mm.sendGroupText(conversationId, text));
        const stored = m.messages(conversationId, 50).find((s) => s.id === sent.messageId)!;
        host.emit({ type: 'conversations' });
        return messageView(m, stored);
      }
      const contact = c?.peerUserId ? m.contact(c.peerUserId) : undefined;
      if (!c || !contact) throw new UsageError('no such conversation');
      const sent = await host.guard(() => m.sendText(contact.email, text));
      if (sent.queued) host.trackQueued(sent.messageId, conversationId);
      const stored = m.messages(conversationId, 50).find((s) => s.id === sent.messageId)!;
      host.emit({ type: 'conversations' });
      return messageView(m, stored);
    },

    'directory.search': async ({ query }) => {
      const m = host.requireReady();
      const results = await m.searchDirectory(query);
      // People without a device yet are listed too (provisioned, not signed in): a message to them waits.
      return results.map((r) => ({ userId: r.userId, email: r.email, name: r.name, ...(r.devices.length === 0 ? { noDevice: true } : {}) }));
    },
  };
}
