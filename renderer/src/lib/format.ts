const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const fullDateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const longFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

function startOfDay(d: Date): number {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Compact time for the conversation list: 14:02, Tue, 3 Mar, 3 Mar 2023. */
export function listTime(ms: number, now = Date.now()): string {
  if (!ms) return '';
  const d = new Date(ms);
  const today = startOfDay(new Date(now));
  if (ms >= today) return timeFmt.format(d);
  if (ms >= today - 6 * 86_400_000) return dayFmt.format(d);
  if (d.getFullYear() === new Date(now).getFullYear()) return dateFmt.format(d);
  return fullDateFmt.format(d);
}

/** Time next to a message: just the clock for today, otherwise date and clock. */
export function messageTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  if (ms >= startOfDay(new Date(now))) return timeFmt.format(d);
  return `${listTime(ms, now)}, ${timeFmt.format(d)}`;
}

export function fullTime(ms: number): string {
  return longFmt.format(new Date(ms));
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** "12345 67890 …" (any spacing) → 3 rows of 4 groups of 5 digits. */
export function safetyRows(safetyNumber: string): string[][] {
  const digits = safetyNumber.replace(/\D/g, '');
  const groups = digits.match(/.{1,5}/g) ?? [];
  const rows: string[][] = [];
  for (let i = 0; i < groups.length; i += 4) rows.push(groups.slice(i, i + 4));
  return rows;
}

/** Plain text → paragraphs (blank lines separate them; single newlines are kept by CSS). */
export function paragraphs(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split(/\n[ \t]*\n+/).map((p) => p.replace(/^\n+|\n+$/g, '')).filter((p) => p.trim() !== '');
}

export function initials(name: string): string {
  const parts = name.trim().split(/[\s@._-]+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const second = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + second).toUpperCase();
}

const tableFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const tableShortFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const auditFmt = new Intl.DateTimeFormat(undefined, {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** Date and clock for tables ("23 Nov, 14:02"; the year only when it is not this one); "Never" for 0. */
export function tableTime(ms: number, now = Date.now()): string {
  if (!ms) return 'Never';
  const d = new Date(ms);
  return (d.getFullYear() === new Date(now).getFullYear() ? tableShortFmt : tableFmt).format(d);
}

/** Audit log times carry seconds: several entries often fall into the same minute. */
export function auditTime(ms: number): string {
  return auditFmt.format(new Date(ms));
}

/** "1 device", "3 devices". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A directory (SCIM) group as a choice: "Engineering (12 people)". */
export function directoryGroupLabel(g: { displayName: string; memberCount: number }): string {
  return `${g.displayName} (${plural(g.memberCount, 'person', 'people')})`;
}
