// The chats in the store: the list, one chat's messages. Direct chats are created here; group chats come from
// groups/ (a group's id is its conversation id). Read state and read receipts: messages/actions.ts.
import { directConversationId } from '../payload.ts';
import type { Conversation, StoredMessage } from '../store/local-store.ts';
import type { Contacts } from '../directory/contacts.ts';
import type { CoreContext } from '../context.ts';

/** A held message's text is not shown until its sender's new key is verified (incoming/sender-check.ts). */
const shown = (m: StoredMessage): StoredMessage => (m.flag === 'held' ? { ...m, body: '' } : m);

export class Conversations {
  constructor(private readonly ctx: CoreContext, private readonly contacts: Contacts) {}

  list(): Conversation[] {
    return this.ctx.store.listConversations();
  }

  get(id: string): Conversation | undefined {
    return this.ctx.store.getConversation(id);
  }

  /** The newest `limit` messages of a chat (before `beforeSeq` when paging back), oldest first. */
  messages(conversationId: string, limit?: number, beforeSeq?: number): StoredMessage[] {
    return this.ctx.store.messages(conversationId, limit, beforeSeq).map(shown);
  }

  last(conversationId: string): StoredMessage | undefined {
    const m = this.ctx.store.lastMessage(conversationId);
    return m && shown(m);
  }

  /** Creates (or finds) the direct chat with a known contact; returns its id. */
  async openDirect(userId: string): Promise<string> {
    const contact = await this.contacts.forUser(userId);
    const id = directConversationId(this.ctx.account.userId, userId);
    await this.ctx.store.exclusive(async () => {
      this.ctx.store.ensureConversation({ id, kind: 'direct', peerUserId: userId, title: contact.name }, this.ctx.now());
    });
    return id;
  }
}
