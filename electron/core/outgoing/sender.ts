// Sending 1:1: a message (or a delivery receipt) is encrypted for every device of the recipient and every
// other device of this user, and posted in one request; the store records it as sending → sent / failed.
import { ProtocolError } from '../../../crypto/signal.ts';
import type * as W from '../../../common/wire/schemas.ts';
import { directConversationId, encodePayload, MAX_TEXT_CHARS, type TextPayload } from '../payload.ts';
import type { Contacts } from '../directory/contacts.ts';
import { SafetyNumberChangedError, type Trust } from '../trust/trust.ts';
import { isDeviceMismatch, SEND_ATTEMPTS, type Sessions } from './sessions.ts';
import { b64, newMessageId, UsageError, type CoreContext } from '../context.ts';

export interface SentMessage {
  messageId: string;
  conversationId: string;
  sentAt: number;
  /** How many devices got an envelope (the recipient's and our other ones). */
  devices: number;
}

/** Refuses what can never be sent, before anything is stored. */
export function checkText(text: string): void {
  if (text.length === 0) throw new UsageError('the message is empty');
  if (text.length > MAX_TEXT_CHARS) throw new UsageError(`the message is longer than ${MAX_TEXT_CHARS} characters`);
}

export class Sender {
  constructor(
    private readonly ctx: CoreContext,
    private readonly contacts: Contacts,
    private readonly trust: Trust,
    private readonly sessions: Sessions,
  ) {}

  async sendText(email: string, text: string): Promise<SentMessage> {
    checkText(text);
    const { store, account } = this.ctx;
    const { contact } = await this.contacts.resolve(email);
    if (this.trust.verificationStatus(contact.userId) === 'changed') throw new SafetyNumberChangedError(contact.email);
    const conversationId = directConversationId(account.userId, contact.userId);
    const sentAt = this.ctx.now();
    const messageId = newMessageId();
    await store.exclusive(async () => {
      store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId: contact.userId, title: contact.name }, sentAt);
      store.addMessage({
        id: messageId, conversationId, senderUserId: account.userId, senderDeviceId: account.deviceId,
        direction: 'out', body: text, sentAt, receivedAt: sentAt, status: 'sending',
      });
    });
    const forPeer: TextPayload = { v: 1, kind: 'text', messageId, sentAt, text };
    const forMyDevices: TextPayload = { ...forPeer, to: contact.userId };
    try {
      const devices = await this.deliver(contact.userId, contact.email, encodePayload(forPeer), encodePayload(forMyDevices));
      // A receipt may already have marked it delivered: only move forward from 'sending'.
      await store.exclusive(async () => store.advanceStatus(messageId, 'sending', 'sent'));
      return { messageId, conversationId, sentAt, devices };
    } catch (err) {
      await store.exclusive(async () => store.advanceStatus(messageId, 'sending', 'failed'));
      throw err;
    }
  }

  /**
   * Encrypts one payload for every device of `recipient` and every other device of this user, and sends
   * them in one request. The server answers 409/410 when our device lists are out of date; we then fix
   * the sessions (new devices: fetch a bundle; gone or re-registered devices: drop the session) and retry.
   */
  async deliver(recipient: string, recipientEmail: string, peerPayload: Uint8Array, selfPayload: Uint8Array): Promise<number> {
    const { store, party, account } = this.ctx;
    for (let attempt = 1; ; attempt++) {
      const targets = [
        ...this.contacts.knownDevices(recipient).map((d) => ({ userId: recipient, ...d })),
        ...this.contacts.knownDevices(account.userId).filter((d) => d.deviceId !== account.deviceId).map((d) => ({ userId: account.userId, ...d })),
      ];
      const envelopes = await store.exclusive(async () => {
        const out: W.OutgoingEnvelope[] = [];
        for (const t of targets) {
          const peer = { userId: t.userId, deviceId: t.deviceId };
          let ct;
          try {
            if (!(await this.sessions.has(peer))) await this.sessions.start(peer);
            ct = await party.encrypt(peer, t.userId === recipient ? peerPayload : selfPayload);
          } catch (err) {
            // Only a verified contact's keys are ever untrusted (see StoreProtocolState.isTrustedIdentity).
            if (err instanceof ProtocolError && err.kind === 'untrusted-identity') throw new SafetyNumberChangedError(recipientEmail);
            throw err;
          }
          out.push({ userId: t.userId, deviceId: t.deviceId, registrationId: ct.registrationId || t.registrationId, type: ct.type, content: b64(ct.body) });
        }
        return out;
      });
      if (envelopes.length === 0) {
        // Nobody to deliver to yet: ask the server for the truth (it answers 409 with the device lists).
        await this.contacts.refreshDevices(recipient);
        if (this.contacts.knownDevices(recipient).length === 0) throw new UsageError(`${recipientEmail} has no active device yet`);
        continue;
      }
      try {
        await this.ctx.api.send({ recipient, envelopes });
        return envelopes.length;
      } catch (err) {
        if (!isDeviceMismatch(err) || attempt >= SEND_ATTEMPTS) throw err;
        await this.sessions.applyMismatch(err.body);
      }
    }
  }
}
