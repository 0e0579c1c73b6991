// What a person types into the search box, turned into an FTS5 query that can never be a syntax error,
// and the matched words found again in a message's text (for highlighting).
//
// FTS5 has its own query language (AND/OR/NOT/NEAR, quotes, parentheses, column filters, `^`, `*`). None
// of it is offered: every word is taken literally as a quoted string ("" doubled inside), so `"foo OR`,
// `NEAR(`, `body:x` or `a*b` search for their words. The words are ANDed; the last one is a prefix (search
// as you type) once it has two characters. Control characters count as spaces. Pieces without a letter or
// digit (FTS5 would make them an empty phrase) are dropped.
import { UsageError } from '../context.ts';

/** Longer input is refused with a sentence, not cut silently. */
export const MAX_QUERY_CHARS = 200;
/** More words than this make a slow query with nothing to gain: refused with a sentence. */
export const MAX_QUERY_WORDS = 12;

const WORDY = /[\p{L}\p{N}]/u;
/** Roughly what the unicode61 tokenizer takes as one token: letters, digits, private-use characters. */
const TOKEN = /[\p{L}\p{N}\p{Co}\p{M}]+/gu;

export interface ParsedQuery {
  /** The FTS5 MATCH expression, or null when the input has no word to search for. */
  match: string | null;
  /** The folded tokens of the words, to find them again in a hit's text. */
  tokens: string[];
  /** The last token matches as a prefix. */
  prefix: boolean;
}

/** Case and diacritics folded, as the index does (unicode61 remove_diacritics 2). */
export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function toMatchExpression(input: string): ParsedQuery {
  if (input.length > MAX_QUERY_CHARS) throw new UsageError(`a search can be at most ${MAX_QUERY_CHARS} characters long`);
  // Control characters (NUL ends an FTS5 string early) separate words like spaces.
  const words = input.normalize('NFC').replace(/\p{Cc}/gu, ' ').split(/\s+/u).filter((w) => WORDY.test(w));
  if (words.length > MAX_QUERY_WORDS) throw new UsageError(`a search can have at most ${MAX_QUERY_WORDS} words`);
  if (words.length === 0) return { match: null, tokens: [], prefix: false };
  const tokens = words.flatMap((w) => (w.match(TOKEN) ?? []).map(fold)).filter((t) => t.length > 0);
  const prefix = [...(tokens[tokens.length - 1] ?? '')].length >= 2;
  const quoted = words.map((w) => `"${w.replaceAll('"', '""')}"`);
  if (prefix) quoted[quoted.length - 1] += '*';
  return { match: quoted.join(' '), tokens, prefix };
}

/** Where the query's tokens are in `text`: [start, end) UTF-16 offsets of each matching word, in order. */
export function matchRanges(text: string, q: Pick<ParsedQuery, 'tokens' | 'prefix'>): [number, number][] {
  const whole = new Set(q.prefix ? q.tokens.slice(0, -1) : q.tokens);
  const start = q.prefix ? q.tokens[q.tokens.length - 1] : undefined;
  const ranges: [number, number][] = [];
  for (const m of text.matchAll(TOKEN)) {
    const t = fold(m[0]);
    if (whole.has(t) || (start !== undefined && t.startsWith(start))) ranges.push([m.index, m.index + m[0].length]);
  }
  return ranges;
}
