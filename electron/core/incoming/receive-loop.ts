// The delivery socket: the stored queue first, then live envelopes, each handled in order and acked only
// once stored. Also what the server pushes besides envelopes: "group changed", "wipe", and close codes.
import type * as W from '../../../common/wire/schemas.ts';
import { CLOSE_REPLACED, CLOSE_REVOKED, CLOSE_WIPED } from '../../../common/close-codes.ts';
import { NetworkError, type DeliverySocket } from '../net/api.ts';
import { asWipeRequest, WipeRequestedError } from '../lifecycle/wipe-request.ts';
import type { GroupSync } from '../groups/group-sync.ts';
import type { EnvelopeHandler } from './envelopes.ts';
import type { Receipts } from './receipts.ts';
import type { ReceiveOptions } from './types.ts';
import type { CoreContext } from '../context.ts';

type Counts = { received: number; rejected: number };
type Attempt = { kind: 'finished' } | { kind: 'lost'; error: Error; connected: boolean };

export class ReceiveLoop {
  private groupSyncRun: Promise<void> = Promise.resolve();
  private stopRunning: (() => void) | undefined;

  constructor(
    private readonly ctx: CoreContext,
    private readonly envelopes: EnvelopeHandler,
    private readonly receipts: Receipts,
    private readonly groupSync: GroupSync,
    /** Tops up one-time prekeys after a run that consumed some. */
    private readonly refillPreKeys: () => Promise<unknown>,
    /**
     * Once per connection, after the queue is drained: what waited for the server to be reachable
     * (pending receipts, messages waiting for a recipient's device, prekey top-up and rotation).
     */
    private readonly housekeeping: () => Promise<void>,
  ) {}

  /** Stops a running receive() (the app calls it on sign-out or wipe). */
  stop(): void {
    this.stopRunning?.();
  }

  /**
   * Connects to the delivery socket, processes the stored queue and then live envelopes, in order.
   * Resolves when `stopAfterDrainMs` has passed after the first drain of the queue (0: right after it;
   * Infinity: until `signal` aborts). A socket lost after the first drain (server restart, network) is
   * reconnected with backoff until then; nothing is lost, since envelopes are acked only once stored.
   */
  async receive(handlers: ReceiveOptions): Promise<Counts> {
    const counts = { received: 0, rejected: 0 };
    let deadline: number | undefined;
    let preKeyMessages = 0;
    let stopped = false;
    const stop = new Promise<void>((resolve) => {
      const end = () => { stopped = true; resolve(); };
      handlers.signal?.addEventListener('abort', end, { once: true });
      if (handlers.signal?.aborted) end();
      this.stopRunning = end;
    });
    try {
      for (let attempt = 0; !stopped; attempt++) {
        const outcome = await this.receiveOnce(handlers, counts, stop, (drainedAt) => {
          deadline ??= drainedAt + (handlers.stopAfterDrainMs ?? 0);
          return deadline;
        }, () => { preKeyMessages++; });
        if (outcome.kind === 'finished') break;
        // Lost before the first drain: report it (a CLI run must not hang on a dead server).
        if (deadline === undefined) throw outcome.error;
        if (Date.now() >= deadline) break;
        handlers.onConnectionChange?.(false);
        const backoff = Math.min(250 * 2 ** Math.min(attempt, 5), 5000, Math.max(0, deadline - Date.now()));
        await Promise.race([stop, new Promise((r) => setTimeout(r, backoff))]);
        if (outcome.connected) attempt = 0;
      }
    } finally {
      this.stopRunning = undefined;
      await this.groupSyncRun;
      if (preKeyMessages > 0) await this.refillPreKeys().catch((err: Error) => this.ctx.warn(`could not refill prekeys: ${err.message}`));
    }
    return counts;
  }

  /** Tops up one-time prekeys now (the server said they run low), behind other background work. */
  private scheduleRefill(): void {
    this.groupSyncRun = this.groupSyncRun.then(async () => {
      await this.refillPreKeys().catch((err: Error) => this.ctx.warn(`could not refill prekeys: ${err.message}`));
    });
  }

  /** Runs the connect-time housekeeping behind the group sync; failures are warnings. */
  private scheduleHousekeeping(): void {
    this.groupSyncRun = this.groupSyncRun.then(async () => {
      try {
        await this.housekeeping();
      } catch (err) {
        const wipe = asWipeRequest(err);
        if (!(wipe instanceof WipeRequestedError)) this.ctx.warn(`could not finish work that waited for the server: ${(err as Error).message}`);
      }
    });
  }

  /** Runs a group event sync behind any running one; failures are warnings (messages keep flowing). */
  private scheduleGroupSync(onSynced?: (added: number) => void, groupId?: string): void {
    this.groupSyncRun = this.groupSyncRun.then(async () => {
      try {
        const added = await this.groupSync.sync(groupId);
        if (added > 0) onSynced?.(added);
      } catch (err) {
        const wipe = asWipeRequest(err);
        if (!(wipe instanceof WipeRequestedError)) this.ctx.warn(`could not sync groups: ${(err as Error).message}`);
      }
    });
  }

  /** One connection of the delivery socket, from open to close. */
  private async receiveOnce(
    handlers: ReceiveOptions, counts: Counts, stop: Promise<void>, onDrained: (at: number) => number, onPreKeyMessage: () => void,
  ): Promise<Attempt> {
    let chain: Promise<void> = Promise.resolve();
    let socket: DeliverySocket | undefined;
    let failure: Error | undefined;
    let wipe: WipeRequestedError | undefined;
    let settle!: (how: 'finished' | 'lost') => void;
    const settled = new Promise<'finished' | 'lost'>((resolve) => { settle = resolve; });

    let inFlight = 0;
    const handle = (env: W.IncomingEnvelope) => {
      inFlight++;
      chain = chain.then(async () => {
        if (env.type === 3) onPreKeyMessage();
        // The receipt is queued in the message's own transaction (stored together or not at all).
        const out = await this.envelopes.handle(env, async ({ message: m }) => {
          // No receipt for a message whose sender the client does not vouch for (it may not be theirs).
          if (m && !m.outgoing && !m.flag && handlers.receipts !== false) await this.receipts.queue(m.fromUserId, m.messageId, m.group);
        });
        socket?.ack(env.id);
        if (out.message) {
          counts.received++;
          if (this.groupSync.hasPending) this.scheduleGroupSync(handlers.onGroupsSynced);
          handlers.onMessage?.(out.message);
        }
        if (out.rejected) { counts.rejected++; handlers.onRejected?.(out.rejected); }
        if (out.delivered && out.delivered.messageIds.length > 0) handlers.onDelivered?.(out.delivered);
        for (const e of out.events ?? []) handlers.onEvent?.(e);
      }).catch((err: Error) => { failure ??= err; settle('finished'); }).finally(() => {
        // Receipts go out after a burst is processed, batched (receipts.ts): one message per sender, not one per message.
        if (--inFlight === 0) this.receipts.schedule();
      });
    };

    try {
      socket = await this.ctx.api.connect({
        onFrame: (frame) => {
          if (frame.type === 'envelope') handle(frame.envelope);
          else if (frame.type === 'queue-empty') {
            void chain.then(() => {
              this.scheduleGroupSync(handlers.onGroupsSynced);
              this.scheduleHousekeeping();
              const deadline = onDrained(Date.now());
              if (Number.isFinite(deadline)) setTimeout(() => settle('finished'), Math.max(0, deadline - Date.now())).unref();
            });
          } else if (frame.type === 'group-changed') {
            this.scheduleGroupSync(handlers.onGroupsSynced, frame.group);
          } else if (frame.type === 'prekeys-low') {
            // Every device of the user hears it; only the one named tops up (the server's count is asked afresh).
            if (frame.deviceId === this.ctx.account.deviceId) this.scheduleRefill();
          } else if (frame.type === 'wipe') {
            wipe = new WipeRequestedError();
            settle('finished');
          } else if (frame.type === 'error') this.ctx.warn(`server: ${frame.message}`);
        },
        onClose: (code, reason) => {
          if (code === CLOSE_WIPED || code === CLOSE_REVOKED) {
            wipe ??= new WipeRequestedError(code === CLOSE_REVOKED);
            settle('finished');
            return;
          }
          if (code === CLOSE_REPLACED) { // the server gave this device's queue to a newer connection: don't fight over it
            this.ctx.warn('another connection of this device took over delivery');
            settle('finished');
            return;
          }
          failure ??= new NetworkError(`delivery socket closed (${code}${reason ? `: ${reason}` : ''})`);
          settle('lost');
        },
        onError: (err) => this.ctx.warn(`delivery: ${err.message}`),
      });
    } catch (err) {
      if (err instanceof NetworkError) return { kind: 'lost', error: err, connected: false };
      throw asWipeRequest(err);
    }
    handlers.onConnectionChange?.(true);
    void stop.then(() => settle('finished'));
    const how = await settled;
    await chain;
    if (!wipe) await this.receipts.flush();
    else this.receipts.cancel();
    await socket.close();
    if (wipe) throw wipe;
    // A failure while storing (disk, store) is not a network problem: never retry it silently.
    if (failure && !(failure instanceof NetworkError)) throw failure;
    return how === 'finished' ? { kind: 'finished' } : { kind: 'lost', error: failure ?? new NetworkError('delivery socket closed'), connected: true };
  }
}
