// One incoming envelope: decrypt, check, store, exactly once. Direct messages, copies of our own messages
// from our other devices, group messages (only as the server relayed them) and delivery receipts.
import type { CiphertextType } from '../../../crypto/signal.ts';
import { ProtocolError } from '../../../crypto/signal.ts';
import type * as W from '../../../common/wire/schemas.ts';
import { decodePayload, directConversationId, PayloadError, type Payload, type TextPayload } from '../payload.ts';
import type { Contact, StoredMessage } from '../store/local-store.ts';
import type { Contacts } from '../directory/contacts.ts';
import type { GroupSync } from '../groups/group-sync.ts';
import type { EnvelopeOutcome, ReceivedMessage } from './types.ts';
import type { SenderCheck, SenderChecks } from './sender-check.ts';
import type { VerifiedSync } from './verified-sync.ts';
import { isUndeliverable } from '../outgoing/fanout.ts';
import { unb64, type CoreContext } from '../context.ts';

export class EnvelopeHandler {
  constructor(
    private readonly ctx: CoreContext,
    private readonly contacts: Contacts,
    private readonly groupSync: GroupSync,
    private readonly checks: SenderChecks,
    private readonly verifiedSync: VerifiedSync,
  ) {}

  /**
   * Decrypts and stores one envelope, exactly once: the message and the "processed" mark commit together,
   * and only then is the envelope acked. A redelivered envelope is recognised by its server id; a replayed
   * ciphertext under a new id fails the ratchet and is reported as rejected.
   */
  async handle(env: W.IncomingEnvelope): Promise<EnvelopeOutcome> {
    const { store, account } = this.ctx;
    const peer = { userId: env.sourceUser, deviceId: env.sourceDevice };
    if (!store.isEnvelopeProcessed(account.server, env.id)) await this.checks.prepare(peer);
    return store.exclusive(async () => {
      const server = account.server;
      if (store.isEnvelopeProcessed(server, env.id)) return { duplicate: true };
      const reject = (reason: string) => {
        store.markEnvelopeProcessed(server, env.id, this.ctx.now());
        return { rejected: { envelopeId: env.id, fromUserId: env.sourceUser, fromDevice: env.sourceDevice, reason } };
      };
      const content = unb64(env.content);
      if (isUndeliverable(content)) {
        return reject('the sender could not encrypt for this device (its keys are missing or do not verify); sign this device in again');
      }
      let payload: Payload;
      try {
        const plain = await this.ctx.party.decrypt(peer, env.type as CiphertextType, content);
        payload = decodePayload(plain);
      } catch (err) {
        if (err instanceof ProtocolError || err instanceof PayloadError) return reject(err.message);
        throw err;
      }
      const fromSelf = env.sourceUser === account.userId;
      const check = this.checks.check(peer);
      // The server stamps aboutGroup only on a receipt for a group's messages, after checking both ends are in it.
      if (payload.kind === 'receipt' ? payload.group !== env.aboutGroup : env.aboutGroup !== undefined) {
        return reject(payload.kind === 'receipt'
          ? 'a delivery receipt whose group the server did not check'
          : 'a message stamped as concerning a group that is not a delivery receipt');
      }
      if (payload.kind === 'verified') {
        const refused = await this.verifiedSync.apply(payload, fromSelf, check);
        if (refused) return reject(refused);
        store.markEnvelopeProcessed(server, env.id, this.ctx.now());
        return { verified: payload.userId };
      }
      if (payload.kind === 'receipt') {
        if (check.flag) return reject('a delivery receipt from a device or key the directory does not list for its sender');
        store.markEnvelopeProcessed(server, env.id, this.ctx.now());
        if (fromSelf) return { duplicate: true }; // our other device's receipts concern its own copy
        const conversationId = payload.group ?? directConversationId(account.userId, env.sourceUser);
        const messageIds = store.markDelivered(conversationId, payload.messageIds);
        return { delivered: { conversationId, messageIds } };
      }
      if (payload.group !== undefined || env.group !== undefined) {
        // Both or neither: the server stamps the group it checked membership for; the sender names it inside.
        if (payload.group !== env.group) return reject('a group message that the server did not relay for that group');
        return this.storeGroupMessage(env, payload as TextPayload & { group: string }, fromSelf, check);
      }
      if (fromSelf && !payload.to) return reject('a copy from our own device without a recipient');
      const peerUserId = fromSelf ? payload.to! : env.sourceUser;
      const sender = fromSelf ? undefined : await this.contacts.forUser(env.sourceUser);
      const peerContact = fromSelf ? await this.contacts.forUser(peerUserId) : sender!;
      // The conversation is derived locally, never taken from the sender: nobody can post into another chat.
      const conversationId = directConversationId(account.userId, peerUserId);
      const receivedAt = this.ctx.now();
      store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId, title: peerContact.name }, receivedAt);
      return this.storeReceived(env, payload, conversationId, sender, receivedAt, check, fromSelf ? { to: peerContact.email } : {});
    });
  }

  /** Stores a group message (inside handle's transaction). The conversation is the server-checked group. */
  private async storeGroupMessage(
    env: W.IncomingEnvelope, payload: TextPayload & { group: string }, fromSelf: boolean, check: SenderCheck,
  ): Promise<EnvelopeOutcome> {
    const { store } = this.ctx;
    const conversationId = payload.group;
    const receivedAt = this.ctx.now();
    const sender = fromSelf ? undefined : await this.contacts.forUser(env.sourceUser);
    let conversation = store.getConversation(conversationId);
    if (!conversation) {
      // Added to a group we have not synced yet: its name and events ("… added you") come first, so the
      // chat reads in order. Offline or refused: a placeholder, fixed by the next sync.
      const name = (await this.ctx.api.group(conversationId).catch(() => undefined))?.name ?? 'New group';
      store.ensureConversation({ id: conversationId, kind: 'group', peerUserId: null, title: name }, receivedAt);
      await this.groupSync.syncOne(conversationId).catch(() => this.groupSync.markPending(conversationId));
      conversation = store.getConversation(conversationId)!;
    }
    return this.storeReceived(env, payload, conversationId, sender, receivedAt, check, { group: conversationId, groupName: conversation.title });
  }

  /** Stores a decrypted text message and marks its envelope processed (one transaction with the caller). */
  private storeReceived(
    env: W.IncomingEnvelope, payload: TextPayload, conversationId: string, sender: Contact | undefined, receivedAt: number,
    check: SenderCheck, extra: Pick<ReceivedMessage, 'to' | 'group' | 'groupName'>,
  ): EnvelopeOutcome {
    const { store, account } = this.ctx;
    const fromSelf = sender === undefined;
    const stored: Omit<StoredMessage, 'seq'> = {
      id: payload.messageId, conversationId, senderUserId: env.sourceUser, senderDeviceId: env.sourceDevice,
      direction: fromSelf ? 'out' : 'in', body: payload.text, sentAt: payload.sentAt, receivedAt, status: fromSelf ? 'sent' : 'received',
      ...(check.flag ? { flag: check.flag } : {}),
    };
    const fresh = store.addMessage({ ...stored, ...(check.senderKey ? { senderKey: check.senderKey } : {}) });
    store.markEnvelopeProcessed(account.server, env.id, receivedAt);
    if (!fresh) return { duplicate: true };
    return {
      message: {
        // A held message's text stays in the store, unshown, until the user verifies the new key.
        messageId: payload.messageId, conversationId, text: check.flag === 'held' ? '' : payload.text, sentAt: payload.sentAt, receivedAt,
        from: sender?.email ?? account.email, fromName: sender?.name ?? account.name,
        fromUserId: env.sourceUser, fromDevice: env.sourceDevice, outgoing: fromSelf, ...extra, ...(check.flag ? { flag: check.flag } : {}),
      },
    };
  }
}
