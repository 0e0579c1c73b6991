// Sending 1:1: a message (or a delivery receipt) is encrypted for every device of the recipient and every
// other device of this user, and posted in one request; the store records it as sending → sent / failed,
// or 'waiting' when the recipient has no active device, or 'queued' when the server cannot be reached
// (outbox/outbox.ts; sendWaiting sends both once it can).
import type * as W from '../../../common/wire/schemas.ts';
import { directConversationId, encodePayload } from '../payload.ts';
import type { Contacts } from '../directory/contacts.ts';
import { SafetyNumberChangedError, type Trust } from '../trust/trust.ts';
import { isDeviceMismatch, SEND_ATTEMPTS, type Sessions } from './sessions.ts';
import { Fanout, sendIdFor, type SkippedDevice, type Target } from './fanout.ts';
import { postWithRetry } from './post.ts';
import { isOffline, knownContact, QUEUED } from '../outbox/outbox.ts';
import { newMessageId, type CoreContext } from '../context.ts';
import { MessageQueries } from '../store/message-queries.ts';
import { checkInput, checkText, messageContent, replyFor, type MessageInput } from './content.ts';
import { automaticField, markAutomatic } from '../business/automatic.ts';

export { checkText, type MessageInput } from './content.ts';

/** A device that got an envelope (H2 grants it the download of the message's files). */
export interface Recipient { userId: string; deviceId: number }

export interface SentMessage {
  messageId: string;
  conversationId: string;
  sentAt: number;
  /** How many devices got an envelope (the recipient's and our other ones). */
  devices: number;
  /** How many of those are the recipient's: 0 means nothing reached them (see `waiting`). */
  recipientDevices: number;
  /** The recipient has no active device: the message waits and is sent when they sign in on one. */
  waiting: boolean;
  /** The server could not be reached: the message is kept ("Waiting to send") and sent when it can be. */
  queued?: boolean;
  /** Devices that got nothing (their keys are missing or do not verify); the user was warned. */
  skipped: SkippedDevice[];
  /** The devices that got an envelope: the recipients' and our other ones. */
  recipients: Recipient[];
  /** Recipients off work (userId → ms): the relay holds their copy until then (server/workplace/). */
  heldUntil?: Record<string, number>;
}

export interface Delivery {
  devices: number;
  recipientDevices: number;
  skipped: SkippedDevice[];
  recipients: Recipient[];
  /** As SentMessage.heldUntil. */
  heldUntil?: Record<string, number>;
}

/** The envelopes that carry a real message (not the "not encrypted for this device" marker). */
export function delivered(envelopes: W.OutgoingEnvelope[], skipped: SkippedDevice[]): Recipient[] {
  const out = (e: W.OutgoingEnvelope) => skipped.some((s) => s.userId === e.userId && s.deviceId === e.deviceId);
  return envelopes.filter((e) => !out(e)).map((e) => ({ userId: e.userId, deviceId: e.deviceId }));
}

export class Sender {
  private readonly fanout: Fanout;

  constructor(
    private readonly ctx: CoreContext,
    private readonly contacts: Contacts,
    private readonly trust: Trust,
    private readonly sessions: Sessions,
  ) {
    this.fanout = new Fanout(ctx, contacts, sessions);
  }

  sendText(email: string, text: string): Promise<SentMessage> {
    checkText(text);
    return this.send(email, { text });
  }

  /** Sends a message (text, files, a reply) 1:1: stored first, then encrypted for every device of both. */
  async send(email: string, input: MessageInput): Promise<SentMessage> {
    checkInput(input);
    const { store, account } = this.ctx;
    // Offline, a known contact can still be written to: the message is queued.
    const contact = await this.contacts.resolve(email).then((r) => r.contact, (err: unknown) => {
      const known = isOffline(err) ? knownContact(this.ctx, email) : undefined;
      if (!known) throw err;
      return known;
    });
    if (this.trust.verificationStatus(contact.userId) === 'changed') throw new SafetyNumberChangedError(contact.email);
    const conversationId = directConversationId(account.userId, contact.userId);
    const sentAt = this.ctx.now();
    const messageId = newMessageId();
    await store.exclusive(async () => {
      store.ensureConversation({ id: conversationId, kind: 'direct', peerUserId: contact.userId, title: contact.name }, sentAt);
      const replyTo = replyFor(new MessageQueries(store), conversationId, input.replyTo);
      const expiresIn = store.getConversation(conversationId)?.disappearingSeconds;
      store.addMessage({
        id: messageId, conversationId, senderUserId: account.userId, senderDeviceId: account.deviceId,
        direction: 'out', body: input.text ?? '', sentAt, receivedAt: sentAt, status: 'sending',
        ...(replyTo ? { replyTo } : {}), ...(input.attachments?.length ? { attachments: input.attachments } : {}),
        ...(expiresIn ? { expiresIn } : {}),
      });
      if (input.automatic) markAutomatic(store, messageId, input.automatic);
    });
    try {
      // Earlier messages (queued offline, or waiting for this person's first device) go first, in order.
      await this.sendWaiting(contact.userId);
      const d = await this.sendStored(messageId, contact.userId, contact.email, { urgent: input.urgent === true });
      return { messageId, conversationId, sentAt, ...d, waiting: d.recipientDevices === 0, queued: false };
    } catch (err) {
      if (!isOffline(err)) throw err;
      await store.exclusive(async () => store.advanceStatus(messageId, 'sending', QUEUED));
      return { messageId, conversationId, sentAt, devices: 0, recipientDevices: 0, skipped: [], recipients: [], waiting: false, queued: true };
    }
  }

  /**
   * Sends the messages that wait for their recipient's first active device (all, or those to `peerUserId`)
   * where the directory now lists one. Returns how many went out; the rest keep waiting.
   */
  async sendWaiting(peerUserId?: string): Promise<number> {
    const waiting = this.ctx.store.waitingMessages(peerUserId);
    let sent = 0;
    for (const peer of new Set(waiting.map((w) => w.peerUserId))) {
      if (peerUserId === undefined) await this.contacts.refreshDevices(peer);
      if (this.contacts.knownDevices(peer).length === 0) continue;
      const contact = await this.contacts.forUser(peer);
      for (const w of waiting.filter((x) => x.peerUserId === peer)) {
        if ((await this.sendStored(w.id, peer, contact.email)).recipientDevices > 0) sent++;
      }
    }
    return sent;
  }

  /**
   * Sends a message already in the store (a new one, or one that waits for the recipient's first device),
   * always under its own message id, so a resend is recognised as the same message by every receiver.
   */
  async sendStored(messageId: string, recipient: string, recipientEmail: string, how: { urgent?: boolean } = {}): Promise<Delivery> {
    const { store } = this.ctx;
    const stored = new MessageQueries(store).find(messageId);
    if (!stored) throw new Error(`message ${messageId} is not in the store`);
    const forPeer = { ...messageContent(stored), ...automaticField(store, messageId) };
    const forMyDevices = { ...forPeer, to: recipient };
    try {
      const d = await this.deliver(recipient, recipientEmail, encodePayload(forPeer), encodePayload(forMyDevices), { key: messageId, ...(how.urgent ? { urgent: true } : {}) });
      // The devices that got it may now download its files, also when it leaves the outbox later (attachments/).
      if (stored.attachments?.length && d.recipients.length > 0) await this.ctx.grantFiles?.(messageId, stored.attachments, d.recipients);
      // A receipt may already have marked it delivered: only move forward from 'sending' (or 'waiting').
      const to = d.recipientDevices > 0 ? 'sent' : 'waiting';
      await store.exclusive(async () => { for (const from of ['sending', 'waiting', QUEUED]) store.advanceStatus(messageId, from, to); });
      return d;
    } catch (err) {
      // Offline: the caller keeps it queued (a queued one simply stays so); anything else is a failure.
      if (!isOffline(err)) await store.exclusive(async () => store.advanceStatus(messageId, 'sending', 'failed'));
      throw err;
    }
  }

  /** Tells this user's other devices that `userId`'s `keys` were verified (payload kind 'verified'). */
  async syncVerified(userId: string, keys: Record<string, string>, safetyNumber: string): Promise<number> {
    const sentAt = this.ctx.now();
    const bytes = encodePayload({ v: 1, kind: 'verified', userId, keys, safetyNumber, sentAt });
    return (await this.deliverToSelf(bytes, `verified:${userId}:${sentAt}`)).devices;
  }

  /** Sends `bytes` to this user's other devices only (syncs: verification, read state). */
  async deliverToSelf(bytes: Uint8Array, key: string): Promise<Delivery> {
    const { account } = this.ctx;
    for (let attempt = 1; ; attempt++) {
      if (attempt === 1) await this.contacts.refreshDevices(account.userId);
      const targets: Target[] = this.contacts.knownDevices(account.userId).filter((d) => d.deviceId !== account.deviceId).map((d) => ({ userId: account.userId, ...d }));
      if (targets.length === 0) return { devices: 0, recipientDevices: 0, skipped: [], recipients: [] };
      const prepared = await this.fanout.prepare(targets);
      const { envelopes, skipped } = await this.ctx.store.exclusive(() => this.fanout.encrypt(prepared, () => bytes, () => new Error('untrusted own device')));
      try {
        const sendId = sendIdFor(key, envelopes);
        await postWithRetry(() => this.ctx.api.send({ recipient: account.userId, envelopes, sendId }));
        this.fanout.report(skipped);
        const recipients = delivered(envelopes, skipped);
        return { devices: recipients.length, recipientDevices: 0, skipped, recipients };
      } catch (err) {
        if (!isDeviceMismatch(err) || attempt >= SEND_ATTEMPTS) throw err;
        await this.sessions.applyMismatch(err.body);
      }
    }
  }

  /**
   * Encrypts one payload for every device of `recipient` and every other device of this user, and sends
   * them in one request. The server answers 409/410 when our device lists are out of date; we then fix
   * the sessions (new devices: fetch a bundle; gone or re-registered devices: drop the session) and retry.
   * A request whose response is lost is retried as it was (post.ts), under a sendId made from `opts.key`
   * (fanout.ts sendIdFor). `opts.aboutGroup`: a receipt for messages of that group (the server checks that
   * both ends are members and stamps it; the receiver compares it with the group the receipt names).
   */
  async deliver(
    recipient: string, recipientEmail: string, peerPayload: Uint8Array, selfPayload: Uint8Array, opts: { key: string; aboutGroup?: string; urgent?: boolean },
  ): Promise<Delivery> {
    const { account } = this.ctx;
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      if (!refreshed && this.contacts.knownDevices(recipient).length === 0) {
        // Nobody of theirs to deliver to as far as we know: ask the directory once before saying so, and
        // for our own devices too (with no envelope at all there is no request whose 409 would tell us).
        await this.contacts.refreshDevices(recipient);
        await this.contacts.refreshDevices(account.userId);
        refreshed = true;
      }
      const targets: Target[] = [
        ...this.contacts.knownDevices(recipient).map((d) => ({ userId: recipient, ...d })),
        ...this.contacts.knownDevices(account.userId).filter((d) => d.deviceId !== account.deviceId).map((d) => ({ userId: account.userId, ...d })),
      ];
      const prepared = await this.fanout.prepare(targets);
      const { envelopes, skipped } = await this.ctx.store.exclusive(() => this.fanout.encrypt(
        prepared, (t) => (t.userId === recipient ? peerPayload : selfPayload), () => new SafetyNumberChangedError(recipientEmail),
      ));
      const recipientDevices = envelopes.filter((e) => e.userId === recipient).length - skipped.filter((s) => s.userId === recipient).length;
      if (envelopes.length === 0) return { devices: 0, recipientDevices: 0, skipped, recipients: [] };
      try {
        const req: W.SendRequest = {
          recipient, envelopes, sendId: sendIdFor(opts.key, envelopes), ...(opts.aboutGroup ? { aboutGroup: opts.aboutGroup } : {}),
          ...(opts.urgent ? { urgent: true } : {}),
        };
        const res = await postWithRetry(() => this.ctx.api.send(req));
        this.fanout.report(skipped);
        return {
          devices: envelopes.length - skipped.length, recipientDevices, skipped, recipients: delivered(envelopes, skipped),
          ...(res.heldUntil ? { heldUntil: res.heldUntil } : {}),
        };
      } catch (err) {
        if (!isDeviceMismatch(err) || attempt >= SEND_ATTEMPTS) throw err;
        await this.sessions.applyMismatch(err.body);
      }
    }
  }
}
