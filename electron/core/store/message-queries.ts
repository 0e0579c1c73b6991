// The store's queries for message content (migration 0003): finding a message, edits and their history,
// delete-for-everyone and delete-for-me, reactions, read state. Over LocalStore's database handle, so
// local-store.ts stays short; writes run inside the caller's store.exclusive() like every other write.
import type { LocalStore } from './local-store.ts';
import { toMessage, type Row, type StoredMessage } from './schema.ts';

export interface Reaction { userId: string; emoji: string; at: number }
export interface EditRecord { body: string; replacedAt: number }

export class MessageQueries {
  constructor(private readonly store: LocalStore) {}

  private get db() { return this.store.handle; }

  find(id: string): StoredMessage | undefined {
    const r = this.db.prepare('SELECT * FROM messages WHERE id = ?').get([id]) as Row | undefined;
    return r ? toMessage(r) : undefined;
  }

  /** Replaces the text, keeping the previous one in message_edits. */
  edit(id: string, body: string, at: number): void {
    const m = this.find(id);
    if (!m) return;
    this.db.prepare('INSERT INTO message_edits (message_id, body, replaced_at) VALUES (?, ?, ?)').run([id, m.body, at]);
    this.db.prepare('UPDATE messages SET body = ?, edited_at = ? WHERE id = ?').run([body, at, id]);
  }

  /** The earlier texts of an edited message, oldest first (kept on this device only). */
  edits(id: string): EditRecord[] {
    return (this.db.prepare('SELECT body, replaced_at FROM message_edits WHERE message_id = ? ORDER BY id').all([id]) as Row[])
      .map((r) => ({ body: String(r.body), replacedAt: Number(r.replaced_at) }));
  }

  /** Delete for everyone: the row stays ("This message was deleted"); its text, files, edits and reactions go. */
  tombstone(id: string): void {
    this.db.prepare(`UPDATE messages SET body = '', attachments = NULL, reply_excerpt = CASE WHEN reply_to IS NULL THEN NULL ELSE '' END,
      deleted = 1 WHERE id = ?`).run([id]);
    this.db.prepare('DELETE FROM message_edits WHERE message_id = ?').run([id]);
    this.db.prepare('DELETE FROM reactions WHERE message_id = ?').run([id]);
    // Quotes of it elsewhere lose their excerpt too.
    this.db.prepare(`UPDATE messages SET reply_excerpt = '' WHERE reply_to = ?`).run([id]);
  }

  /** Delete for me: the row and everything hanging off it (edits and reactions cascade). */
  remove(id: string): void {
    const m = this.find(id);
    if (!m) return;
    this.db.prepare('DELETE FROM messages WHERE id = ?').run([id]);
    if (m.direction === 'in' && m.readAt === undefined) {
      this.db.prepare('UPDATE conversations SET unread = max(unread - 1, 0) WHERE id = ?').run([m.conversationId]);
    }
  }

  /** One reaction per person per message: a new one replaces the old; null removes it. */
  setReaction(messageId: string, userId: string, emoji: string | null, at: number): void {
    if (emoji === null) {
      this.db.prepare('DELETE FROM reactions WHERE message_id = ? AND user_id = ?').run([messageId, userId]);
      return;
    }
    this.db.prepare(`INSERT INTO reactions (message_id, user_id, emoji, at) VALUES (?, ?, ?, ?)
      ON CONFLICT(message_id, user_id) DO UPDATE SET emoji = excluded.emoji, at = excluded.at`).run([messageId, userId, emoji, at]);
  }

  reaction(messageId: string, userId: string): Reaction | undefined {
    const r = this.db.prepare('SELECT user_id, emoji, at FROM reactions WHERE message_id = ? AND user_id = ?').get([messageId, userId]) as Row | undefined;
    return r ? { userId: String(r.user_id), emoji: String(r.emoji), at: Number(r.at) } : undefined;
  }

  reactions(messageIds: string[]): Map<string, Reaction[]> {
    const out = new Map<string, Reaction[]>();
    const stmt = this.db.prepare('SELECT user_id, emoji, at FROM reactions WHERE message_id = ? ORDER BY at, user_id');
    for (const id of messageIds) {
      const rows = stmt.all([id]) as Row[];
      if (rows.length > 0) out.set(id, rows.map((r) => ({ userId: String(r.user_id), emoji: String(r.emoji), at: Number(r.at) })));
    }
    return out;
  }

  /** Marks every unread incoming message of a chat read; returns them (their authors get read receipts). */
  markConversationRead(conversationId: string, at: number): StoredMessage[] {
    const rows = (this.db.prepare(`SELECT * FROM messages WHERE conversation_id = ? AND direction = 'in' AND read_at IS NULL ORDER BY seq`)
      .all([conversationId]) as Row[]).map(toMessage);
    this.db.prepare(`UPDATE messages SET read_at = ? WHERE conversation_id = ? AND direction = 'in' AND read_at IS NULL`).run([at, conversationId]);
    this.db.prepare('UPDATE conversations SET unread = 0 WHERE id = ?').run([conversationId]);
    return rows;
  }

  /** Our other device read these incoming messages: mark them read here too and recount the chat's unread. */
  markIncomingRead(conversationId: string, ids: string[], at: number): string[] {
    const changed: string[] = [];
    const stmt = this.db.prepare(`UPDATE messages SET read_at = ? WHERE id = ? AND conversation_id = ? AND direction = 'in' AND read_at IS NULL`);
    for (const id of ids) if (stmt.run([at, id, conversationId]).changes > 0) changed.push(id);
    this.db.prepare(`UPDATE conversations SET unread = (SELECT count(*) FROM messages WHERE conversation_id = ? AND direction = 'in' AND read_at IS NULL)
      WHERE id = ?`).run([conversationId, conversationId]);
    return changed;
  }

  /** A recipient read our messages: status 'read' (from any earlier state but failed), read_at the first time. */
  markOutgoingRead(conversationId: string, ids: string[], at: number): string[] {
    const changed: string[] = [];
    const stmt = this.db.prepare(`UPDATE messages SET status = 'read', read_at = coalesce(read_at, ?)
      WHERE id = ? AND conversation_id = ? AND direction = 'out' AND status IN ('sending', 'sent', 'delivered')`);
    for (const id of ids) if (stmt.run([at, id, conversationId]).changes > 0) changed.push(id);
    return changed;
  }

  setDisappearing(conversationId: string, seconds: number | null): void {
    this.db.prepare('UPDATE conversations SET disappearing_seconds = ? WHERE id = ?').run([seconds, conversationId]);
  }
}
