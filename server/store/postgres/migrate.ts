// Brings a PostgreSQL database to the latest schema, once per cluster: every node runs this at start, under one
// session-level advisory lock, so the first node applies what is pending while the others wait and then find
// nothing to do. Each migration runs in its own transaction and is recorded in schema_migrations (version,
// name, applied_at). A database newer than this server is refused: it would run against a schema it does not know.
import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations/index.ts';
import { LOCK, type Pg } from './sql.ts';

export const LATEST_VERSION = MIGRATIONS.length;

export interface MigrationReport { applied: string[]; version: number }

async function pending(client: pg.PoolClient, migrations: readonly Migration[]): Promise<readonly Migration[]> {
  await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  const applied = (await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
  const current = applied.length === 0 ? 0 : applied[applied.length - 1]!;
  if (current > migrations.length) throw new Error(`database schema version ${current} is newer than this server (${migrations.length})`);
  applied.forEach((v, i) => {
    if (v !== i + 1) throw new Error(`schema_migrations is missing version ${i + 1}`);
  });
  return migrations.slice(current);
}

export async function migrate(q: Pg, now: () => number = Date.now, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  return q.session(async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK.migrate]);
    try {
      const todo = await pending(client, migrations);
      for (const m of todo) {
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
        }
      }
      return { applied: todo.map((m) => `${m.version}-${m.name}`), version: migrations.length };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK.migrate]).catch(() => {});
    }
  });
}
