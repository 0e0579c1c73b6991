// Item 5 of issue #14: the data inventory covers every column the relay stores, on both backends' live schemas
// (a column added without an inventory entry fails here), and `parley-server data-inventory` prints it from a
// real data directory, read-only.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '@signalapp/sqlcipher';
import { DB_FILE, SqliteStore } from '../../server/store/sqlite.ts';
import { PostgresStore } from '../../server/store/postgres/index.ts';
import { checkInventory } from '../../server/inventory/check.ts';
import { FILES, TABLES, inventoryRows } from '../../server/inventory/entries.ts';
import { openReadOnly } from '../../server/cli/db.ts';
import { missing, startPostgres } from '../support/services.ts';
import { runServerCli as run } from '../server/helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'parley-inventory-'));
after(() => { rmSync(root, { recursive: true, force: true }); });

async function sqliteDir(name: string): Promise<string> {
  const dir = join(root, name);
  await new SqliteStore(dir).close();
  return dir;
}

test('every column of the SQLite schema has an entry, and every entry names a real column', async () => {
  const db = await openReadOnly({ data: await sqliteDir('sqlite') });
  try {
    const check = checkInventory(await db.schema());
    assert.deepEqual(check.missing, [], `columns without an inventory entry (add them to server/inventory/entries.ts): ${JSON.stringify(check.missing)}`);
    assert.deepEqual(check.absent, [], `inventory entries for columns that do not exist: ${JSON.stringify(check.absent)}`);
  } finally {
    await db.close();
  }
});

test('every column of the PostgreSQL schema has an entry', { skip: missing('postgres') }, async () => {
  const pg = await startPostgres();
  try {
    await (await PostgresStore.open(pg.url)).close();
    const db = await openReadOnly({ database: pg.url });
    try {
      const check = checkInventory(await db.schema());
      assert.deepEqual(check.missing, [], `columns without an inventory entry: ${JSON.stringify(check.missing)}`);
      assert.deepEqual(check.absent, [], `inventory entries for columns PostgreSQL does not have: ${JSON.stringify(check.absent)}`);
    } finally {
      await db.close();
    }
    // The command reads PostgreSQL too.
    const r = await run(['data-inventory', '--database', pg.url, '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).unlisted, []);
  } finally {
    await pg.destroy();
  }
});

test('a column added without an entry is reported: the check can fail', async () => {
  const dir = await sqliteDir('extra-column');
  const raw = new Database(join(dir, DB_FILE));
  raw.exec('ALTER TABLE users ADD COLUMN phone TEXT');
  raw.close();
  const db = await openReadOnly({ data: dir });
  try {
    assert.deepEqual(checkInventory(await db.schema()).missing, [{ table: 'users', column: 'phone' }]);
  } finally {
    await db.close();
  }
  const r = await run(['data-inventory', '--data', dir]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^parley-server: 1 column\(s\) of this database have no inventory entry: users\.phone\n$/);
});

test('each entry says category, purpose, retention and readers; emails and names are contact data', () => {
  for (const row of inventoryRows()) {
    for (const field of ['holds', 'purpose', 'retention', 'readers'] as const) assert.ok(row[field].trim().length > 3, `${row.table ?? row.file}.${row.column ?? ''}: ${field}`);
  }
  const contact = new Set(inventoryRows().filter((r) => r.category === 'contact').map((r) => `${r.table}.${r.column}`));
  for (const c of ['users.email', 'users.name', 'audit_log.actor_email', 'audit_log.target_email', 'scim_users.user_name', 'scim_users.attrs_json']) {
    assert.ok(contact.has(c), `${c} should be contact data`);
  }
  assert.deepEqual(new Set(TABLES.map((t) => t.table)).size, TABLES.length, 'one entry per table');
  assert.ok(FILES.some((f) => f.path === 'lease-key.pem') && FILES.some((f) => f.path === 'blobs/'));
});

test('parley-server data-inventory prints md and json from a data dir without changing it', async () => {
  const dir = await sqliteDir('cli');
  const before = statSync(join(dir, DB_FILE)).mtimeMs;
  const md = await run(['data-inventory', '--data', dir]);
  assert.equal(md.status, 0, md.stderr);
  assert.match(md.stdout, /^# Parley relay: data inventory\n/);
  assert.match(md.stdout, /\n## users\n[\s\S]*\| email \| contact \| yes \|/);
  assert.match(md.stdout, /\n## Files in the data directory\n/);
  const json = await run(['data-inventory', '--data', dir, '--format', 'json']);
  assert.equal(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.entries.length, inventoryRows().length);
  assert.deepEqual(parsed.unlisted, []);
  assert.equal(statSync(join(dir, DB_FILE)).mtimeMs, before, 'the database file was written');
  for (const args of [['data-inventory'], ['data-inventory', '--data', dir, '--format', 'xml'], ['data-inventory', '--data', join(root, 'nothing-here')]]) {
    const r = await run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^parley-server: [^\n]+\n$/);
  }
});
