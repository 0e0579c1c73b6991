// sendId records on SQLite (sqlite/send-records.ts, migrations/0014-send-records.ts): an append-only table and
// an index in memory. The index is only a hint — a shared hash, a rolled-back insert or a restart must never
// make two sends one or forget one — and it is bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '@signalapp/sqlcipher';
import { DB_FILE, SqliteStore } from '../../server/store/sqlite.ts';
import { MIGRATIONS } from '../../server/store/sqlite/migrations/index.ts';
import { sendKeyHash } from '../../server/store/sqlite/send-key.ts';
import { SqliteSendRecords } from '../../server/store/sqlite/send-records.ts';
import { Sql } from '../../server/store/sqlite/sql.ts';
import { activeUser, envelopeTo } from '../store-contract/harness.ts';

async function inDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-send-records-'));
  try { await fn(dir); } finally { await rm(dir, { recursive: true, force: true }); }
}

const once = (userId: string, deviceId: number, sendId: string, ts: number, now = 10) => ({ userId, deviceId, sendId, serverTimestamp: ts, expiresAt: now + 10_000, now });
const rowsOf = (dir: string, sql: string) => {
  const db = new Database(join(dir, DB_FILE));
  try { return db.prepare(sql).all(); } finally { db.close(); }
};

test('a record that shares the index hash but not the key is not a duplicate (storeOnce, storeMany, findSend)', () => inDir(async (dir) => {
  let s = new SqliteStore(dir);
  const { user: a, device: ad } = await activeUser(s, 'a');
  const { user: b, device: bd } = await activeUser(s, 'b');
  await s.close();
  // Records of another device under the very hashes the sends below will look up (a collision), written while
  // the server is down, so the index is rebuilt with them.
  const db = new Database(join(dir, DB_FILE));
  for (const id of ['collide-storeonce-1', 'collide-storemany-1']) {
    db.prepare('INSERT INTO sends (key_hash, user_id, device_id, send_id, server_timestamp, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run([sendKeyHash(a.userId, ad.deviceId, id), b.userId, bd.deviceId, 'someone-elses-send-id', 1, 10_000]);
  }
  db.close();
  s = new SqliteStore(dir);
  try {
    const from = { userId: a.userId, deviceId: ad.deviceId };
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'collide-storeonce-1', 10), undefined);
    const one = await s.envelopes.storeOnce([envelopeTo(b.userId, bd.deviceId, from, 1)], once(a.userId, ad.deviceId, 'collide-storeonce-1', 500));
    assert.ok('stored' in one && one.stored.length === 1, JSON.stringify(one));
    const [many] = await s.envelopes.storeMany([{ envelopes: [envelopeTo(b.userId, bd.deviceId, from, 2)], once: once(a.userId, ad.deviceId, 'collide-storemany-1', 600) }]);
    assert.ok(many && 'ok' in many && 'stored' in many.ok && many.ok.stored.length === 1, JSON.stringify(many));
    // …and each is now found by its own key.
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'collide-storeonce-1', 10), 500);
    assert.deepEqual(await s.envelopes.storeOnce([envelopeTo(b.userId, bd.deviceId, from, 3)], once(a.userId, ad.deviceId, 'collide-storemany-1', 700)), { duplicateOf: 600 });
  } finally {
    await s.close();
  }
}));

test('records outlive a restart: the index is rebuilt from the table', () => inDir(async (dir) => {
  let s = new SqliteStore(dir);
  const { user: a, device: ad } = await activeUser(s, 'a');
  const { user: b, device: bd } = await activeUser(s, 'b');
  const from = { userId: a.userId, deviceId: ad.deviceId };
  await s.envelopes.storeMany([{ envelopes: [envelopeTo(b.userId, bd.deviceId, from, 1)], once: once(a.userId, ad.deviceId, 'before-restart-1', 42) }]);
  await s.close();
  s = new SqliteStore(dir);
  try {
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'before-restart-1', 20), 42);
    const [retry] = await s.envelopes.storeMany([{ envelopes: [envelopeTo(b.userId, bd.deviceId, from, 2)], once: once(a.userId, ad.deviceId, 'before-restart-1', 99) }]);
    assert.deepEqual(retry, { ok: { duplicateOf: 42 } });
  } finally {
    await s.close();
  }
}));

test('an expired record is replaced, not doubled; the sweep deletes expired records', () => inDir(async (dir) => {
  const s = new SqliteStore(dir);
  try {
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: b, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    const again = (ts: number, now: number) => ({ ...once(a.userId, ad.deviceId, 'again-and-again', ts, now), expiresAt: now + 100 });
    await s.envelopes.storeOnce([envelopeTo(b.userId, bd.deviceId, from, 1)], again(1, 0));
    await s.envelopes.storeOnce([envelopeTo(b.userId, bd.deviceId, from, 2)], again(2, 200)); // the first expired at 100
    await s.envelopes.storeMany([{ envelopes: [envelopeTo(b.userId, bd.deviceId, from, 3)], once: again(3, 400) }]);
    assert.deepEqual(rowsOf(dir, "SELECT server_timestamp FROM sends WHERE send_id = 'again-and-again'"), [{ server_timestamp: 3 }]);
    // Two minutes on, a send sweeps: the record that expired at 500 goes; a live one stays.
    await s.envelopes.storeOnce([], once(a.userId, ad.deviceId, 'a-later-send-01', 9, 150_000));
    assert.deepEqual(rowsOf(dir, 'SELECT send_id FROM sends ORDER BY id'), [{ send_id: 'a-later-send-01' }]);
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'again-and-again', 150_000), undefined);
  } finally {
    await s.close();
  }
}));

test('the index holds the newest records up to its cap; a rolled-back record is not a duplicate', () => inDir(async (dir) => {
  await new SqliteStore(dir).close();
  const q = new Sql(join(dir, DB_FILE));
  try {
    const records = new SqliteSendRecords(q, 3);
    const key = (n: number) => ({ userId: 'u_a', deviceId: 1, sendId: `send-number-${n}-x` });
    for (let n = 1; n <= 5; n++) q.tx(() => records.add([{ once: once('u_a', 1, key(n).sendId, n), hash: SqliteSendRecords.hash(key(n)) }]));
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => records.find(key(n))?.serverTimestamp), [undefined, undefined, 3, 4, 5]);
    assert.throws(() => q.tx(() => {
      records.add([{ once: once('u_a', 1, key(6).sendId, 6), hash: SqliteSendRecords.hash(key(6)) }]);
      throw new Error('the commit failed');
    }));
    assert.equal(records.find(key(6)), undefined);
  } finally {
    q.close();
  }
}));

test('a database with records in the old sends table upgrades; the old records are dropped', () => inDir(async (dir) => {
  const db = new Database(join(dir, DB_FILE));
  db.pragma('journal_mode = WAL');
  for (const m of MIGRATIONS.slice(0, 13)) db.exec(m.sql);
  db.pragma('user_version = 13');
  db.prepare('INSERT INTO sends (user_id, device_id, send_id, server_timestamp, expires_at) VALUES (?, ?, ?, ?, ?)').run(['u_x', 1, 'old-send-id-0123456', 5, 9e12]);
  db.close();
  const s = new SqliteStore(dir);
  try {
    assert.equal(await s.envelopes.findSend('u_x', 1, 'old-send-id-0123456', 10), undefined);
    const { user: a, device: ad } = await activeUser(s, 'a');
    assert.deepEqual(await s.envelopes.storeOnce([], once(a.userId, ad.deviceId, 'after-upgrade-01', 7, 1)), { stored: [] });
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'after-upgrade-01', 2), 7);
  } finally {
    await s.close();
  }
}));
