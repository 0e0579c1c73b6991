// Working-hours arithmetic with the platform's Intl time-zone data (no tz library): is an instant inside
// someone's working hours, and when does their next working period begin. A working period starts on a listed
// weekday at `start` local time and ends at `end` — the same day, or the next one when `end` <= `start`
// (a night shift). Daylight-saving gaps resolve to the instant the wall clock shows that time or just after.
import type { Weekday, WorkingHours } from '../../common/wire/org-rules.ts';

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True if the platform knows this IANA zone. */
export function isTimeZone(zone: string): boolean {
  try { formatter(zone); return true; } catch { return false; }
}

/** The wall-clock fields of `at` in `timeZone`, as if they were UTC (so plain Date.UTC arithmetic works on them). */
function wallClock(at: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** The instant whose wall clock in `timeZone` reads `wall` (a UTC-encoded wall time). */
function instantOf(wall: number, timeZone: string): number {
  // Two refinements of the zone offset settle it, also across a DST change.
  let guess = wall - (wallClock(wall, timeZone) - wall);
  guess = wall - (wallClock(guess, timeZone) - guess);
  return guess;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Every working period that could contain or follow `at`: from the day before to a week after, in order. */
function periods(h: WorkingHours, at: number): Array<{ start: number; end: number }> {
  const today = Math.floor(wallClock(at, h.timeZone) / DAY_MS) * DAY_MS;
  const startMin = minutes(h.start);
  let endMin = minutes(h.end);
  if (endMin <= startMin) endMin += 24 * 60;
  const out: Array<{ start: number; end: number }> = [];
  for (let d = -1; d <= 8; d++) {
    const day = today + d * DAY_MS;
    // 1970-01-01 was a Thursday: index into mon..sun.
    const weekday = WEEKDAYS[(Math.floor(day / DAY_MS) + 3) % 7]!;
    if (!h.days.includes(weekday)) continue;
    out.push({ start: instantOf(day + startMin * 60_000, h.timeZone), end: instantOf(day + endMin * 60_000, h.timeZone) });
  }
  return out;
}

/** Undefined while `at` is inside working hours; else the instant the next working period begins. */
export function offUntil(h: WorkingHours, at: number): number | undefined {
  const list = periods(h, at);
  if (list.some((p) => p.start <= at && at < p.end)) return undefined;
  return list.find((p) => p.start > at)?.start;
}

/** The length of one working period in minutes (what the org's bounds compare). */
export function spanMinutes(h: Pick<WorkingHours, 'start' | 'end'>): number {
  const s = minutes(h.start);
  const e = minutes(h.end);
  return e > s ? e - s : e + 24 * 60 - s;
}

/**
 * The rule for a person's own hours (docs/deploy.md): they may narrow or shift the org's hours — fewer of the
 * org's working days, a shorter or equally long day at any time, in their own time zone — but never work more:
 * no day the org does not work and no longer day. Undefined if allowed, else the sentence why not.
 */
export function outsideOrgBounds(own: WorkingHours, org: WorkingHours): string | undefined {
  const extra = own.days.filter((d) => !org.days.includes(d));
  if (extra.length > 0) return `Your organization does not work on ${extra.join(', ')}; choose among ${org.days.join(', ')}.`;
  if (spanMinutes(own) > spanMinutes(org)) {
    return `A working day may last at most ${formatSpan(spanMinutes(org))} here (${org.start}–${org.end}); ${own.start}–${own.end} is longer.`;
  }
  if (!isTimeZone(own.timeZone)) return `Unknown time zone ${own.timeZone}.`;
  return undefined;
}

const formatSpan = (m: number) => `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
