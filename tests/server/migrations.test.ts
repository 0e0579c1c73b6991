// Schema migrations (server/store/sqlite/migrate.ts): one file per version, recorded in schema_migrations. A
// database made by the old single-block migrator (one block per PRAGMA user_version, no schema_migrations
// table) keeps working: it opens at the latest version with its data. The legacy databases here are made
// exactly as that migrator did, from the same SQL (shipped migrations are never edited).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '@signalapp/sqlcipher';
import { DB_FILE, SqliteStore } from '../../server/store/sqlite.ts';
import { MIGRATIONS } from '../../server/store/sqlite/migrations/index.ts';
import { LATEST_VERSION } from '../../server/store/sqlite/migrate.ts';
import { URN } from '../../common/wire/scim.ts';
import { ErrorCode } from '../../common/errors.ts';
import { activeDevice, api, startTestServer } from './helpers.ts';

const TOKEN = 'migrations-test-token-0123456789';

/** What the old SqliteStore#migrate did: each block and its user_version bump in one transaction. */
function legacyMigrate(dataDir: string, upTo: number): void {
  const db = new Database(join(dataDir, DB_FILE));
  try {
    db.pragma('journal_mode = WAL');
    for (let v = 0; v < upTo; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!.sql);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
  } finally {
    db.close();
  }
}

function schemaState(dataDir: string): { userVersion: number; recorded: Array<{ version: number; name: string; applied_at: number }> } {
  const db = new Database(join(dataDir, DB_FILE));
  try {
    return {
      userVersion: Number(db.pragma('user_version', { simple: true })),
      recorded: db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all() as any,
    };
  } finally {
    db.close();
  }
}

test('migrations: one per file, numbered 1…N, names unique', () => {
  assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
  assert.equal(new Set(MIGRATIONS.map((m) => m.name)).size, MIGRATIONS.length);
  assert.equal(LATEST_VERSION, MIGRATIONS.length);
});

test('a new database is created at the latest version, every migration recorded once; reopening changes nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-migrations-'));
  try {
    await new SqliteStore(dir).close();
    const first = schemaState(dir);
    assert.equal(first.userVersion, LATEST_VERSION);
    assert.deepEqual(first.recorded.map((r) => [r.version, r.name]), MIGRATIONS.map((m) => [m.version, m.name]));
    assert.ok(first.recorded.every((r) => r.applied_at > 0));
    await new SqliteStore(dir).close();
    assert.deepEqual(schemaState(dir), first);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a database made by the old single migration block opens at the latest version and keeps working', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-migrations-legacy-'));
  legacyMigrate(dir, MIGRATIONS.length);
  const s = await startTestServer({ dataDir: dir });
  try {
    const state = schemaState(dir);
    assert.equal(state.userVersion, LATEST_VERSION);
    // Adopted as applied before the table existed (applied_at 0), not run again.
    assert.deepEqual(state.recorded.map((r) => [r.version, r.applied_at]), MIGRATIONS.map((m) => [m.version, 0]));
    const alice = await activeDevice(s.url, 'alice');
    const bob = await activeDevice(s.url, 'bob');
    const dirEntry = await api(s.url, 'GET', '/v1/directory?email=bob@acme.test', { auth: alice.auth });
    assert.equal(dirEntry.status, 200);
    const sent = await api(s.url, 'POST', '/v1/messages', {
      auth: alice.auth,
      body: { recipient: bob.userId, envelopes: [{ userId: bob.userId, deviceId: bob.deviceId, registrationId: bob.registrationId, type: 1, content: 'aGk=' }] },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
  } finally {
    await s.cleanup();
  }
});

/**
 * What takes a schema back before `migrations`: their CREATE TABLE / INDEX / TRIGGER and ADD COLUMN undone in
 * reverse order, so the legacy-database test keeps working as migrations are added (no list to keep in step).
 */
function undoStatements(migrations: readonly { sql: string }[]): string[] {
  const undo: string[] = [];
  for (const m of migrations) {
    const re = /CREATE\s+(?:UNIQUE\s+)?(TABLE|INDEX|TRIGGER)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)|ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)/gi;
    for (const x of m.sql.matchAll(re)) {
      undo.push(x[1] ? `DROP ${x[1].toUpperCase()} IF EXISTS ${x[2]}` : `ALTER TABLE ${x[3]} DROP COLUMN ${x[4]}`);
    }
  }
  return undo.reverse();
}

test('a database older than the migrations table (user_version 3, before SCIM) migrates forward: its users become just-in-time SCIM users', async () => {
  const first = await startTestServer();
  const bob = await activeDevice(first.url, 'bob');
  await first.close();
  // Turn it into what an old server at version 3 left: no SCIM tables, no groups, no migrations table.
  const db = new Database(join(first.dataDir, DB_FILE));
  db.exec(['DROP TABLE schema_migrations', ...undoStatements(MIGRATIONS.filter((m) => m.version > 3))].join(';\n'));
  db.pragma('user_version = 3');
  db.close();
  const s = await startTestServer({ dataDir: first.dataDir, scimToken: TOKEN });
  try {
    const state = schemaState(first.dataDir);
    assert.equal(state.userVersion, LATEST_VERSION);
    assert.deepEqual(state.recorded.map((r) => r.applied_at > 0), MIGRATIONS.map((m) => m.version > 3));
    const res = await fetch(`${s.url}/scim/v2/Users?filter=${encodeURIComponent('emails.value eq "BOB@acme.test"')}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = await res.json() as any;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.totalResults, 1);
    const u = body.Resources[0];
    assert.equal(u.userName, 'bob@acme.test');
    assert.equal(u.displayName, 'Bob Baker');
    assert.deepEqual(u.emails, [{ value: 'bob@acme.test', type: 'work', primary: true }]);
    assert.equal(u.active, true);
    // …and deactivating that SCIM user wipes bob's device.
    const off = await fetch(`${s.url}/scim/v2/Users/${u.id}`, {
      method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [URN.patchOp], Operations: [{ op: 'replace', path: 'active', value: false }] }),
    });
    assert.equal(off.status, 200);
    assert.equal((await api(s.url, 'GET', '/v1/devices/me', { auth: bob.auth })).error?.code, ErrorCode.device_wiped);
  } finally {
    await s.cleanup();
  }
});

test('a database newer than this server is refused, and left as it was', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-migrations-newer-'));
  try {
    await new SqliteStore(dir).close();
    const db = new Database(join(dir, DB_FILE));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($v, 'from-the-future', 1)").run({ v: LATEST_VERSION + 1 });
    db.close();
    const before = schemaState(dir);
    assert.throws(() => new SqliteStore(dir), new RegExp(`schema version ${LATEST_VERSION + 1} is newer than this server \\(${LATEST_VERSION}\\)`));
    assert.deepEqual(schemaState(dir), before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
