// Multi-row statements for the relay's hot writes (envelope-batch.ts, send-records.ts, the ack deletes): on this
// driver a statement call costs more than the row it writes, so a group commit's rows go in a few statements.
// Pieces of CHUNK rows, then at most one of 32, 16, … 1: each statement has one of 7 texts per kind, prepared once.
import type { ParamList } from './sql.ts';

/** Rows per multi-row statement (64 × 11 columns stays far below SQLite's 32,766 parameters). */
export const CHUNK = 64;

/** A statement's text for `n` rows (`make` builds it), made once per size: a fresh string per call would be hashed anew. */
export function sized(cache: Map<number, string>, n: number, make: (rows: string) => string, cols: number): string {
  let sql = cache.get(n);
  if (sql === undefined) {
    sql = make(Array.from({ length: n }, () => `(${Array(cols).fill('?').join(',')})`).join(','));
    cache.set(n, sql);
  }
  return sql;
}

/** Splits `items` into pieces of CHUNK, then 32, 16, … 1, and calls `fn` with each piece. */
export function inPieces<T>(items: T[], fn: (piece: T[]) => void): void {
  let i = 0;
  for (let size = CHUNK; size >= 1; size /= 2) {
    while (items.length - i >= size) {
      fn(items.slice(i, i + size));
      i += size;
      if (size < CHUNK) break; // at most one piece of each smaller size
    }
  }
}

/**
 * The parameters of `piece`, `width` per item, in one array filled in place (flatMap made an array per row and
 * then flattened them: ~2 µs a row, as much as SQLite took to insert it).
 */
export function params<T>(piece: T[], width: number, put: (p: ParamList, at: number, item: T) => void): ParamList {
  const p: ParamList = new Array<ParamList[number]>(piece.length * width);
  for (let i = 0; i < piece.length; i++) put(p, i * width, piece[i]!);
  return p;
}
