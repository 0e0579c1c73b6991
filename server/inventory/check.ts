// The data inventory checked against a live schema, and printed. Reads only the catalog (sqlite_master and
// pragma table_info, or information_schema): never a row of data.
import { BACKEND_ONLY, INTERNAL_TABLES, TABLES, inventoryRows, type InventoryRow } from './entries.ts';

/** table → its columns, as the database has them. */
export type LiveSchema = Map<string, string[]>;

export interface InventoryCheck {
  /** Columns in the database without an inventory entry: the inventory is incomplete. */
  missing: Array<{ table: string; column: string }>;
  /** Inventory entries for columns this database does not have (a backend-only table, or an older schema). */
  absent: Array<{ table: string; column: string }>;
}

export function checkInventory(live: LiveSchema): InventoryCheck {
  const listed = new Map(TABLES.map((t) => [t.table, new Set(Object.keys(t.columns))]));
  const missing: InventoryCheck['missing'] = [];
  const absent: InventoryCheck['absent'] = [];
  for (const [table, columns] of live) {
    if (INTERNAL_TABLES.includes(table)) continue;
    const known = listed.get(table);
    for (const column of columns) if (!known?.has(column)) missing.push({ table, column });
  }
  for (const [table, columns] of listed) {
    const have = new Set(live.get(table) ?? []);
    if (!live.has(table) && BACKEND_ONLY.includes(table)) continue;
    for (const column of columns) if (!have.has(column) && !BACKEND_ONLY.includes(`${table}.${column}`)) absent.push({ table, column });
  }
  return { missing, absent };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

/** Markdown: one section per table (purpose, retention, readers), a row per column; then the files. */
export function inventoryMarkdown(rows: InventoryRow[] = inventoryRows()): string {
  const out = ['# Parley relay: data inventory', '',
    'Every column the relay stores and every file in its data directory. Categories: see server/inventory/entries.ts.', ''];
  const byTable = new Map<string, InventoryRow[]>();
  for (const r of rows) if (r.table) byTable.set(r.table, [...(byTable.get(r.table) ?? []), r]);
  for (const [table, cols] of byTable) {
    const first = cols[0]!;
    out.push(`## ${table}`, '', `Purpose: ${first.purpose}.  `, `Retention: ${first.retention}.  `, `Who can read it: ${first.readers}.`, '',
      '| column | category | personal | holds |', '|---|---|---|---|');
    for (const c of cols) out.push(`| ${c.column} | ${c.category} | ${c.personal ? 'yes' : 'no'} | ${cell(c.holds)} |`);
    out.push('');
  }
  out.push('## Files in the data directory', '', '| file | category | holds | purpose | retention | who can read it |', '|---|---|---|---|---|---|');
  for (const f of rows.filter((r) => r.file)) {
    out.push(`| ${f.file} | ${f.category} | ${cell(f.holds)} | ${cell(f.purpose)} | ${cell(f.retention)} | ${cell(f.readers)} |`);
  }
  return `${out.join('\n')}\n`;
}
