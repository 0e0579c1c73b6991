// The org's retention rules as this device last heard them (GET /v1/policy `rules.retention`), kept in the
// store's meta so they apply offline and at launch, before any server answers. The store's expiry trigger
// (migrations/0006-retention.ts) reads the same row to clamp incoming timers.
import type { OrgRules } from '../../../common/wire/org-rules.ts';
import type { LocalStore } from '../store/local-store.ts';
import { UsageError } from '../context.ts';
import { timerSpan } from '../messages/timer-text.ts';

export { timerSpan }; // one wording for a timer everywhere (the CLI reads it from here)

export type RetentionRules = NonNullable<OrgRules['retention']>;

export const RULES_META = 'retentionRules';
/** The longest timer the content schema carries (common/wire/content.ts). */
export const MAX_TIMER_SECONDS = 366 * 24 * 3600;
/** The choices the app offers (seconds); the org maximum hides longer ones. */
export const TIMER_CHOICES: readonly number[] = [30, 3600, 86400, 7 * 86400];

export function cachedRules(store: LocalStore): RetentionRules {
  try {
    return store.getJson<RetentionRules>(RULES_META) ?? {};
  } catch {
    return {}; // an unreadable row never blocks opening; the next policy fetch rewrites it
  }
}

/** Keeps only the fields we understand, checked: a hostile server's policy cannot plant odd values. */
export function sanitizeRules(r: unknown): RetentionRules {
  const out: RetentionRules = {};
  if (!r || typeof r !== 'object') return out;
  const { messagesDays, maxDisappearingSeconds } = r as Record<string, unknown>;
  if (Number.isInteger(messagesDays) && (messagesDays as number) >= 1 && (messagesDays as number) <= 36_500) out.messagesDays = messagesDays as number;
  if (Number.isInteger(maxDisappearingSeconds) && (maxDisappearingSeconds as number) >= 1 && (maxDisappearingSeconds as number) <= MAX_TIMER_SECONDS) {
    out.maxDisappearingSeconds = maxDisappearingSeconds as number;
  }
  return out;
}

/** The longest timer a conversation may have now. */
export function maxTimer(rules: RetentionRules): number {
  return Math.min(rules.maxDisappearingSeconds ?? MAX_TIMER_SECONDS, MAX_TIMER_SECONDS);
}

/** A timer received from someone else: above the org maximum it is cut to the maximum (off stays off). */
export function clampTimer(rules: RetentionRules, seconds: number | null): number | null {
  return seconds === null ? null : Math.min(seconds, maxTimer(rules));
}

/** A timer this user sets: a whole number of seconds within the schema and the org's maximum; else a sentence. */
export function checkTimer(rules: RetentionRules, seconds: number | null): void {
  if (seconds === null) return;
  if (!Number.isInteger(seconds) || seconds < 1) throw new UsageError('a disappearing-messages timer is a whole number of seconds, at least 1');
  const max = maxTimer(rules);
  if (seconds > max) {
    throw new UsageError(rules.maxDisappearingSeconds !== undefined && rules.maxDisappearingSeconds <= MAX_TIMER_SECONDS
      ? `your organization allows disappearing messages of at most ${timerSpan(max)}`
      : `a disappearing-messages timer can be at most ${timerSpan(max)}`);
  }
}
