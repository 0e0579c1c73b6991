// How a held delivery is told to the sender, alike in the CLI and the app: "Bob Baker is off work until Mon 09:00
// (Europe/Berlin); your message will be delivered then". Times are shown as the recipient reads them (their zone).

const DAY_MS = 86_400_000;

/** "Mon 09:00" within the coming week, else "Mon 7 Dec 09:00", in `timeZone`. */
export function formatOffUntil(offUntil: number, timeZone: string, now: number = Date.now()): string {
  const soon = offUntil - now < 6 * DAY_MS;
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(soon ? {} : { day: 'numeric', month: 'short' }),
  }).formatToParts(offUntil);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return soon ? `${get('weekday')} ${get('hour')}:${get('minute')}` : `${get('weekday')} ${get('day')} ${get('month')} ${get('hour')}:${get('minute')}`;
}

/** The notice before (or after) sending to someone off work. */
export function offWorkNotice(name: string, offUntil: number, timeZone: string, now: number = Date.now()): string {
  return `${name} is off work until ${formatOffUntil(offUntil, timeZone, now)} (${timeZone}); your message will be delivered then`;
}

/** "mon-fri", "mon,wed,fri": days as people write them (a run of three or more consecutive days as a range). */
export function formatDays(days: readonly string[]): string {
  const order = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const idx = days.map((d) => order.indexOf(d)).filter((i) => i >= 0).sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1] === idx[j]! + 1) j++;
    out.push(j - i >= 2 ? `${order[idx[i]!]}-${order[idx[j]!]}` : idx.slice(i, j + 1).map((k) => order[k]).join(','));
    i = j + 1;
  }
  return out.join(',');
}

/** Days as the CLI takes them: "mon-fri", "mon,wed,fri", "sat-mon" (a range may wrap); undefined if malformed. */
export function parseDays(text: string): string[] | undefined {
  const order = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const out = new Set<string>();
  for (const part of text.toLowerCase().split(',')) {
    const [a, b, more] = part.trim().split('-');
    const i = order.indexOf(a ?? '');
    if (i < 0 || more !== undefined) return undefined;
    if (b === undefined) { out.add(order[i]!); continue; }
    const j = order.indexOf(b);
    if (j < 0) return undefined;
    for (let k = i; ; k = (k + 1) % 7) { out.add(order[k]!); if (k === j) break; }
  }
  return out.size > 0 ? order.filter((d) => out.has(d)) : undefined;
}
