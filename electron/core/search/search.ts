// Full-text search over this device's messages: the FTS5 index message_search (store migration 0004),
// kept in step with edits, deletes and retention by triggers, so nothing here writes.
//
// Newest first: FTS5 walks its index in rowid order (rowid = insertion order), so the query stops after
// `limit` hits however common the words are, instead of ranking every match (see tests/bench/search.ts).
import type { Row } from '../store/schema.ts';
import { UsageError, type CoreContext } from '../context.ts';
import { toMatchExpression } from './query.ts';

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

// Markers around each matched word in highlight()'s output: control characters no one types. A message
// that itself contains one is shown without highlights rather than with forged ones.
const OPEN = '\u0001';
const CLOSE = '\u0002';

/** Splits highlight()'s output into the plain text and the ranges it marked. */
export function unmark(marked: string, body: string): [number, number][] {
  if (body.includes(OPEN) || body.includes(CLOSE)) return [];
  const ranges: [number, number][] = [];
  let plain = 0;
  let start = -1;
  for (const ch of marked) {
    if (ch === OPEN) start = plain;
    else if (ch === CLOSE) { if (start >= 0) ranges.push([start, plain]); start = -1; }
    else plain += ch.length;
  }
  return ranges;
}

export class MessageSearch {
  constructor(private readonly ctx: CoreContext) {}

  /**
   * The messages whose text contains every word of `query` (the last as a prefix), newest first. Input is
   * never FTS5 syntax (query.ts); an empty query finds nothing. Held messages, system messages and messages
   * deleted for everyone are not in the index at all.
   */
  search(query: string, opts: { limit?: number; conversationId?: string } = {}): SearchHit[] {
    const { match } = toMatchExpression(query);
    if (match === null) return [];
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(opts.limit ?? DEFAULT_LIMIT)));
    return this.query(match, opts.conversationId ?? null, limit).map((r) => {
      const text = String(r.body);
      return {
        messageId: String(r.id), conversationId: String(r.conversation_id), senderUserId: String(r.sender_user_id),
        direction: r.direction === 'out' ? 'out' : 'in', text, matches: unmark(String(r.marked), text),
        sentAt: Number(r.sent_at), seq: Number(r.seq),
      };
    });
  }

  private query(match: string, conversationId: string | null, limit: number): Row[] {
    try {
      return this.ctx.store.handle.prepare(`SELECT m.id, m.conversation_id, m.sender_user_id, m.direction, m.body, m.sent_at, m.seq,
          highlight(message_search, 0, '${OPEN}', '${CLOSE}') AS marked
        FROM message_search s JOIN messages m ON m.rowid = s.rowid
        WHERE message_search MATCH ? AND (? IS NULL OR m.conversation_id = ?)
        ORDER BY s.rowid DESC LIMIT ?`).all([match, conversationId, conversationId, limit]) as Row[];
    } catch (err) {
      // query.ts quotes every word, so this should not happen; if it does, a sentence rather than SQLite's words.
      throw new UsageError(`Parley could not search for that (${(err as Error).message.replace(/^sqlite error\([A-Z_]+\): /, '')}); try other words`);
    }
  }
}
