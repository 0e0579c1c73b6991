// The user's own statistics, computed on this device from its own store (nothing is sent anywhere): per local
// day and per conversation, how many messages the user sent, how many of them reached a recipient's device
// (delivered) and how many were read (a read receipt came back; only people who send them are counted).
import type { CoreContext } from '../context.ts';
import { UsageError } from '../context.ts';

export interface StatsRow { sent: number; delivered: number; read: number }
export interface DayStats extends StatsRow { day: string }
export interface ConversationStats extends StatsRow { conversationId: string; title: string }
export interface MyStats {
  days: DayStats[];
  conversations: ConversationStats[];
  totals: StatsRow;
}

const DAY_MS = 86_400_000;

/** YYYY-MM-DD of `ms` in this machine's time zone. */
function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function myStats(ctx: CoreContext, days = 30): MyStats {
  if (!Number.isInteger(days) || days < 1 || days > 366) throw new UsageError('--days must be a whole number from 1 to 366');
  const now = ctx.now();
  const start = new Date(now - (days - 1) * DAY_MS);
  start.setHours(0, 0, 0, 0);
  const rows = ctx.store.handle.prepare(
    `SELECT m.conversation_id AS c, m.sent_at AS at, m.status AS status, coalesce(cv.title, '') AS title
     FROM messages m LEFT JOIN conversations cv ON cv.id = m.conversation_id
     WHERE m.direction = 'out' AND m.sent_at >= ? AND m.sent_at <= ?`,
  ).all([start.getTime(), now]) as Array<{ c: string; at: number; status: string; title: string }>;
  const byDay = new Map<string, DayStats>();
  for (let t = start.getTime(); localDay(t) <= localDay(now) && byDay.size < days; t += DAY_MS) byDay.set(localDay(t), { day: localDay(t), sent: 0, delivered: 0, read: 0 });
  const byChat = new Map<string, ConversationStats>();
  const totals: StatsRow = { sent: 0, delivered: 0, read: 0 };
  for (const r of rows) {
    // Not yet out (queued, waiting, failed) is not "sent".
    if (!['sent', 'delivered', 'read'].includes(r.status)) continue;
    const delivered = r.status === 'delivered' || r.status === 'read' ? 1 : 0;
    const read = r.status === 'read' ? 1 : 0;
    const d = byDay.get(localDay(Number(r.at)));
    const c = byChat.get(r.c) ?? { conversationId: r.c, title: r.title, sent: 0, delivered: 0, read: 0 };
    for (const x of [d, c, totals]) {
      if (!x) continue;
      x.sent++;
      x.delivered += delivered;
      x.read += read;
    }
    byChat.set(r.c, c);
  }
  return { days: [...byDay.values()], conversations: [...byChat.values()].sort((a, b) => b.sent - a.sent || a.title.localeCompare(b.title)), totals };
}
