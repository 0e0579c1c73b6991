// Delivery receipts we send back: kept in the store per sender (and group) as envelopes are processed,
// then sent as one 1:1 message per sender once a burst is done. Kept until sent, so a receipt survives the
// server being unreachable for a while (sent on reconnect) and a restart of the client.
import { encodePayload, type Payload } from '../payload.ts';
import { NetworkError } from '../net/api.ts';
import type { Sender } from '../outgoing/sender.ts';
import type { CoreContext } from '../context.ts';

/** The most message ids one receipt names (the payload schema's limit). */
const RECEIPT_BATCH = 100;
const PENDING = 'pendingReceipts';

interface PendingReceipt { userId: string; group?: string; messageIds: string[] }

export class Receipts {
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: CoreContext, private readonly sender: Sender) {}

  /** Records that `messageId` from `userId` (in `group`, if any) needs a receipt. */
  async queue(userId: string, messageId: string, group?: string): Promise<void> {
    const { store } = this.ctx;
    await store.exclusive(async () => {
      const pending = store.getJson<PendingReceipt[]>(PENDING) ?? [];
      const open = pending.find((p) => p.userId === userId && p.group === group && p.messageIds.length < RECEIPT_BATCH);
      if (open) open.messageIds.push(messageId);
      else pending.push({ userId, ...(group ? { group } : {}), messageIds: [messageId] });
      store.setJson(PENDING, pending);
    });
  }

  /** Sends the pending receipts (behind any flush still running); an unreachable server leaves them for later. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const { store } = this.ctx;
      for (const r of store.getJson<PendingReceipt[]>(PENDING) ?? []) {
        const contact = store.getContact(r.userId);
        if (contact) {
          const receipt: Payload = { v: 1, kind: 'receipt', receipt: 'delivered', messageIds: r.messageIds, sentAt: this.ctx.now(), ...(r.group ? { group: r.group } : {}) };
          const bytes = encodePayload(receipt);
          try {
            await this.sender.deliver(r.userId, contact.email, bytes, bytes, {
              key: `receipt:${r.group ?? ''}:${r.messageIds.join(',')}`, ...(r.group ? { aboutGroup: r.group } : {}),
            });
          } catch (err) {
            if (err instanceof NetworkError) return; // kept: sent on reconnect
            this.ctx.warn(`could not send a delivery receipt to ${contact.email}: ${(err as Error).message}`);
          }
        }
        // Only the ids just sent: queue() may have added more to this entry meanwhile.
        await store.exclusive(async () => {
          const now = store.getJson<PendingReceipt[]>(PENDING) ?? [];
          const entry = now.find((p) => p.userId === r.userId && p.group === r.group && p.messageIds[0] === r.messageIds[0]);
          if (entry) entry.messageIds.splice(0, r.messageIds.length);
          store.setJson(PENDING, now.filter((p) => p.messageIds.length > 0));
        });
      }
    });
    return this.flushing;
  }
}
