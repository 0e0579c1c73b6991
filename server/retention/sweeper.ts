// Org retention on the relay (rules.retention.messagesDays in the policy file): what the server holds for
// clients — queued envelopes not yet fetched, and attachment blobs — is deleted once older than the period.
// Acknowledged envelopes are gone already (delivery.ts deletes each on its ack); this catches the ones that
// were never fetched (a device switched off for good, a held message nobody collected). Runs at start and
// hourly on every node: deletes are idempotent, and on PostgreSQL nodes skip rows another node is deleting.
import type { FastifyBaseLogger } from 'fastify';
import type { ServerStore } from '../store/types.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const SWEEP_EVERY_MS = 60 * 60 * 1000;
/** Rows per DELETE: short write transactions, so a large backlog never stalls sends on SQLite's one writer. */
const BATCH = 1000;

export interface RetentionSweep {
  /** Envelopes deleted. */
  envelopes: number;
  /** Attachment blobs deleted. */
  blobs: number;
  /** Everything accepted before this instant (ms) was due. */
  before: number;
}

export class RetentionSweeper {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<RetentionSweep> | undefined;
  #stopped = false;

  constructor(
    private readonly store: ServerStore,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number,
    /** The org's retention period in days. */
    readonly messagesDays: number,
  ) {
    if (!Number.isInteger(messagesDays) || messagesDays < 1) throw new Error('RetentionSweeper: messagesDays must be a positive integer');
  }

  /** Sweeps now, then every hour until stop(). A failed sweep is logged; the next one tries again. */
  start(everyMs = SWEEP_EVERY_MS): void {
    void this.sweep().catch(() => {});
    this.#timer = setInterval(() => { void this.sweep().catch(() => {}); }, everyMs);
    this.#timer.unref();
  }

  /** Stops the hourly sweep and waits for a running one (before the store closes). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running?.catch(() => {});
  }

  /** One sweep (runs alone: a call while one runs gets that one's result). */
  sweep(): Promise<RetentionSweep> {
    this.#running ??= this.#sweep().finally(() => { this.#running = undefined; });
    return this.#running;
  }

  async #sweep(): Promise<RetentionSweep> {
    const before = this.now() - this.messagesDays * DAY_MS;
    let envelopes = 0;
    let blobs = 0;
    try {
      for (let n = BATCH; n === BATCH && !this.#stopped;) {
        n = await this.store.envelopes.expire(before, BATCH);
        envelopes += n;
      }
      // Blobs through the attachment store's delete: the row first, then the file (or chunks), as its own expiry does.
      for (let ids: string[] = []; !this.#stopped && (ids = await this.store.attachments.createdBefore(before, BATCH)).length > 0;) {
        for (const id of ids) if (await this.store.attachments.delete(id)) blobs++;
        if (ids.length < BATCH) break;
      }
    } catch (err) {
      this.log.error({ err }, 'retention sweep failed; it runs again within the hour');
      throw err;
    }
    if (envelopes + blobs > 0) this.log.info({ envelopes, blobs, messagesDays: this.messagesDays }, 'retention: deleted what was older than the retention period');
    return { envelopes, blobs, before };
  }
}
