// Brings a database to the latest schema: each pending migration runs in its own transaction and is recorded
// in schema_migrations (version, name, applied_at). PRAGMA user_version follows the latest version, so a
// server older than the database refuses it instead of running against a schema it does not know.
//
// Databases made before schema_migrations existed were migrated by one block per user_version: versions
// 1…user_version are adopted as applied (applied_at 0: unknown), then the rest run as usual.
import { MIGRATIONS, type Migration } from './migrations/index.ts';
import { num, str, type Sql } from './sql.ts';

export const LATEST_VERSION = MIGRATIONS.length;

export function migrate(sql: Sql, now: () => number = Date.now, migrations: readonly Migration[] = MIGRATIONS): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  sql.tx(() => {
    if (sql.get("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")) return;
    const legacy = Number(sql.pragma('user_version') ?? 0);
    if (legacy > latest) throw new Error(`database schema version ${legacy} is newer than this server (${latest})`);
    sql.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    for (const m of migrations.slice(0, legacy)) {
      sql.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($v, $name, 0)', { v: m.version, name: m.name });
    }
  });
  const applied = sql.all('SELECT version, name FROM schema_migrations ORDER BY version').map((r) => ({ version: num(r.version), name: str(r.name) }));
  const current = applied.length === 0 ? 0 : applied[applied.length - 1]!.version;
  if (current > latest) throw new Error(`database schema version ${current} is newer than this server (${latest})`);
  applied.forEach((a, i) => {
    if (a.version !== i + 1) throw new Error(`schema_migrations is missing version ${i + 1}`);
  });
  for (const m of migrations.slice(current)) {
    sql.tx(() => {
      sql.exec(m.sql);
      sql.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($v, $name, $at)', { v: m.version, name: m.name, at: now() });
      sql.pragma(`user_version = ${m.version}`);
    });
  }
}
