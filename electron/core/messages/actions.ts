// What a user does to messages and conversations beyond sending: react, edit, delete (for everyone or for
// me), read (with read receipts), typing, timers and other control records (sendContent). Each goes to the
// same people as the original (the peer, or the group's members as the server counts them) and to this
// user's other devices, and is applied here only once it was sent, so a failure leaves things as they were.
import * as C from '../../../common/wire/content.ts';
import { directConversationId, encodePayload } from '../payload.ts';
import { MessageQueries } from '../store/message-queries.ts';
import type { Conversation, StoredMessage } from '../store/local-store.ts';
import type { Contacts } from '../directory/contacts.ts';
import type { Sender, Recipient } from '../outgoing/sender.ts';
import type { GroupSender } from '../groups/group-sender.ts';
import type { GroupViews } from '../groups/group-views.ts';
import { checkText, type ControlContent } from '../outgoing/content.ts';
import { isOffline, knownContact } from '../outbox/outbox.ts';
import { ContentApplier, EDIT_WINDOW_MS } from './apply.ts';
import { ReadPolicy } from './read-policy.ts';
import { ReadReceipts } from './read-receipts.ts';
import { newMessageId, UsageError, type CoreContext } from '../context.ts';

export interface SentRecord {
  messageId: string;
  conversationId: string;
  sentAt: number;
  /** Devices that got it (the other members' and our other ones). */
  devices: number;
  recipients: Recipient[];
}

/** One emoji (one grapheme that is a pictograph, a flag or a keycap), as the wire allows. */
export function checkEmoji(emoji: string): void {
  const graphemes = [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(emoji)];
  const ok = graphemes.length === 1 && emoji.length <= 32
    && /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(emoji);
  if (!ok) throw new UsageError(`not a single emoji: "${emoji}"`);
}

export class MessageActions {
  readonly queries: MessageQueries;
  readonly readPolicy: ReadPolicy;
  readonly readReceipts: ReadReceipts;
  private readonly applier: ContentApplier;

  constructor(
    private readonly ctx: CoreContext,
    private readonly contacts: Contacts,
    private readonly sender: Sender,
    private readonly groupSender: GroupSender,
    private readonly groupViews: GroupViews,
  ) {
    this.queries = new MessageQueries(ctx.store);
    this.applier = new ContentApplier(ctx);
    this.readPolicy = new ReadPolicy(ctx);
    this.readReceipts = new ReadReceipts(ctx, contacts, sender, this.readPolicy);
  }

  /** A conversation from an email (the 1:1 chat), a group name or id, or a conversation id. */
  async conversationIdFor(ref: string): Promise<string> {
    const trimmed = ref.trim();
    if (this.ctx.store.getConversation(trimmed)) return trimmed;
    if (trimmed.includes('@')) {
      const contact = await this.contacts.resolve(trimmed).then((r) => r.contact, (err: unknown) => {
        const known = isOffline(err) ? knownContact(this.ctx, trimmed) : undefined;
        if (!known) throw err;
        return known;
      });
      return directConversationId(this.ctx.account.userId, contact.userId);
    }
    return this.groupViews.idOf(trimmed);
  }

  /** A message in this device's store (a held message's text is not shown). */
  findMessage(messageId: string): StoredMessage | undefined {
    const m = this.queries.find(messageId);
    return m && (m.flag === 'held' ? { ...m, body: '' } : m);
  }

  private existing(messageId: string): StoredMessage {
    const m = this.queries.find(messageId);
    if (!m) throw new UsageError(`no message with id ${messageId} on this device`);
    return m;
  }

  private conversation(id: string): Conversation {
    const c = this.ctx.store.getConversation(id);
    if (!c) throw new UsageError(`no conversation ${id} on this device`);
    return c;
  }

  /**
   * Sends a control record to a conversation's members and our other devices, then applies it here (a
   * reaction, edit, delete or timer: as every receiver does). H7 sends 'timer' through it.
   */
  async sendContent(conversationId: string, content: ControlContent): Promise<SentRecord> {
    const conv = this.conversation(conversationId);
    const messageId = newMessageId();
    const sentAt = this.ctx.now();
    const record = { v: 2, ...content, messageId, sentAt } as C.Content & { messageId: string; sentAt: number };
    let d: { devices: number; recipients: Recipient[] };
    if (conv.kind === 'group') {
      d = await this.groupSender.sendRecord(conv.id, encodePayload({ ...record, group: conv.id } as C.Content), messageId);
    } else {
      const peer = conv.peerUserId!;
      const contact = await this.contacts.forUser(peer);
      d = await this.sender.deliver(peer, contact.email, encodePayload(record), encodePayload({ ...record, to: peer } as C.Content), { key: messageId });
    }
    await this.applyOwn(record, conv);
    return { messageId, conversationId: conv.id, sentAt, devices: d.devices, recipients: d.recipients };
  }

  /** One reaction per person per message: a new emoji replaces the old one; `remove` withdraws it. */
  async react(messageId: string, emoji: string, opts: { remove?: boolean } = {}): Promise<SentRecord> {
    checkEmoji(emoji);
    const m = this.existing(messageId);
    if (m.kind !== 'message') throw new UsageError('only messages can get reactions');
    if (m.deleted) throw new UsageError('that message was deleted');
    if (opts.remove && this.queries.reaction(m.id, this.ctx.account.userId)?.emoji !== emoji) {
      throw new UsageError(`you have not reacted with ${emoji} to that message`);
    }
    const content: ControlContent = { kind: 'reaction', targetMessageId: m.id, targetAuthor: m.senderUserId, emoji, ...(opts.remove ? { remove: true } : {}) };
    const conv = this.conversation(m.conversationId);
    if (conv.kind === 'group') {
      const info = await this.groupViews.fetch(conv.id);
      // Announcement groups: only admins post. A plain member's reaction goes to the author alone, 1:1 about
      // the group (the server checks both are members), so it adds no noise for everyone else.
      if (info.role !== null && !info.canPost) return this.sendAboutGroup(conv, m.senderUserId, content);
    }
    return this.sendContent(m.conversationId, content);
  }

  /** A record for one member of a group (and our other devices), sent 1:1 with the server's group check. */
  private async sendAboutGroup(conv: Conversation, to: string, content: ControlContent): Promise<SentRecord> {
    const messageId = newMessageId();
    const sentAt = this.ctx.now();
    const record = { v: 2, ...content, messageId, sentAt, group: conv.id } as C.Content & { messageId: string; sentAt: number };
    let d: { devices: number; recipients: Recipient[] };
    if (to === this.ctx.account.userId) d = await this.sender.deliverToSelf(encodePayload(record), messageId);
    else {
      const contact = await this.contacts.forUser(to);
      d = await this.sender.deliver(to, contact.email, encodePayload(record), encodePayload({ ...record, to } as C.Content), { key: messageId, aboutGroup: conv.id });
    }
    await this.applyOwn(record, conv);
    return { messageId, conversationId: conv.id, sentAt, devices: d.devices, recipients: d.recipients };
  }

  /** Applies a record we sent, as every receiver does. */
  private async applyOwn(record: C.Content, conv: Conversation): Promise<void> {
    await this.ctx.store.exclusive(async () => {
      this.applier.apply(record as Parameters<ContentApplier['apply']>[0], {
        userId: this.ctx.account.userId, deviceId: this.ctx.account.deviceId, sender: undefined, serverTimestamp: this.ctx.now(),
        conversationId: conv.id, ...(conv.kind === 'group' ? { group: conv.id, groupName: conv.title } : {}),
      });
    });
  }

  /** Only the author, within 24 h of sending; every receiver checks both again. */
  async edit(messageId: string, text: string): Promise<SentRecord> {
    checkText(text);
    const m = this.existing(messageId);
    if (m.senderUserId !== this.ctx.account.userId || m.direction !== 'out' || m.kind !== 'message') throw new UsageError('you can only edit your own messages');
    if (m.deleted) throw new UsageError('that message was deleted');
    if (this.ctx.now() - Math.min(m.sentAt, m.receivedAt) > EDIT_WINDOW_MS) throw new UsageError('a message can only be edited within 24 hours of sending it');
    if (m.status === 'sending' || m.status === 'queued' || m.status === 'waiting' || m.status === 'failed') {
      throw new UsageError('that message has not been sent yet; edit it once it is sent');
    }
    return this.sendContent(m.conversationId, { kind: 'edit', targetMessageId: m.id, text });
  }

  /** For everyone: only the author; "This message was deleted" stays. For me: gone from this device only. */
  async deleteMessage(messageId: string, opts: { forEveryone: boolean }): Promise<SentRecord | undefined> {
    const m = this.existing(messageId);
    if (!opts.forEveryone) {
      await this.ctx.store.exclusive(async () => this.queries.remove(m.id));
      return undefined;
    }
    if (m.senderUserId !== this.ctx.account.userId || m.direction !== 'out' || m.kind !== 'message') {
      throw new UsageError('you can only delete your own messages for everyone (delete it for yourself instead)');
    }
    if (m.deleted) throw new UsageError('that message was already deleted');
    return this.sendContent(m.conversationId, { kind: 'delete', targetMessageId: m.id });
  }

  /** Typing indicators: to the conversation's members only (never stored anywhere). */
  async sendTyping(conversationId: string, state: 'started' | 'stopped'): Promise<void> {
    const conv = this.conversation(conversationId);
    const sentAt = this.ctx.now();
    const key = `typing:${newMessageId()}`;
    if (conv.kind === 'group') {
      await this.groupSender.sendRecord(conv.id, encodePayload({ v: 2, kind: 'typing', state, sentAt, group: conv.id }), key);
      return;
    }
    const peer = conv.peerUserId!;
    const contact = await this.contacts.forUser(peer);
    // Our own devices must get an envelope too (the server wants one per device); they ignore it.
    const bytes = encodePayload({ v: 2, kind: 'typing', state, sentAt });
    await this.sender.deliver(peer, contact.email, bytes, bytes, { key });
  }

  /**
   * Marks a chat read. Read receipts go to the authors when this user's setting and the organization allow
   * them; our other devices learn it either way (messages/read-receipts.ts).
   */
  async markRead(conversationId: string): Promise<{ read: number; receipts: boolean }> {
    const { store } = this.ctx;
    const read = await store.exclusive(async () => this.queries.markConversationRead(conversationId, this.ctx.now()));
    if (read.length === 0) return { read: 0, receipts: false };
    const conv = store.getConversation(conversationId);
    const receipts = await this.readReceipts.read(read, conv?.kind === 'group' ? conv.id : undefined);
    return { read: read.length, receipts };
  }
}
