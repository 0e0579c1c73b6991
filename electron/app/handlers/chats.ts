// Handlers for search and the per-chat settings (mute, pin, archive, drafts). All local: no server call.
import { conversationSummary } from '../views.ts';
import { searchHitView } from '../search-views.ts';
import type { AppHost, Handlers } from '../host.ts';

type ChatMethods = 'search.messages' | 'chats.setMuted' | 'chats.setPinned' | 'chats.setArchived' | 'chats.setDraft';

export function chatHandlers(host: AppHost): Pick<Handlers, ChatMethods> {
  /** The list shows the change (order, sections, mute marks) everywhere, e.g. in a second window. */
  const changed = (conversationId: string) => {
    host.emit({ type: 'conversations' });
    return conversationSummary(host.requireReady(), conversationId);
  };
  return {
    'search.messages': async ({ query, limit, conversationId }) => {
      const m = host.requireReady();
      return m.searchMessages(query, { limit: limit ?? 50, ...(conversationId ? { conversationId } : {}) }).map((h) => searchHitView(m, h));
    },
    'chats.setMuted': async ({ conversationId, muted, forSeconds }) => {
      await host.requireReady().chatSettings.setMuted(conversationId, muted, forSeconds === undefined ? undefined : forSeconds * 1000);
      return changed(conversationId);
    },
    'chats.setPinned': async ({ conversationId, pinned }) => {
      await host.requireReady().chatSettings.setPinned(conversationId, pinned);
      return changed(conversationId);
    },
    'chats.setArchived': async ({ conversationId, archived }) => {
      await host.requireReady().chatSettings.setArchived(conversationId, archived);
      return changed(conversationId);
    },
    // No list event: the draft shows only in this chat's composer (and the list's "Draft" mark on the next refresh).
    'chats.setDraft': async ({ conversationId, text }) => {
      await host.requireReady().chatSettings.setDraft(conversationId, text);
      return null;
    },
  };
}
