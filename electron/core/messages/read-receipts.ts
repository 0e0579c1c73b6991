// Read receipts: when a chat is read, each author learns which of their messages were read (1:1; about the
// group for group messages), if the user's setting and the organization allow it, and the user's other
// devices learn it either way (they clear the chat's unread too). What cannot go out now (server
// unreachable) is kept in the store and sent at the next connection, under the setting of that moment.
import * as C from '../../../common/wire/content.ts';
import { encodePayload } from '../payload.ts';
import type { Contacts } from '../directory/contacts.ts';
import type { Sender } from '../outgoing/sender.ts';
import type { StoredMessage } from '../store/local-store.ts';
import { isOffline } from '../outbox/outbox.ts';
import type { ReadPolicy } from './read-policy.ts';
import type { CoreContext } from '../context.ts';

const PENDING = 'pendingReadReceipts';
const BATCH = 100;

interface PendingRead { author: string; group?: string; messageIds: string[] }

export class ReadReceipts {
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: CoreContext, private readonly contacts: Contacts, private readonly sender: Sender, private readonly policy: ReadPolicy) {}

  /** Queues receipts for messages just read, then sends everything pending. Returns whether receipts go to authors. */
  async read(messages: StoredMessage[], group: string | undefined): Promise<boolean> {
    const { store } = this.ctx;
    await store.exclusive(async () => {
      const pending = store.getJson<PendingRead[]>(PENDING) ?? [];
      // No receipt for a message whose sender the client does not vouch for (it may not be theirs).
      for (const m of messages) {
        if (m.flag) continue;
        const open = pending.find((p) => p.author === m.senderUserId && p.group === group && p.messageIds.length < BATCH);
        if (open) open.messageIds.push(m.id);
        else pending.push({ author: m.senderUserId, ...(group ? { group } : {}), messageIds: [m.id] });
      }
      store.setJson(PENDING, pending);
    });
    const allowed = await this.policy.allowed();
    await this.flush();
    return allowed;
  }

  /** Sends the pending receipts; an unreachable server leaves them for the next connection. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow()).catch((err: Error) => {
      this.ctx.warn(`could not send read receipts: ${err.message}`);
    });
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    const { store, account } = this.ctx;
    const pending = store.getJson<PendingRead[]>(PENDING) ?? [];
    if (pending.length === 0) return;
    const allowed = await this.policy.allowed();
    for (const p of pending) {
      const receipt: C.ReceiptContent = { v: 2, kind: 'receipt', receipt: 'read', messageIds: p.messageIds, sentAt: this.ctx.now(), ...(p.group ? { group: p.group } : {}) };
      const mine = encodePayload({ ...receipt, to: p.author });
      const key = `read:${p.group ?? ''}:${p.messageIds.join(',')}`;
      try {
        if (allowed) {
          const contact = await this.contacts.forUser(p.author);
          await this.sender.deliver(p.author, contact.email, encodePayload(receipt), mine, { key, ...(p.group ? { aboutGroup: p.group } : {}) });
        } else if (p.author !== account.userId) await this.sender.deliverToSelf(mine, key);
      } catch (err) {
        if (isOffline(err)) return; // kept: sent on reconnect
        // Refused for good (the author left the group, the contact is gone): drop it, say so once.
        this.ctx.warn(`could not send a read receipt: ${(err as Error).message}`);
      }
      await store.exclusive(async () => {
        const now = store.getJson<PendingRead[]>(PENDING) ?? [];
        const entry = now.find((x) => x.author === p.author && x.group === p.group && x.messageIds[0] === p.messageIds[0]);
        if (entry) entry.messageIds.splice(0, p.messageIds.length);
        store.setJson(PENDING, now.filter((x) => x.messageIds.length > 0));
      });
    }
  }
}
