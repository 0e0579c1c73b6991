// `parley stats [--days N] [--json]` (your own, computed on this device) and `parley admin stats [--days N]
// [--json]` (org admins: daily totals from the server, each figure below the privacy threshold withheld).
import type { Messenger } from '../../core/messenger.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

function days(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,2}$/.test(value) || Number(value) > 366) throw new ExitError(2, `--days takes a whole number from 1 to 366, got "${value}"`);
  return Number(value);
}

export async function statsCommand(m: Messenger, { command, values }: Parsed): Promise<void> {
  if (command === 'admin stats') {
    const s = await m.business.org.adminStats(days(values.days));
    if (values.json) { sayJson(s); return; }
    const f = (n: number | null) => (n === null ? `<${s.k}` : String(n)).padStart(9);
    say(`day          messages  devices    users   groups   (figures below ${s.k} are not shown)`);
    for (const d of s.days) say(`${d.day} ${f(d.messagesRelayed)}${f(d.activeDevices)}${f(d.activeUsers)}${f(d.groups)}`);
    return;
  }
  const s = m.business.stats(days(values.days) ?? 30);
  if (values.json) { sayJson(s); return; }
  say('day           sent  delivered   read');
  for (const d of s.days) say(`${d.day} ${String(d.sent).padStart(6)} ${String(d.delivered).padStart(10)} ${String(d.read).padStart(6)}`);
  say(`total      ${String(s.totals.sent).padStart(6)} ${String(s.totals.delivered).padStart(10)} ${String(s.totals.read).padStart(6)}`);
  if (s.conversations.length > 0) say('');
  for (const c of s.conversations) say(`${c.title || c.conversationId}: ${c.sent} sent, ${c.delivered} delivered, ${c.read} read`);
}
