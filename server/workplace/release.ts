// Releases held envelopes whose recipient's working period began: every `intervalMs` this node moves the due ones
// into the live queue (WorkplaceStore.releaseDue: fresh ids, each envelope moved once however many nodes try) and
// notifies their devices — on this node and, through the hub's bus, on every other.
import type { FastifyBaseLogger } from 'fastify';
import type { DeliveryHub } from '../delivery.ts';
import type { ServerStore, StoredEnvelope } from '../store/types.ts';

const BATCH = 500;

export class HeldReleaser {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly store: ServerStore, private readonly hub: DeliveryHub, private readonly now: () => number,
    private readonly log: FastifyBaseLogger, private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => void this.releaseDue(), this.intervalMs);
    this.#timer.unref();
  }

  /** One pass (also called right after a change that may have made messages due); passes never overlap. */
  releaseDue(): Promise<void> {
    this.#running ??= this.#pass().finally(() => { this.#running = undefined; });
    return this.#running;
  }

  async #pass(): Promise<void> {
    try {
      for (;;) {
        if (this.#stopped) return;
        const moved = await this.store.workplace.releaseDue(this.now(), BATCH);
        this.notify(moved);
        if (moved.length < BATCH) return;
      }
    } catch (err) {
      if (!this.#stopped) this.log.error({ err }, 'releasing held messages failed (retried at the next pass)');
    }
  }

  /** Tells the devices their released envelopes are in the queue now. */
  notify(released: StoredEnvelope[]): void {
    if (released.length > 0) this.hub.notify(released.map((e) => ({ userId: e.destUser, deviceId: e.destDevice })));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }
}
