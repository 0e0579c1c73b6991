// Typing indicators: who is typing where (from 'typing' events), and when to tell others that I am.
// Nothing here is stored: an indicator ends with 'stopped', with their message, or after a few seconds of
// silence (a 'stopped' can be lost when their app quits mid-sentence).
import { call } from './api.ts';

/** An indicator without a fresh 'started' ends after this long. */
const SHOWN_MS = 6_000;
/** While I keep typing, 'started' is repeated at most this often (their indicator stays up)… */
const RESEND_MS = 3_000;
/** …and 'stopped' goes out after this long without a keystroke. */
const IDLE_MS = 4_000;

class Typing {
  /** conversationId → userId → name, for the indicators shown. */
  private who = $state<Record<string, Record<string, string>>>({});
  private timers = new Map<string, ReturnType<typeof setTimeout>>();

  apply(conversationId: string, userId: string, name: string, state: 'started' | 'stopped'): void {
    const key = `${conversationId} ${userId}`;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    const current = { ...(this.who[conversationId] ?? {}) };
    if (state === 'started') {
      current[userId] = name;
      this.timers.set(key, setTimeout(() => this.apply(conversationId, userId, name, 'stopped'), SHOWN_MS));
    } else {
      delete current[userId];
    }
    this.who = { ...this.who, [conversationId]: current };
  }

  /** Their message arrived: they stopped typing it. */
  stoppedBy(conversationId: string, name: string): void {
    for (const [userId, n] of Object.entries(this.who[conversationId] ?? {})) if (n === name) this.apply(conversationId, userId, n, 'stopped');
  }

  /** "Alice Archer is typing…", "Alice Archer and Bob Baker are typing…", "3 people are typing…", or ''. */
  sentence(conversationId: string): string {
    const names = Object.values(this.who[conversationId] ?? {}).sort();
    if (names.length === 0) return '';
    if (names.length === 1) return `${names[0]} is typing…`;
    if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
    return `${names.length} people are typing…`;
  }
}

export const typing = new Typing();

/**
 * My side, one per open chat: `keystroke()` on input, `stop()` on send, blur or switching chats. Throttled,
 * so a fast typist sends one 'started' every few seconds, not one per key. Failures are ignored: an
 * indicator is a courtesy, never worth an error.
 */
export class TypingSender {
  private lastStarted = 0;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private active = false;

  constructor(private readonly conversationId: string, private readonly enabled: () => boolean) {}

  keystroke(): void {
    if (!this.enabled()) return;
    const now = Date.now();
    if (!this.active || now - this.lastStarted >= RESEND_MS) {
      this.active = true;
      this.lastStarted = now;
      call('messages.typing', { conversationId: this.conversationId, state: 'started' }).catch(() => {});
    }
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stop(), IDLE_MS);
  }

  stop(): void {
    clearTimeout(this.idle);
    if (!this.active) return;
    this.active = false;
    call('messages.typing', { conversationId: this.conversationId, state: 'stopped' }).catch(() => {});
  }
}
