// Away and greeting messages, answered by the recipient's own device (the server never writes for anyone):
//   - away: while the user's away status applies (until a date, or outside the org's working hours), the device
//     answers each person who writes 1:1 once per away period with the away text;
//   - greeting: the device answers a person who writes for the first time (no earlier message in the chat).
// Both go end-to-end encrypted like any message, marked `automatic` in the content record. Never answered: group
// messages, messages from a device the client does not vouch for, our own copies, and automatic messages
// themselves (two away users would otherwise answer each other forever). The user's other devices see the sent
// copy and count that person as answered too. Publishing the away status in the directory is the user's choice.
import { awayApplies, BUSINESS_LIMITS, textProblem, type AwayStatus } from '../../../common/wire/business.ts';
import type { OrgRules } from '../../../common/wire/org-rules.ts';
import type { AutomaticKind } from '../../../common/wire/content.ts';
import type { ReceivedMessage } from '../incoming/types.ts';
import type { MessageInput } from '../outgoing/content.ts';
import { UsageError, type CoreContext } from '../context.ts';

export interface AwaySettings extends AwayStatus {
  /** Shown to people who look the user up before writing (directory); false = only the automatic reply. */
  publish: boolean;
  /** When this away period began: one reply per person per period. */
  since: number;
}

const AWAY = 'business.away';
const GREETING = 'business.greeting';
const ANSWERED = 'business.answered';
const GREETED = 'business.greeted';
const RULES_TTL_MS = 10 * 60_000;
const MAX_TRACKED = 5000;

export type SendAutomatic = (email: string, input: MessageInput) => Promise<unknown>;

export class AutoReplies {
  #rules: { at: number; rules: OrgRules | undefined } | undefined;
  #work: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: CoreContext, private readonly send: SendAutomatic) {}

  away(): AwaySettings | undefined {
    return this.ctx.store.getJson<AwaySettings>(AWAY);
  }

  async setAway(input: { text: string; until?: number; outsideWorkingHours?: boolean; publish?: boolean }): Promise<AwaySettings> {
    const text = input.text.trim();
    const problem = text === '' ? 'The away message is empty.' : textProblem(text, 'The away message', BUSINESS_LIMITS.awayChars, { multiline: true });
    if (problem) throw new UsageError(problem);
    if (input.until !== undefined && input.until <= this.ctx.now()) throw new UsageError('--until lies in the past');
    const settings: AwaySettings = {
      text, ...(input.until !== undefined ? { until: input.until } : {}), outsideWorkingHours: input.outsideWorkingHours ?? false,
      publish: input.publish ?? true, since: this.ctx.now(),
    };
    // The directory first: if the server refuses, nothing changes here either.
    if (settings.publish) {
      await this.ctx.api.publishAway({ text, ...(settings.until !== undefined ? { until: settings.until } : {}), outsideWorkingHours: settings.outsideWorkingHours });
    } else {
      await this.ctx.api.unpublishAway();
    }
    const { store } = this.ctx;
    await store.exclusive(async () => { store.setJson(AWAY, settings); store.setJson(ANSWERED, []); });
    return settings;
  }

  async awayOff(): Promise<void> {
    await this.ctx.api.unpublishAway();
    const { store } = this.ctx;
    await store.exclusive(async () => { store.deleteMeta(AWAY); store.setJson(ANSWERED, []); });
  }

  /** Whether the user's away status applies now (its date, and the org's working hours when it is limited to them). */
  async awayNow(): Promise<boolean> {
    const away = this.away();
    if (!away) return false;
    return awayApplies(away, this.ctx.now(), (await this.rules())?.workingHours);
  }

  /** What a sender sees before writing to `userId`: their published away status if it applies now, else null. */
  async awayOf(userId: string): Promise<AwayStatus | null> {
    const { away } = await this.ctx.api.awayOf(userId);
    if (!away) return null;
    return awayApplies(away, this.ctx.now(), (await this.rules())?.workingHours) ? away : null;
  }

  greeting(): string | null {
    return this.ctx.store.getJson<{ text: string }>(GREETING)?.text ?? null;
  }

  async setGreeting(text: string | null): Promise<void> {
    const { store } = this.ctx;
    if (text === null || text.trim() === '') {
      await store.exclusive(async () => store.deleteMeta(GREETING));
      return;
    }
    const problem = textProblem(text.trim(), 'The greeting', BUSINESS_LIMITS.awayChars, { multiline: true });
    if (problem) throw new UsageError(problem);
    await store.exclusive(async () => store.setJson(GREETING, { text: text.trim() }));
  }

  /** Called for every received message (the receive loop's onMessage); the answers go out in order, off the loop. */
  observe(m: ReceivedMessage): void {
    this.#work = this.#work.then(() => this.#answer(m)).catch((err: Error) => this.ctx.warn(`could not send an automatic reply: ${err.message}`));
  }

  /** Resolves when the automatic replies started so far were sent (tests, and the CLI before it exits). */
  settled(): Promise<void> {
    return this.#work;
  }

  async #answer(m: ReceivedMessage): Promise<void> {
    if (m.group !== undefined || m.flag !== undefined || m.needsNewerVersion) return;
    if (m.outgoing) {
      // Another of our devices answered this person: count them as answered here too.
      if (m.automatic && m.to) await this.#remember(m.automatic === 'away' ? ANSWERED : GREETED, m.to);
      return;
    }
    if (m.automatic) return;
    const peer = m.fromUserId;
    if (this.greeting() !== null && !this.#has(GREETED, peer) && this.#firstContact(m)) {
      await this.#remember(GREETED, peer);
      await this.send(m.from, { text: this.greeting()!, automatic: 'greeting' });
    }
    const away = this.away();
    if (away && !this.#has(ANSWERED, peer) && await this.awayNow()) {
      await this.#remember(ANSWERED, peer);
      const back = away.until !== undefined ? `\n\n(Back ${new Date(away.until).toISOString().slice(0, 16).replace('T', ' ')} UTC)` : '';
      await this.send(m.from, { text: `${away.text}${back}`, automatic: 'away' });
    }
  }

  /** No earlier message in this chat than this one (the person never wrote before and we never wrote to them). */
  #firstContact(m: ReceivedMessage): boolean {
    const row = this.ctx.store.handle.prepare(
      "SELECT count(*) AS n FROM messages WHERE conversation_id = ? AND id != ? AND direction != 'system'",
    ).get([m.conversationId, m.messageId]) as { n: number } | undefined;
    return Number(row?.n ?? 0) === 0;
  }

  #has(key: string, userId: string): boolean {
    return (this.ctx.store.getJson<string[]>(key) ?? []).includes(userId);
  }

  async #remember(key: string, userId: string): Promise<void> {
    const { store } = this.ctx;
    await store.exclusive(async () => {
      const list = store.getJson<string[]>(key) ?? [];
      if (!list.includes(userId)) store.setJson(key, [...list, userId].slice(-MAX_TRACKED));
    });
  }

  private async rules(): Promise<OrgRules | undefined> {
    if (this.#rules && this.ctx.now() - this.#rules.at < RULES_TTL_MS) return this.#rules.rules;
    const rules = (await this.ctx.api.policy().catch(() => undefined))?.rules;
    this.#rules = { at: this.ctx.now(), rules };
    return rules;
  }
}

export type { AutomaticKind };
