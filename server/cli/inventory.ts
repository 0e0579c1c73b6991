// `parley-server data-inventory (--data DIR | --database URL) [--format md|json]`: every stored field of personal
// data (server/inventory/entries.ts), checked against the database's live schema (read-only catalog queries).
//   exit 0: printed, and every column has an entry
//   exit 1: printed, but columns of this database have no entry (listed on stderr): the inventory is incomplete
//   exit 2: bad usage, or no database to read
import { parseArgs } from 'node:util';
import { checkInventory, inventoryMarkdown } from '../inventory/check.ts';
import { inventoryRows } from '../inventory/entries.ts';
import { openReadOnly } from './db.ts';
import { UsageError, databaseOf } from './audit.ts';

export const INVENTORY_USAGE = 'usage: parley-server data-inventory (--data DIR | --database URL) [--format md|json]';

export async function inventoryCommand(argv: string[], out: (text: string) => void, err: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: { data: { type: 'string' }, database: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { out(`${INVENTORY_USAGE}\n`); return 0; }
  const format = values.format ?? 'md';
  if (format !== 'md' && format !== 'json') throw new UsageError(`--format must be md or json, not ${format}`);
  const db = await openReadOnly(databaseOf(values));
  let check;
  try {
    check = checkInventory(await db.schema());
  } finally {
    await db.close();
  }
  const rows = inventoryRows();
  out(format === 'json'
    ? `${JSON.stringify({ entries: rows, unlisted: check.missing, notInThisDatabase: check.absent }, null, 2)}\n`
    : inventoryMarkdown(rows));
  if (check.missing.length > 0) {
    err(`parley-server: ${check.missing.length} column(s) of this database have no inventory entry: ${check.missing.map((m) => `${m.table}.${m.column}`).join(', ')}`);
    return 1;
  }
  return 0;
}
