// Quick replies: the user's own canned answers, typed as a /shortcut in the composer. The list lives in this
// device's encrypted store and syncs to the user's other devices as one end-to-end encrypted 'quick-replies'
// record (common/wire/content.ts) sent to their own devices only; the newest list wins. The server relays
// ciphertext and never holds the list.
import { MAX_QUICK_REPLIES, type QuickRepliesContent, type QuickReply } from '../../../common/wire/content.ts';
import { encodePayload } from '../payload.ts';
import { UsageError, type CoreContext } from '../context.ts';

const KEY = 'business.quickReplies';
const SHORTCUT = /^\/[A-Za-z0-9_-]{1,32}$/;

interface Stored { items: QuickReply[]; updatedAt: number }

export type DeliverToSelf = (bytes: Uint8Array, key: string) => Promise<{ devices: number }>;

export class QuickReplies {
  constructor(private readonly ctx: CoreContext, private readonly deliverToSelf: DeliverToSelf) {}

  list(): QuickReply[] {
    return this.#stored().items;
  }

  async add(shortcut: string, text: string): Promise<{ items: QuickReply[]; devices: number }> {
    if (!SHORTCUT.test(shortcut)) throw new UsageError('a shortcut is / followed by 1 to 32 letters, digits, - or _ (e.g. /thanks)');
    const t = text.trim();
    if (t === '') throw new UsageError('the quick reply text is empty');
    if (t.length > 2000) throw new UsageError('the quick reply text is longer than 2000 characters');
    const items = this.list().filter((q) => q.shortcut !== shortcut);
    if (items.length >= MAX_QUICK_REPLIES) throw new UsageError(`at most ${MAX_QUICK_REPLIES} quick replies`);
    return this.#save([...items, { shortcut, text: t }].sort((a, b) => a.shortcut.localeCompare(b.shortcut)));
  }

  async remove(shortcut: string): Promise<{ items: QuickReply[]; devices: number }> {
    const items = this.list();
    if (!items.some((q) => q.shortcut === shortcut)) throw new UsageError(`no quick reply ${shortcut}`);
    return this.#save(items.filter((q) => q.shortcut !== shortcut));
  }

  /** A list from another of our devices (incoming/envelopes.ts, inside its write): kept if newer than ours. */
  apply(c: QuickRepliesContent): void {
    if (c.updatedAt <= this.#stored().updatedAt) return;
    this.ctx.store.setJson(KEY, { items: c.items.filter((q) => SHORTCUT.test(q.shortcut)), updatedAt: c.updatedAt } satisfies Stored);
  }

  #stored(): Stored {
    return this.ctx.store.getJson<Stored>(KEY) ?? { items: [], updatedAt: 0 };
  }

  async #save(items: QuickReply[]): Promise<{ items: QuickReply[]; devices: number }> {
    const { store } = this.ctx;
    // Strictly increasing, so two quick edits within a millisecond still order.
    const updatedAt = Math.max(this.ctx.now(), this.#stored().updatedAt + 1);
    await store.exclusive(async () => store.setJson(KEY, { items, updatedAt } satisfies Stored));
    const content: QuickRepliesContent = { v: 2, kind: 'quick-replies', items, updatedAt, sentAt: this.ctx.now() };
    let devices = 0;
    try {
      devices = (await this.deliverToSelf(encodePayload(content), `quick-replies:${updatedAt}`)).devices;
    } catch (err) {
      this.ctx.warn(`your other devices will get this change with the next one: ${(err as Error).message}`);
    }
    return { items, devices };
  }
}
