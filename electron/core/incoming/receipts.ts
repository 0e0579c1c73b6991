// Delivery receipts we send back: queued per sender (and group) while a burst of envelopes is processed,
// then sent as one 1:1 message per sender. A failed receipt is a warning, never fatal to receiving.
import { encodePayload, type Payload } from '../payload.ts';
import type { Sender } from '../outgoing/sender.ts';
import type { CoreContext } from '../context.ts';

/** The most message ids one receipt names (the payload schema's limit). */
const RECEIPT_BATCH = 100;

export class Receipts {
  private pending = new Map<string, string[]>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: CoreContext, private readonly sender: Sender) {}

  /** Receipts are batched per sender and conversation (a group's receipts name the group). */
  queue(userId: string, messageId: string, group?: string): void {
    const key = group ? `${userId} ${group}` : userId;
    const list = this.pending.get(key) ?? [];
    list.push(messageId);
    this.pending.set(key, list);
  }

  /** Sends the queued receipts (behind any flush still running). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = [...this.pending];
      this.pending.clear();
      for (const [key, ids] of batch) {
        const [userId, group] = key.split(' ') as [string, string | undefined];
        const contact = this.ctx.store.getContact(userId);
        if (!contact) continue;
        for (let i = 0; i < ids.length; i += RECEIPT_BATCH) {
          const receipt: Payload = {
            v: 1, kind: 'receipt', receipt: 'delivered', messageIds: ids.slice(i, i + RECEIPT_BATCH), sentAt: this.ctx.now(), ...(group ? { group } : {}),
          };
          const bytes = encodePayload(receipt);
          try {
            await this.sender.deliver(userId, contact.email, bytes, bytes);
          } catch (err) {
            this.ctx.warn(`could not send a delivery receipt to ${contact.email}: ${(err as Error).message}`);
          }
        }
      }
    });
    return this.flushing;
  }
}
