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
/**
 * How long receipts gather before they are sent while messages keep arriving (like Signal Desktop's
 * receipt batcher): a steady stream from one sender costs one receipt per this window (or per
 * RECEIPT_BATCH ids), not one encrypt + request per message competing with the messages themselves.
 */
export const RECEIPT_DELAY_MS = 200;

interface PendingReceipt { userId: string; group?: string; messageIds: string[] }

export class Receipts {
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** A batch reached RECEIPT_BATCH ids: send at the end of the burst without waiting for the timer. */
  private full = false;

  constructor(private readonly ctx: CoreContext, private readonly sender: Sender) {}

  /** Records that `messageId` from `userId` (in `group`, if any) needs a receipt. */
  async queue(userId: string, messageId: string, group?: string): Promise<void> {
    const { store } = this.ctx;
    await store.exclusive(async () => {
      const pending = store.getJson<PendingReceipt[]>(PENDING) ?? [];
      const open = pending.find((p) => p.userId === userId && p.group === group && p.messageIds.length < RECEIPT_BATCH);
      if (open) open.messageIds.push(messageId);
      else pending.push({ userId, ...(group ? { group } : {}), messageIds: [messageId] });
      if ((open?.messageIds.length ?? 1) >= RECEIPT_BATCH) this.full = true;
      store.setJson(PENDING, pending);
    });
  }

  /**
   * A burst of envelopes is processed: the pending receipts go out within RECEIPT_DELAY_MS (the timer is
   * not pushed back by later messages), or right away once a batch is full.
   */
  schedule(): void {
    const send = () => { this.flush().catch((err: Error) => this.ctx.warn(`could not send delivery receipts: ${err.message}`)); };
    if (this.full) { send(); return; }
    this.timer ??= setTimeout(() => { this.timer = undefined; send(); }, RECEIPT_DELAY_MS);
    this.timer.unref?.();
  }

  /** Drops a scheduled send (the receipts stay pending in the store): the device is being wiped or stopped. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Sends the pending receipts (behind any flush still running); an unreachable server leaves them for later. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.full = false;
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
