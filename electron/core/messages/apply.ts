// Applying a received reaction, edit, delete-for-everyone or timer change to the store (inside the
// envelope's transaction, incoming/envelopes.ts). The conversation is the one the envelope proved (the
// server-checked group, or the 1:1 chat derived from the sender), never one the record names, and the
// target must be in it. Only a message's author may edit it (within 24 h) or delete it for everyone: a
// forged edit or delete from anyone else is refused, whatever the record claims.
import type * as C from '../../../common/wire/content.ts';
import type { Contact } from '../store/local-store.ts';
import { MessageQueries } from '../store/message-queries.ts';
import type { ReceivedEvent } from '../incoming/types.ts';
import type { CoreContext } from '../context.ts';
import { describeTimer } from './timer-text.ts';
import { cachedRules, clampTimer } from '../retention/rules.ts';

/** How long after sending the author may still edit. */
export const EDIT_WINDOW_MS = 24 * 3600 * 1000;

/** Who sent the record and where it belongs, as the envelope proved it. */
export interface Origin {
  userId: string;
  deviceId: number;
  /** Undefined for our own other device. */
  sender: Contact | undefined;
  /** The server's time of the envelope (the relay stamps it; the sender cannot choose it). */
  serverTimestamp: number;
  conversationId: string;
  group?: string;
  groupName?: string;
}

export type Applied = { events: ReceivedEvent[] } | { refused: string };

type Record = C.ReactionContent | C.EditContent | C.DeleteContent | C.TimerContent;

const TARGETED: ReadonlySet<string> = new Set(['reaction', 'edit', 'delete']);

export class ContentApplier {
  private readonly queries: MessageQueries;

  constructor(private readonly ctx: CoreContext) {
    this.queries = new MessageQueries(ctx.store);
  }

  apply(p: Record, o: Origin): Applied {
    const receivedAt = this.ctx.now();
    const base: ReceivedEvent = {
      kind: p.kind, conversationId: o.conversationId, from: o.sender?.email ?? this.ctx.account.email,
      fromName: o.sender?.name ?? this.ctx.account.name, fromUserId: o.userId, fromDevice: o.deviceId,
      outgoing: o.sender === undefined, sentAt: p.sentAt, receivedAt,
      ...(o.group ? { group: o.group, groupName: o.groupName } : {}),
    };
    if (p.kind === 'timer') return this.timer(p, o, base);
    if (!TARGETED.has(p.kind)) return { events: [] }; // a kind added later whose handler lives elsewhere
    const target = this.queries.find(p.targetMessageId);
    // Not here (deleted for me, or never got it): nothing to apply, nothing to refuse.
    if (!target || target.conversationId !== o.conversationId || target.kind !== 'message') return { events: [] };
    const ev = { ...base, targetMessageId: target.id };
    switch (p.kind) {
      case 'reaction': {
        if (target.deleted) return { events: [] };
        if (p.remove) {
          // Withdraws only the reaction it names (an older "remove" must not take a newer emoji away).
          const mine = this.queries.reaction(target.id, o.userId);
          if (mine?.emoji === p.emoji) this.queries.setReaction(target.id, o.userId, null, receivedAt);
        } else this.queries.setReaction(target.id, o.userId, p.emoji, p.sentAt);
        return { events: [{ ...ev, emoji: p.emoji, ...(p.remove ? { remove: true } : {}) }] };
      }
      case 'edit': {
        if (target.senderUserId !== o.userId) return { refused: 'an edit of a message its sender did not write' };
        if (target.deleted) return { events: [] };
        const start = Math.min(target.sentAt, target.receivedAt);
        if (o.serverTimestamp - start > EDIT_WINDOW_MS) return { refused: 'an edit more than 24 hours after the message was sent' };
        if (target.body === p.text) return { events: [] }; // the same edit again
        this.queries.edit(target.id, p.text, p.sentAt);
        return { events: [{ ...ev, text: p.text }] };
      }
      case 'delete': {
        if (target.senderUserId !== o.userId) return { refused: 'a delete-for-everyone of a message its sender did not write' };
        if (target.deleted) return { events: [] };
        this.queries.tombstone(target.id);
        return { events: [ev] };
      }
    }
  }

  /** A conversation's disappearing timer: kept on the conversation, and a line in the chat says who set it. */
  private timer(p: C.TimerContent, o: Origin, base: ReceivedEvent): Applied {
    const { store } = this.ctx;
    if (!store.getConversation(o.conversationId)) return { events: [] };
    // Above the org's maximum (a hostile or outdated client): cut to it (retention/rules.ts).
    const seconds = clampTimer(cachedRules(store), p.seconds);
    this.queries.setDisappearing(o.conversationId, seconds);
    store.addMessage({
      id: p.messageId, conversationId: o.conversationId, senderUserId: o.userId, senderDeviceId: o.deviceId, direction: 'system',
      body: describeTimer(o.sender?.name ?? 'You', seconds), sentAt: p.sentAt, receivedAt: base.receivedAt, status: 'received', kind: 'system',
    });
    return { events: [{ ...base, seconds }] };
  }
}
