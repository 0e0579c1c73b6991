// Deleting what is due: messages past their disappearing timer (expires_at) and, when the org sets
// retention.messagesDays, every message that arrived longer ago than that. A deleted message takes its
// reactions and edit history with it (ON DELETE CASCADE), leaves the search index by the FTS5 triggers
// (migration 0004), and its text leaves the quotes of replies to it. With secure_delete on (local-store.ts)
// SQLite zeroes the freed space; a checkpoint afterwards moves the zeroed pages into the database file and
// empties the write-ahead log, where the old page images would otherwise linger.
import type { LocalStore } from '../store/local-store.ts';
import type { Row } from '../store/schema.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** Deleted messages of one conversation. */
export interface Expired {
  conversationId: string;
  messageIds: string[];
}

/** Deletes what is due at `now`; call inside store.exclusive(). */
export function purgeDue(store: LocalStore, now: number, messagesDays: number | undefined): Expired[] {
  const db = store.handle;
  const cutoff = messagesDays === undefined ? -1 : now - messagesDays * DAY_MS;
  // Two indexed range reads (messages_expiry, messages_age), merged here: as one UNION, SQLite sorted both
  // sides by id and walked the whole table (0.8 s at every launch with 100,000 messages).
  const timed = db.prepare('SELECT id, conversation_id FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ?').all([now]) as Row[];
  const old = cutoff < 0 ? [] : db.prepare('SELECT id, conversation_id FROM messages WHERE received_at < ?').all([cutoff]) as Row[];
  const due = [...new Map([...timed, ...old].map((r) => [String(r.id), r])).values()];
  if (due.length === 0) return [];
  const del = db.prepare('DELETE FROM messages WHERE id = ?');
  const unquote = db.prepare('UPDATE messages SET reply_excerpt = NULL WHERE reply_to = ? AND reply_excerpt IS NOT NULL');
  const byConversation = new Map<string, string[]>();
  for (const r of due) {
    const id = String(r.id);
    del.run([id]);
    unquote.run([id]);
    const c = String(r.conversation_id);
    const list = byConversation.get(c);
    if (list) list.push(id); else byConversation.set(c, [id]);
  }
  // Unread counts follow (an unread message that expired is no longer waiting to be read).
  const recount = db.prepare(`UPDATE conversations SET unread = (SELECT count(*) FROM messages
    WHERE conversation_id = ? AND direction = 'in' AND read_at IS NULL) WHERE id = ?`);
  for (const c of byConversation.keys()) recount.run([c, c]);
  return [...byConversation].map(([conversationId, messageIds]) => ({ conversationId, messageIds }));
}

/** The next instant a message's timer runs out, if any has one. */
export function nextExpiry(store: LocalStore): number | undefined {
  const r = store.handle.prepare('SELECT min(expires_at) AS t FROM messages WHERE expires_at IS NOT NULL').get() as Row | undefined;
  return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
}

/**
 * Moves freed (zeroed) pages into the file and truncates the write-ahead log. Outside any transaction; when
 * another process reads at that moment SQLite reports busy and the next purge or checkpoint finishes it.
 */
export function flushFreedPages(store: LocalStore): void {
  try {
    store.handle.pragma('wal_checkpoint(TRUNCATE)');
  } catch { /* busy: the next checkpoint does it */ }
}
