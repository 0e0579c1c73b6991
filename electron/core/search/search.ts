// Full-text search over this device's messages: the FTS5 index message_search (store migration 0004),
// kept in step with edits, deletes and retention by triggers, so nothing here writes.
//
// Newest first: the index's rowid is minus the message's rowid (insertion order), and FTS5 reads rows in
// ascending rowid order incrementally, so the query stops after `limit` hits however common the words are,
// instead of ranking every match (see tests/bench/search.ts). The index keeps no text: the matched words
// are found again in the message (query.ts matchRanges).
import type { Row } from '../store/schema.ts';
import { UsageError, type CoreContext } from '../context.ts';
import { matchRanges, toMatchExpression } from './query.ts';

export interface SearchHit {
  messageId: string;
  conversationId: string;
  senderUserId: string;
  direction: 'in' | 'out';
  /** The message's whole text. */
  text: string;
  /** Where the matched words are in `text`: [start, end) UTF-16 offsets, in order. */
  matches: [number, number][];
  sentAt: number;
  seq: number;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export class MessageSearch {
  constructor(private readonly ctx: CoreContext) {}

  /**
   * The messages whose text contains every word of `query` (the last as a prefix), newest first. Input is
   * never FTS5 syntax (query.ts); an empty query finds nothing. Held messages, system messages and messages
   * deleted for everyone are not in the index at all.
   */
  search(query: string, opts: { limit?: number; conversationId?: string } = {}): SearchHit[] {
    const parsed = toMatchExpression(query);
    const { match } = parsed;
    if (match === null) return [];
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(opts.limit ?? DEFAULT_LIMIT)));
    return this.query(match, opts.conversationId ?? null, limit).map((r) => {
      const text = String(r.body);
      return {
        messageId: String(r.id), conversationId: String(r.conversation_id), senderUserId: String(r.sender_user_id),
        direction: r.direction === 'out' ? 'out' : 'in', text, matches: matchRanges(text, parsed),
        sentAt: Number(r.sent_at), seq: Number(r.seq),
      };
    });
  }

  private query(match: string, conversationId: string | null, limit: number): Row[] {
    try {
      return this.ctx.store.handle.prepare(`SELECT m.id, m.conversation_id, m.sender_user_id, m.direction, m.body, m.sent_at, m.seq
        FROM message_search s JOIN messages m ON m.rowid = -s.rowid
        WHERE message_search MATCH ? AND (? IS NULL OR m.conversation_id = ?)
        ORDER BY s.rowid LIMIT ?`).all([match, conversationId, conversationId, limit]) as Row[];
    } catch (err) {
      // query.ts quotes every word, so this should not happen; if it does, a sentence rather than SQLite's words.
      throw new UsageError(`Parley could not search for that (${(err as Error).message.replace(/^sqlite error\([A-Z_]+\): /, '')}); try other words`);
    }
  }
}
