// Handlers for chats: the list, opening a direct chat, reading (sending is in messages.ts), and the
// directory search for starting a chat.
import { UsageError } from '../../core/messenger.ts';
import { conversationSummary, messageViews } from '../views.ts';
import type { AppHost, Handlers } from '../host.ts';

type ConversationMethods = 'conversations.list' | 'conversations.open' | 'conversations.markRead' | 'messages.list' | 'directory.search';

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
      return messageViews(m, m.messages(conversationId, limit ?? 200, beforeSeq));
    },

    'directory.search': async ({ query }) => {
      const m = host.requireReady();
      const results = await m.searchDirectory(query);
      // People without a device yet are listed too (provisioned, not signed in): a message to them waits.
      return results.map((r) => ({ userId: r.userId, email: r.email, name: r.name, ...(r.devices.length === 0 ? { noDevice: true } : {}) }));
    },
  };
}
