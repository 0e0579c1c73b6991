// Retention and disappearing messages on this device: the org's rules (rules.ts) applied at launch, hourly
// while running and whenever the policy is fetched; exact expiry of disappearing messages while running (a
// timer armed for the next expires_at, so an open chat loses a message the moment it runs out); and the
// per-conversation timer this user sets, which travels end-to-end encrypted as a 'timer' record.
import type { OrgRules } from '../../../common/wire/org-rules.ts';
import type { ControlContent } from '../outgoing/content.ts';
import type { CoreContext } from '../context.ts';
import { flushFreedPages, nextExpiry, purgeDue, type Expired } from './purge.ts';
import { cachedRules, checkTimer, maxTimer, RULES_META, sanitizeRules, type RetentionRules } from './rules.ts';

export type { Expired } from './purge.ts';
export type { RetentionRules } from './rules.ts';

export const HOUR_MS = 60 * 60 * 1000;

export interface DisappearingState {
  conversationId: string;
  /** The conversation's timer in seconds, null when off. */
  seconds: number | null;
  /** The longest timer allowed now (the org's maximum, or the schema's). */
  maxSeconds: number;
}

export class Retention {
  private hourly: NodeJS.Timeout | undefined;
  private exact: NodeJS.Timeout | undefined;
  private armedFor: number | undefined;
  private running = false;
  private readonly listeners = new Set<(expired: Expired[]) => void>();

  constructor(
    private readonly ctx: CoreContext,
    /** After messages were deleted: e.g. the attachment files no message references any more. */
    private readonly afterPurge: () => Promise<void> = async () => {},
  ) {}

  rules(): RetentionRules {
    return cachedRules(this.ctx.store);
  }

  /**
   * The policy's rules (from a fresh GET /v1/policy): remembered for launches without the server, conversation
   * timers above a lowered maximum cut to it, then a purge under the new rules.
   */
  async applyPolicy(rules: OrgRules | undefined): Promise<Expired[]> {
    const next = sanitizeRules(rules?.retention);
    const { store } = this.ctx;
    await store.exclusive(async () => {
      store.setJson(RULES_META, next);
      if (next.maxDisappearingSeconds !== undefined) {
        store.handle.prepare('UPDATE conversations SET disappearing_seconds = ? WHERE disappearing_seconds > ?')
          .run([next.maxDisappearingSeconds, next.maxDisappearingSeconds]);
      }
    });
    return this.purge();
  }

  /** Deletes every message that is due now (timers run out, older than the org's messagesDays). */
  async purge(): Promise<Expired[]> {
    const { store } = this.ctx;
    const now = this.ctx.now();
    const expired = await store.exclusive(async () => purgeDue(store, now, this.rules().messagesDays));
    if (expired.length > 0) {
      flushFreedPages(store);
      await this.afterPurge().catch((err: Error) => this.ctx.warn(`could not remove the files of expired messages: ${err.message}`));
      for (const l of this.listeners) {
        try { l(expired); } catch { /* one listener must not stop the others */ }
      }
    }
    this.arm();
    return expired;
  }

  /** Called with what each purge deleted (the app removes those messages from view). */
  onExpired(listener: (expired: Expired[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * While the app runs: every hour the rules are fetched again (`refresh`, e.g. Messenger.fetchPolicy, which
   * applies them and purges) — or, when that fails, a purge under the remembered rules — and a purge the
   * moment the next disappearing message runs out.
   */
  start(opts: { everyMs?: number; refresh?: () => Promise<unknown> } = {}): void {
    if (this.running) return;
    this.running = true;
    const { everyMs = HOUR_MS, refresh } = opts;
    this.hourly = setInterval(() => {
      void (refresh ? refresh() : Promise.reject(new Error('no refresh'))).catch(() => this.purge()).catch(() => {});
    }, everyMs);
    this.hourly.unref();
    this.arm();
  }

  /** Stops the timers (sign-out, wipe, close). */
  stop(): void {
    this.running = false;
    clearInterval(this.hourly);
    clearTimeout(this.exact);
    this.hourly = this.exact = this.armedFor = undefined;
  }

  /** Messages were stored (sent, received): one may run out before the armed timer fires. */
  changed(): void {
    if (this.running) this.arm();
  }

  private arm(): void {
    if (!this.running) return;
    let next: number | undefined;
    try { next = nextExpiry(this.ctx.store); } catch { return; /* the store closed under us */ }
    if (next === this.armedFor && this.exact) return;
    clearTimeout(this.exact);
    this.exact = undefined;
    this.armedFor = next;
    if (next === undefined) return;
    // Capped: a clock change while waiting is corrected within the hour; setTimeout also refuses > 2^31 ms.
    const delay = Math.max(0, Math.min(next - this.ctx.now(), HOUR_MS));
    this.exact = setTimeout(() => {
      this.exact = undefined;
      this.armedFor = undefined;
      void this.purge().catch(() => {});
    }, delay);
    this.exact.unref();
  }

  // ---- the per-conversation timer ----

  state(conversationId: string): DisappearingState {
    // A chat not started yet has no timer.
    const c = this.ctx.store.getConversation(conversationId);
    return { conversationId, seconds: c?.disappearingSeconds ?? null, maxSeconds: maxTimer(this.rules()) };
  }

  /**
   * Sets the conversation's timer: checked against the org maximum (a sentence if over), then sent as a 'timer'
   * record to the other members and our own devices; `send` (Messenger.sendContent) applies it here — the
   * conversation's timer and a line in the chat — only once it went out, so a failure changes nothing.
   * Messages sent from now on carry it; earlier ones keep theirs.
   */
  async setDisappearing(
    conversationId: string, seconds: number | null,
    send: (conversationId: string, content: ControlContent) => Promise<unknown>,
  ): Promise<DisappearingState & { changed: boolean }> {
    checkTimer(this.rules(), seconds);
    const before = this.state(conversationId);
    if (before.seconds === seconds) return { ...before, changed: false };
    await send(conversationId, { kind: 'timer', seconds });
    return { ...this.state(conversationId), changed: true };
  }
}
