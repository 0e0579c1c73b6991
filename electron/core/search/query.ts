// What a person types into the search box, turned into an FTS5 query that can never be a syntax error.
//
// FTS5 has its own query language (AND/OR/NOT/NEAR, quotes, parentheses, column filters, `^`, `*`). None
// of it is offered: every word is taken literally as a quoted string ("" doubled inside), so `"foo OR`,
// `NEAR(`, `body:x` or `a*b` search for their words. The words are ANDed; the last one is a prefix (search
// as you type). Control characters count as spaces. Pieces without a letter or digit (FTS5 would make them an empty phrase) are dropped.
import { UsageError } from '../context.ts';

/** Longer input is refused with a sentence, not cut silently. */
export const MAX_QUERY_CHARS = 200;
/** More words than this make a slow query with nothing to gain: refused with a sentence. */
export const MAX_QUERY_WORDS = 12;

const WORDY = /[\p{L}\p{N}]/u;

export interface ParsedQuery {
  /** The FTS5 MATCH expression, or null when the input has no word to search for. */
  match: string | null;
  /** The words, as typed (for display). */
  words: string[];
}

export function toMatchExpression(input: string): ParsedQuery {
  if (input.length > MAX_QUERY_CHARS) throw new UsageError(`a search can be at most ${MAX_QUERY_CHARS} characters long`);
  // Control characters (NUL ends an FTS5 string early) separate words like spaces.
  const words = input.normalize('NFC').replace(/\p{Cc}/gu, ' ').split(/\s+/u).filter((w) => WORDY.test(w));
  if (words.length > MAX_QUERY_WORDS) throw new UsageError(`a search can have at most ${MAX_QUERY_WORDS} words`);
  if (words.length === 0) return { match: null, words };
  const quoted = words.map((w) => `"${w.replaceAll('"', '""')}"`);
  quoted[quoted.length - 1] += '*';
  return { match: quoted.join(' '), words };
}
