// One incoming envelope: decrypt, check, store, exactly once. Content records (common/wire/content.ts):
// messages (direct, copies of our own from our other devices, group messages only as the server relayed
// them), reactions, edits, deletes, timers (messages/apply.ts), delivery and read receipts, typing
// indicators (reported, never stored) and records of a kind from a newer Parley (kept as a placeholder).
import { createHash } from 'node:crypto';
import type { CiphertextType } from '../../../crypto/signal.ts';
import { ProtocolError } from '../../../crypto/signal.ts';
import type * as W from '../../../common/wire/schemas.ts';
import * as C from '../../../common/wire/content.ts';
import { decodeContent, directConversationId, PayloadError } from '../payload.ts';
import type { Contact, NewMessage } from '../store/local-store.ts';
import { MessageQueries } from '../store/message-queries.ts';
import type { Contacts } from '../directory/contacts.ts';
import type { GroupSync } from '../groups/group-sync.ts';
import type { EnvelopeOutcome, ReceivedEvent, ReceivedMessage } from './types.ts';
import type { SenderCheck, SenderChecks } from './sender-check.ts';
import type { VerifiedSync } from './verified-sync.ts';
import { ContentApplier, type Origin } from '../messages/apply.ts';
import { isUndeliverable } from '../outgoing/fanout.ts';
import { unb64, type CoreContext } from '../context.ts';
import { markAutomatic } from '../business/automatic.ts';

type Decoded = C.Content | C.UnknownContent;
/** What becomes a row in the chat: a message (v1 text, v2 message) or a placeholder for an unknown kind. */
type Storable = C.TextContentV1 | C.MessageContent | C.UnknownContent;
type Control = C.ReactionContent | C.EditContent | C.DeleteContent | C.TimerContent;

/** Where a record belongs, as the envelope proves it (never as the record claims). */
interface Place { conversationId: string; sender: Contact | undefined; group?: string; groupName?: string; to?: string }

export class EnvelopeHandler {
  private readonly applier: ContentApplier;
  private readonly queries: MessageQueries;

  constructor(
    private readonly ctx: CoreContext,
    private readonly contacts: Contacts,
    private readonly groupSync: GroupSync,
    private readonly checks: SenderChecks,
    private readonly verifiedSync: VerifiedSync,
    /** Business tools (core/business/): applies the quick-reply list from another of this user's devices, inside this write. */
    private readonly onQuickReplies: (c: C.QuickRepliesContent) => void = () => {},
  ) {
    this.applier = new ContentApplier(ctx);
    this.queries = new MessageQueries(ctx.store);
  }

  /**
   * Decrypts and stores one envelope, exactly once: the message and the "processed" mark commit together,
   * and only then is the envelope acked. A redelivered envelope is recognised by its server id; a replayed
   * ciphertext under a new id fails the ratchet and is reported as rejected.
   */
  async handle(env: W.IncomingEnvelope, inTransaction?: (out: EnvelopeOutcome) => Promise<void>): Promise<EnvelopeOutcome> {
    const { store, account } = this.ctx;
    const peer = { userId: env.sourceUser, deviceId: env.sourceDevice };
    if (!store.isEnvelopeProcessed(account.server, env.id)) await this.checks.prepare(peer);
    // `inTransaction` (the receive loop's receipt queue) commits with the message: one write, not two.
    return store.exclusive(async () => {
      const out = await this.process(env, peer);
      await inTransaction?.(out);
      return out;
    });
  }

  /** Inside the store transaction: everything handle() does after the network-bound sender check. */
  private async process(env: W.IncomingEnvelope, peer: { userId: string; deviceId: number }): Promise<EnvelopeOutcome> {
    const { store, account } = this.ctx;
    const server = account.server;
    if (store.isEnvelopeProcessed(server, env.id)) return { duplicate: true };
    const reject = (reason: string) => {
      store.markEnvelopeProcessed(server, env.id, this.ctx.now());
      return { rejected: { envelopeId: env.id, fromUserId: env.sourceUser, fromDevice: env.sourceDevice, reason } };
    };
    const processed = (out: EnvelopeOutcome = {}): EnvelopeOutcome => {
      store.markEnvelopeProcessed(server, env.id, this.ctx.now());
      return out;
    };
    const content = unb64(env.content);
    if (isUndeliverable(content)) {
      return reject('the sender could not encrypt for this device (its keys are missing or do not verify); sign this device in again');
    }
    let payload: Decoded;
    try {
      const plain = await this.ctx.party.decrypt(peer, env.type as CiphertextType, content);
      payload = decodeContent(plain);
    } catch (err) {
      if (err instanceof ProtocolError || err instanceof PayloadError) return reject(err.message);
      throw err;
    }
    const fromSelf = env.sourceUser === account.userId;
    const check = this.checks.check(peer);
    // The server stamps aboutGroup on a 1:1 send about a group after checking both ends are in it: receipts for
    // a group's messages, and reactions of plain members of announcement groups (sent to the author only).
    const aboutGroupKind = payload.kind === 'receipt' || (payload.kind === 'reaction' && env.group === undefined);
    if (aboutGroupKind ? (payload as { group?: string }).group !== env.aboutGroup : env.aboutGroup !== undefined) {
      return reject(payload.kind === 'receipt'
        ? `a ${payload.receipt === 'read' ? 'read' : 'delivery'} receipt whose group the server did not check`
        : payload.kind === 'reaction' ? 'a reaction whose group the server did not check'
          : 'a message stamped as concerning a group that is not a delivery or read receipt');
    }
    if (payload.kind === 'verified') {
      const refused = await this.verifiedSync.apply(payload, fromSelf, check);
      if (refused) return reject(refused);
      return processed({ verified: payload.userId });
    }
    if (payload.kind === 'receipt') {
      if (check.flag) return reject('a receipt from a device or key the directory does not list for its sender');
      return processed(this.receipt(payload, env, fromSelf));
    }
    if (payload.kind === 'quick-replies') {
      // The user's own list: only ever from one of their own listed devices.
      if (!fromSelf || check.flag) return reject('quick replies from a device that is not one of this user\'s listed devices');
      this.onQuickReplies(payload);
      return processed();
    }
    // Both or neither: the server stamps the group it checked membership for; the sender names it inside.
    const stamped = env.group ?? env.aboutGroup;
    if ((payload.group !== undefined || stamped !== undefined) && payload.group !== stamped) {
      return reject('a group message that the server did not relay for that group');
    }
    if (payload.kind === 'typing') {
      // Our own devices get a copy only because the server wants one per device; a doubtful sender is not shown typing.
      if (fromSelf || check.flag) return processed();
      return processed({ events: [await this.typing(payload, env)] });
    }
    const place = await this.place(env, payload, fromSelf);
    if (typeof place === 'string') return reject(place);
    if (payload.kind === 'text' || payload.kind === 'message' || payload.kind === 'unknown') {
      return this.storeReceived(env, payload, place, check);
    }
    // Edits, deletes, reactions and timers change what people see: only from a sender the client vouches for.
    if (check.flag) return reject(`a ${payload.kind} from a device or key the directory does not list for its sender`);
    const origin: Origin = {
      userId: env.sourceUser, deviceId: env.sourceDevice, sender: place.sender, serverTimestamp: env.serverTimestamp,
      conversationId: place.conversationId, ...(place.group ? { group: place.group, groupName: place.groupName } : {}),
    };
    const applied = this.applier.apply(payload as Control, origin);
    if ('refused' in applied) return reject(applied.refused);
    return processed({ events: applied.events });
  }

  /** The conversation of a record: the server-checked group, or the 1:1 chat derived from the sender (our copy: from `to`). */
  private async place(env: W.IncomingEnvelope, payload: Exclude<Decoded, C.ReceiptContent | C.VerifiedContent | C.TypingContent | C.QuickRepliesContent>, fromSelf: boolean): Promise<Place | string> {
    const { store, account } = this.ctx;
    const sender = fromSelf ? undefined : await this.contacts.forUser(env.sourceUser);
    if (payload.group !== undefined) {
      const conversationId = payload.group;
      let conversation = store.getConversation(conversationId);
      if (!conversation) {
        // Added to a group we have not synced yet: its name and events ("… added you") come first, so the
        // chat reads in order. Offline or refused: a placeholder, fixed by the next sync.
        const name = (await this.ctx.api.group(conversationId).catch(() => undefined))?.name ?? 'New group';
        store.ensureConversation({ id: conversationId, kind: 'group', peerUserId: null, title: name }, this.ctx.now());
        await this.groupSync.syncOne(conversationId).catch(() => this.groupSync.markPending(conversationId));
        conversation = store.getConversation(conversationId)!;
      }
      return { conversationId, sender, group: conversationId, groupName: conversation.title };
    }
    if (fromSelf && !payload.to) return 'a copy from our own device without a recipient';
    const peerUserId = fromSelf ? payload.to! : env.sourceUser;
    const peerContact = fromSelf ? await this.contacts.forUser(peerUserId) : sender!;
    // The conversation is derived locally, never taken from the sender: nobody can post into another chat.
    const conversationId = directConversationId(account.userId, peerUserId);
    store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId, title: peerContact.name }, this.ctx.now());
    return { conversationId, sender, ...(fromSelf ? { to: peerContact.email } : {}) };
  }

  /** Delivery receipts mark our messages delivered; read receipts mark them read (ours: the reader was us). */
  private receipt(p: C.ReceiptContent, env: W.IncomingEnvelope, fromSelf: boolean): EnvelopeOutcome {
    const { store, account } = this.ctx;
    if (p.receipt === 'delivered') {
      if (fromSelf) return { duplicate: true }; // our other device's receipts concern its own copy
      const conversationId = p.group ?? directConversationId(account.userId, env.sourceUser);
      return { delivered: { conversationId, messageIds: store.markDelivered(conversationId, p.messageIds) } };
    }
    const now = this.ctx.now();
    let conversationId: string;
    let ids: string[];
    if (fromSelf) {
      // We read these on another device: they are read here too. `to`: whose messages (1:1 chat).
      if (!p.group && !p.to) return { duplicate: true };
      conversationId = p.group ?? directConversationId(account.userId, p.to!);
      ids = this.queries.markIncomingRead(conversationId, p.messageIds, now);
    } else {
      conversationId = p.group ?? directConversationId(account.userId, env.sourceUser);
      ids = this.queries.markOutgoingRead(conversationId, p.messageIds, now);
    }
    const from = fromSelf ? undefined : store.getContact(env.sourceUser);
    const groupName = p.group ? store.getConversation(p.group)?.title : undefined;
    return {
      events: ids.map((id): ReceivedEvent => ({
        kind: 'read', conversationId, targetMessageId: id, from: from?.email ?? (fromSelf ? account.email : env.sourceUser),
        fromName: from?.name ?? (fromSelf ? account.name : env.sourceUser), fromUserId: env.sourceUser, fromDevice: env.sourceDevice,
        outgoing: fromSelf, sentAt: p.sentAt, receivedAt: now, ...(p.group ? { group: p.group, ...(groupName ? { groupName } : {}) } : {}),
      })),
    };
  }

  private async typing(p: C.TypingContent, env: W.IncomingEnvelope): Promise<ReceivedEvent> {
    const sender = await this.contacts.forUser(env.sourceUser);
    const conversationId = p.group ?? directConversationId(this.ctx.account.userId, env.sourceUser);
    const groupName = p.group ? this.ctx.store.getConversation(p.group)?.title : undefined;
    return {
      kind: 'typing', state: p.state, conversationId, from: sender.email, fromName: sender.name, fromUserId: env.sourceUser,
      fromDevice: env.sourceDevice, outgoing: false, sentAt: p.sentAt, receivedAt: this.ctx.now(),
      ...(p.group ? { group: p.group, ...(groupName ? { groupName } : {}) } : {}),
    };
  }

  /** Stores a message (or an unknown kind's placeholder) and marks its envelope processed (one transaction with the caller). */
  private storeReceived(env: W.IncomingEnvelope, payload: Storable, place: Place, check: SenderCheck): EnvelopeOutcome {
    const { store, account } = this.ctx;
    const fromSelf = place.sender === undefined;
    const receivedAt = this.ctx.now();
    const unknown = payload.kind === 'unknown';
    // A newer client's record without a usable id still gets one row, the same on every redelivery.
    const messageId = payload.messageId ?? createHash('sha256').update(`${account.server}\n${env.id}`).digest('base64url').slice(0, 22);
    const v2 = payload.kind === 'message' ? payload : undefined;
    const text = payload.kind === 'unknown' ? '' : payload.text ?? '';
    const stored: NewMessage = {
      id: messageId, conversationId: place.conversationId, senderUserId: env.sourceUser, senderDeviceId: env.sourceDevice,
      direction: fromSelf ? 'out' : 'in', body: text, sentAt: payload.sentAt ?? env.serverTimestamp, receivedAt,
      status: fromSelf ? 'sent' : 'received', kind: unknown ? 'unknown' : 'message',
      ...(check.flag ? { flag: check.flag } : {}),
      // A quote of a message already deleted for everyone here keeps no text of it.
      ...(v2?.replyTo ? { replyTo: this.queries.find(v2.replyTo.messageId)?.deleted ? { ...v2.replyTo, excerpt: '' } : v2.replyTo } : {}),
      ...(v2?.attachments ? { attachments: v2.attachments } : {}),
      ...(v2?.expiresInSeconds ? { expiresIn: v2.expiresInSeconds } : {}),
    };
    const fresh = store.addMessage({ ...stored, ...(check.senderKey ? { senderKey: check.senderKey } : {}) });
    if (fresh && v2?.automatic) markAutomatic(store, messageId, v2.automatic);
    store.markEnvelopeProcessed(account.server, env.id, receivedAt);
    if (!fresh) return { duplicate: true };
    const held = check.flag === 'held';
    const message: ReceivedMessage = {
      kind: 'message',
      // A held message's text stays in the store, unshown, until the user verifies the new key.
      messageId, conversationId: place.conversationId, text: held ? '' : unknown ? C.NEEDS_NEWER_VERSION : text, sentAt: stored.sentAt, receivedAt,
      from: place.sender?.email ?? account.email, fromName: place.sender?.name ?? account.name,
      fromUserId: env.sourceUser, fromDevice: env.sourceDevice, outgoing: fromSelf,
      attachments: held ? [] : v2?.attachments ?? [],
      ...(stored.replyTo && !held ? { replyTo: stored.replyTo.messageId, reply: stored.replyTo } : {}),
      ...(unknown ? { needsNewerVersion: true as const } : {}),
      ...(v2?.expiresInSeconds ? { expiresInSeconds: v2.expiresInSeconds } : {}),
      ...(v2?.automatic ? { automatic: v2.automatic } : {}),
      ...(place.to ? { to: place.to } : {}),
      ...(place.group ? { group: place.group, groupName: place.groupName } : {}),
      ...(check.flag ? { flag: check.flag } : {}),
    };
    return { message };
  }
}
