// Which statements may change what a reader cares about, read off their SQL text: the SQLite store counts them
// (Sql.watch), so a reader can keep what it read for as long as the count stays put (server/fanout.ts keeps
// device lists that way). Conservative by construction: an INSERT, REPLACE or DELETE on the table always counts,
// an UPDATE counts when its SET names a watched column, and exec (migrations, several statements) counts for
// every watch. One process writes the database (the store assumes it throughout), so nothing else can change it.

export interface Watch { readonly table: string; readonly columns: readonly string[]; count: number }

const ROWS_CHANGED = /\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|DELETE\s+FROM)\s+"?(\w+)"?/gi;
const UPDATED = /\bUPDATE\s+(?:OR\s+\w+\s+)?"?(\w+)"?\s+SET\b([\s\S]*?)(?=\bWHERE\b|\bRETURNING\b|\bFROM\b|;|$)/gi;

/** The watches `sql` may change. */
export function touchedBy(sql: string, watches: readonly Watch[]): Watch[] {
  const hit = new Set<Watch>();
  for (const m of sql.matchAll(ROWS_CHANGED)) {
    for (const w of watches) if (w.table.toLowerCase() === m[1]!.toLowerCase()) hit.add(w);
  }
  for (const m of sql.matchAll(UPDATED)) {
    const set = m[2]!.toLowerCase();
    for (const w of watches) {
      if (w.table.toLowerCase() !== m[1]!.toLowerCase()) continue;
      if (w.columns.some((c) => new RegExp(`\\b${c.toLowerCase()}\\b`).test(set))) hit.add(w);
    }
  }
  return [...hit];
}
