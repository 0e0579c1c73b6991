// Sending to a group: one envelope per device of every member we may reach (all members; a plain member of
// a confidential group reaches the admins) and our other devices, each over its pairwise session, in one
// request. The member list comes from the server at send time, so a removed member gets nothing.
import type * as G from '../../../common/wire/groups.ts';
import { encodePayload } from '../payload.ts';
import type { Contacts } from '../directory/contacts.ts';
import { SafetyNumberChangedError } from '../trust/trust.ts';
import { checkText, delivered, type Delivery, type SentMessage } from '../outgoing/sender.ts';
import { checkInput, messageContent, replyFor, type MessageInput } from '../outgoing/content.ts';
import { MessageQueries } from '../store/message-queries.ts';
import { isDeviceMismatch, SEND_ATTEMPTS, type Sessions } from '../outgoing/sessions.ts';
import { Fanout, sendIdFor, type Target } from '../outgoing/fanout.ts';
import { postWithRetry } from '../outgoing/post.ts';
import { groupError, type GroupViews } from './group-views.ts';
import { FETCH_PARALLEL, inParallel, newMessageId, PermissionError, type CoreContext } from '../context.ts';

export interface SentGroupMessage extends SentMessage {
  group: G.GroupSummary;
}

export class GroupSender {
  private readonly fanout: Fanout;

  constructor(
    private readonly ctx: CoreContext,
    private readonly contacts: Contacts,
    sessions: Sessions,
    private readonly views: GroupViews,
  ) {
    this.fanout = new Fanout(ctx, contacts, sessions);
  }

  sendText(ref: string, text: string): Promise<SentGroupMessage> {
    checkText(text);
    return this.send(ref, { text });
  }

  async send(ref: string, input: MessageInput): Promise<SentGroupMessage> {
    checkInput(input);
    const { store, account } = this.ctx;
    const info = await this.postable(ref);
    const sentAt = this.ctx.now();
    const messageId = newMessageId();
    await store.exclusive(async () => {
      this.views.ensureConversation(info.id, info.name);
      const replyTo = replyFor(new MessageQueries(store), info.id, input.replyTo);
      const expiresIn = store.getConversation(info.id)?.disappearingSeconds;
      store.addMessage({
        id: messageId, conversationId: info.id, senderUserId: account.userId, senderDeviceId: account.deviceId,
        direction: 'out', body: input.text ?? '', sentAt, receivedAt: sentAt, status: 'sending',
        ...(replyTo ? { replyTo } : {}), ...(input.attachments?.length ? { attachments: input.attachments } : {}),
        ...(expiresIn ? { expiresIn } : {}),
      });
    });
    const payload = messageContent(new MessageQueries(store).find(messageId)!, { group: info.id });
    try {
      const d = await this.deliver(info.id, info.members.map((m) => m.userId), encodePayload(payload), messageId, input.urgent === true);
      await store.exclusive(async () => store.advanceStatus(messageId, 'sending', 'sent'));
      return { messageId, conversationId: info.id, sentAt, ...d, waiting: false, group: info };
    } catch (err) {
      await store.exclusive(async () => store.advanceStatus(messageId, 'sending', 'failed'));
      throw groupError(err);
    }
  }

  /** The group, when this user may post in it now (the server checks again). */
  async postable(ref: string): Promise<G.GroupInfo> {
    const info = await this.views.fetch(ref);
    if (info.role === null) throw new PermissionError(`you are not a member of ${info.name}`);
    if (!info.canPost) throw new PermissionError(`only admins can post in ${info.name} (announcement group)`);
    return info;
  }

  /** Sends a record that is not a stored message (reaction, edit, delete, typing, timer) to the group. */
  async sendRecord(groupId: string, bytes: Uint8Array, key: string): Promise<Delivery> {
    const info = await this.postable(groupId);
    try {
      return await this.deliver(info.id, info.members.map((m) => m.userId), bytes, key);
    } catch (err) { throw groupError(err); }
  }

  /**
   * Encrypts `bytes` for every device of `recipients` and our other devices and posts them in one request.
   * Device lists and key bundles that are missing are fetched first, outside the store transaction and in
   * parallel; the server's 409/410 answer names the exact recipients and their devices, and we retry. A
   * member device with missing or bad keys is skipped and reported (outgoing/fanout.ts), not fatal.
   */
  private async deliver(groupId: string, recipients: string[], bytes: Uint8Array, messageId: string, urgent = false): Promise<Delivery> {
    const { store, party, account, api } = this.ctx;
    let users = new Set([...recipients, account.userId]);
    for (let attempt = 1; ; attempt++) {
      // Each member's cached list is read once (a store read and a JSON parse: 1,000 of them for a big group).
      const lists = new Map([...users].map((u) => [u, this.contacts.devicesOf(u)]));
      const unknown = [...lists].filter(([, l]) => l === undefined).map(([u]) => u);
      await inParallel(unknown, FETCH_PARALLEL, (u) => this.contacts.refreshDevices(u));
      const targets: Target[] = [];
      for (const u of users) {
        for (const d of lists.get(u) ?? this.contacts.knownDevices(u)) {
          if (u === account.userId && d.deviceId === account.deviceId) continue;
          targets.push({ userId: u, ...d });
        }
      }
      const prepared = await this.fanout.prepare(targets);
      const { envelopes, skipped } = await store.exclusive(() => this.fanout.encrypt(
        prepared, () => bytes, (t) => new SafetyNumberChangedError(store.getContact(t.userId)?.email ?? t.userId),
      ));
      try {
        const sendId = sendIdFor(messageId, envelopes);
        // Members off work: the relay holds their copies (heldUntil) unless urgent and allowed.
        const res = await postWithRetry(() => api.sendGroup(groupId, { envelopes, sendId, ...(urgent ? { urgent: true } : {}) }));
        this.fanout.report(skipped);
        const others = envelopes.filter((e) => e.userId !== account.userId).length - skipped.filter((x) => x.userId !== account.userId).length;
        return {
          devices: envelopes.length - skipped.length, recipientDevices: others, skipped, recipients: delivered(envelopes, skipped),
          ...(res.heldUntil ? { heldUntil: res.heldUntil } : {}),
        };
      } catch (err) {
        if (!isDeviceMismatch(err) || attempt >= SEND_ATTEMPTS) throw err;
        const body = err.body;
        // The server's list is the truth about who receives this group's messages right now.
        users = new Set([...Object.keys(body.devices ?? {}), account.userId]);
        await store.exclusive(async () => {
          for (const [userId, devices] of Object.entries(body.devices ?? {})) this.contacts.setDevices(userId, devices);
          for (const gone of body.stale ?? []) await party.deleteSession(gone);
          // "extra" of a non-recipient only means "not in this group": that device keeps its 1:1 session.
          // Identity keys are kept (see Sessions.applyMismatch).
          for (const gone of body.extra ?? []) {
            if (body.devices?.[gone.userId] === undefined) continue;
            await party.deleteSession(gone);
          }
        });
      }
    }
  }
}
