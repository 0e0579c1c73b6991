// Read-only access to a relay's database for the offline subcommands (audit verify, data-inventory): the SQLite
// file in --data DIR (never created: a missing file is an error) or PostgreSQL at --database URL, in a
// read-only session. Nothing here starts the server or needs one running.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CustomTypesConfig } from 'pg';
import type { AuditColumns } from '../audit.ts';
import type { LiveSchema } from '../inventory/check.ts';

/** The SQLite file name in the data directory (as server/store/sqlite.ts names it). */
const DB_FILE = 'parley-server.db';

export interface ReadOnlyDb {
  readonly backend: 'sqlite' | 'postgres';
  /** Audit rows with id > afterId, in id order. */
  auditPage(afterId: number, limit: number): Promise<AuditColumns[]>;
  /** Every table of the schema with its columns. */
  schema(): Promise<LiveSchema>;
  close(): Promise<void>;
}

export class DbOpenError extends Error {}

export async function openReadOnly(where: { data?: string; database?: string }): Promise<ReadOnlyDb> {
  if (where.database !== undefined) return openPostgres(where.database);
  const file = join(where.data!, DB_FILE);
  if (!existsSync(file)) throw new DbOpenError(`no Parley database in ${where.data} (expected ${file})`);
  const { default: Database } = await import('@signalapp/sqlcipher');
  let db: InstanceType<typeof Database>;
  try {
    db = new Database(file);
    db.pragma('query_only = ON'); // this connection can write nothing, whatever runs on it
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new DbOpenError(`cannot open ${file}: ${(err as Error).message}`);
  }
  return {
    backend: 'sqlite',
    async auditPage(afterId, limit) {
      return db.prepare('SELECT * FROM audit_log WHERE id > $after ORDER BY id LIMIT $limit').all({ after: afterId, limit }) as unknown as AuditColumns[];
    },
    async schema() {
      const live: LiveSchema = new Map();
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>;
      for (const { name } of tables) {
        // table_info cannot take a bound parameter; the name comes from sqlite_master and is quoted.
        const cols = db.prepare(`PRAGMA table_info("${name.replace(/"/g, '""')}")`).all() as Array<{ name: string }>;
        live.set(name, cols.map((c) => c.name));
      }
      return live;
    },
    async close() { db.close(); },
  };
}

async function openPostgres(url: string): Promise<ReadOnlyDb> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    connectionString: url,
    // BIGINT (ids, times) as numbers, as the store reads them.
    types: { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format ?? 'text'))) as CustomTypesConfig['getTypeParser'] },
  });
  try {
    await client.connect();
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  } catch (err) {
    await client.end().catch(() => {});
    throw new DbOpenError(`cannot connect to the database: ${(err as Error).message}`);
  }
  return {
    backend: 'postgres',
    async auditPage(afterId, limit) {
      return (await client.query('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit])).rows as AuditColumns[];
    },
    async schema() {
      const { rows } = await client.query<{ table_name: string; column_name: string }>(
        `SELECT c.table_name, c.column_name FROM information_schema.columns c
           JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
          WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position`,
      );
      const live: LiveSchema = new Map();
      for (const r of rows) live.set(r.table_name, [...(live.get(r.table_name) ?? []), r.column_name]);
      return live;
    },
    async close() { await client.end(); },
  };
}
