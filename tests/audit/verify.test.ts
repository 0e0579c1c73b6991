// `parley-server audit verify --data DIR` on a real data directory: an intact chain (including entries written
// before migration 0011, in the old shape) exits 0; an attacker with write access to the SQLite file — who drops
// the append-only triggers, edits or deletes rows and puts the triggers back — is caught with the first broken
// entry and exit 1. Offline: the server is stopped while the command runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '@signalapp/sqlcipher';
import { DB_FILE, SqliteStore } from '../../server/store/sqlite.ts';
import pg from 'pg';
import { PostgresStore } from '../../server/store/postgres/index.ts';
import { activeDevice, api, runServerCli as run, startTestServer } from '../server/helpers.ts';
import { missing, startPostgres } from '../support/services.ts';

const root = mkdtempSync(join(tmpdir(), 'parley-audit-verify-'));
const pristine = join(root, 'pristine');
let entries = 0;

// The hashing of the version before migration 0011, verbatim: entries it wrote must still verify.
function oldCanonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(oldCanonical).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).filter((k) => obj[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${oldCanonical(obj[k])}`).join(',')}}`;
}
const oldHash = (previous: string, body: object) => createHash('sha256').update(previous + oldCanonical(body)).digest('hex');

/** A copy of the pristine data directory to attack. */
function copy(name: string): { dir: string; db: Database } {
  const dir = join(root, name);
  cpSync(pristine, dir, { recursive: true });
  return { dir, db: new Database(join(dir, DB_FILE)) };
}

/** What an attacker with the file does: lift the triggers, change rows, put the triggers back. */
function tamper(db: Database, sql: string): void {
  db.exec(`
    DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
    ${sql};
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  `);
  db.close();
}

before(async () => {
  // Two entries as the version before 0011 wrote them (no target kind, no details: NULL columns).
  const store = new SqliteStore(pristine);
  await store.close();
  const db = new Database(join(pristine, DB_FILE));
  let previous = '0'.repeat(64);
  for (const id of [1, 2]) {
    const body = {
      id, at: 1_700_000_000_000 + id, actor: { userId: null, email: 'scim' }, action: 'wipe requested',
      target: { userId: `u_${'A'.repeat(21)}${id}`, email: `old${id}@acme.test`, deviceId: id }, reason: 'account deactivated', outcome: 'pending: device will confirm',
    };
    previous = oldHash(previous, body);
    db.prepare(`INSERT INTO audit_log (id, at, actor_user_id, actor_email, action, target_user_id, target_email, target_device_id, reason, outcome, hash)
      VALUES ($id, $at, NULL, 'scim', $action, $tu, $te, $td, $reason, $outcome, $hash)`).run({
      id, at: body.at, action: body.action, tu: body.target.userId, te: body.target.email, td: id, reason: body.reason, outcome: body.outcome, hash: previous,
    });
  }
  db.close();
  // Then a real session appends new-shape entries to the same chain: registrations, accounts, a wipe.
  const server = await startTestServer({ dataDir: pristine });
  const carol = await activeDevice(server.url, 'carol');
  await activeDevice(server.url, 'bob');
  assert.equal((await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { email: 'bob@acme.test', reason: 'lost' } })).status, 200);
  entries = (await api(server.url, 'GET', '/v1/admin/audit?limit=1000', { auth: carol.auth })).body.entries.length;
  await server.close();
});
after(() => { rmSync(root, { recursive: true, force: true }); });

test('an intact chain, old entries included: exit 0 with the count and head hash', async () => {
  assert.ok(entries >= 7, `only ${entries} entries`);
  const r = await run(['audit', 'verify', '--data', pristine]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^audit log intact: ${entries} entries, head [0-9a-f]{64}\\n$`));
});

test('an edited entry (triggers dropped and recreated): exit 1 naming it', async () => {
  const { dir, db } = copy('edited');
  tamper(db, "UPDATE audit_log SET reason = 'routine' WHERE id = 5");
  const r = await run(['audit', 'verify', '--data', dir]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /^audit log BROKEN at entry 5: /);
});

test('an edited old-shape entry is caught too', async () => {
  const { dir, db } = copy('edited-old');
  tamper(db, "UPDATE audit_log SET target_email = 'someone-else@acme.test' WHERE id = 2");
  const r = await run(['audit', 'verify', '--data', dir]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /BROKEN at entry 2: /);
});

test('an edited entry whose own hash was recomputed breaks the next link', async () => {
  const { dir, db } = copy('rehashed');
  const rows = db.prepare('SELECT * FROM audit_log WHERE id IN (3, 4) ORDER BY id').all() as any[];
  const { auditHash, auditRow } = await import('../../server/audit.ts');
  const forged = { ...auditRow(rows[1]), outcome: 'unchanged: nothing happened' };
  tamper(db, `UPDATE audit_log SET outcome = '${forged.outcome}', hash = '${auditHash(rows[0].hash, forged)}' WHERE id = 4`);
  const r = await run(['audit', 'verify', '--data', dir]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /BROKEN at entry 5: /);
});

test('a deleted entry: exit 1 saying which is missing', async () => {
  const { dir, db } = copy('deleted');
  tamper(db, 'DELETE FROM audit_log WHERE id = 3');
  const r = await run(['audit', 'verify', '--data', dir]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^audit log BROKEN at entry 3: entry 3 is missing/);
});

test('a cut-off tail: caught with the head hash recorded earlier (--head)', async () => {
  const head = /head ([0-9a-f]{64})/.exec((await run(['audit', 'verify', '--data', pristine])).stdout)![1]!;
  const { dir, db } = copy('truncated');
  tamper(db, `DELETE FROM audit_log WHERE id > ${entries - 2}`);
  const plain = await run(['audit', 'verify', '--data', dir]);
  assert.equal(plain.status, 0, 'without an anchor, a shorter chain is still a valid chain');
  const anchored = await run(['audit', 'verify', '--data', dir, '--head', head]);
  assert.equal(anchored.status, 1);
  assert.match(anchored.stdout, /recorded head .* is not in the log/);
});

test('bad usage and a missing database: one stderr line, exit 2, nothing created', async () => {
  const empty = join(root, 'empty');
  for (const args of [['audit'], ['audit', 'check', '--data', pristine], ['audit', 'verify'], ['audit', 'verify', '--data', pristine, '--bogus'],
    ['audit', 'verify', '--data', pristine, '--database', 'postgres://x/y'], ['audit', 'verify', '--data', empty], ['audit', 'verify', '--data', pristine, '--head', 'xyz']]) {
    const r = await run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^parley-server: [^\n]+\n$/);
    assert.equal(r.stdout, '');
  }
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(empty), false, 'verify must not create a data directory');
});

test('PostgreSQL (--database URL): intact, then caught after an edit behind disabled triggers', { skip: missing('postgres') }, async () => {
  const pgServer = await startPostgres();
  try {
    const store = await PostgresStore.open(pgServer.url);
    for (let i = 1; i <= 3; i++) {
      await store.audit.append({
        at: i, actor: { userId: null, email: 'scim' }, action: 'scim user created',
        target: { kind: 'scim-user', id: `s${i}`, userId: '', email: `p${i}@acme.test`, deviceId: null }, reason: '', outcome: 'active', details: { userName: `p${i}@acme.test` },
      });
    }
    await store.close();
    const intact = await run(['audit', 'verify', '--database', pgServer.url]);
    assert.equal(intact.status, 0, intact.stderr);
    assert.match(intact.stdout, /^audit log intact: 3 entries, head [0-9a-f]{64}\n$/);
    const client = new pg.Client({ connectionString: pgServer.url });
    await client.connect();
    await client.query(`ALTER TABLE audit_log DISABLE TRIGGER USER;
      UPDATE audit_log SET details = '{"userName":"someone-else@acme.test"}' WHERE id = 2;
      ALTER TABLE audit_log ENABLE TRIGGER USER`);
    await client.end();
    const broken = await run(['audit', 'verify', '--database', pgServer.url]);
    assert.equal(broken.status, 1);
    assert.match(broken.stdout, /^audit log BROKEN at entry 2: /);
  } finally {
    await pgServer.destroy();
  }
});
