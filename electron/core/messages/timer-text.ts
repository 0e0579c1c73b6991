// The line a disappearing-timer change leaves in the chat: "Alice set disappearing messages to 1 day".

/** "30 seconds", "1 hour", "2 days", "1 week" (also the retention rules' wording: retention/rules.ts). */
export function timerSpan(seconds: number): string {
  const units: [number, string][] = [[7 * 86400, 'week'], [86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [size, name] of units) {
    if (seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

export function describeTimer(who: string, seconds: number | null): string {
  return seconds === null ? `${who} turned off disappearing messages` : `${who} set disappearing messages to ${timerSpan(seconds)}`;
}
