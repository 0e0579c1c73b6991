// sendId records on SQLite (migrations/0014-send-records.ts, sqlite/send-key.ts): appended, found through a
// 48-bit hash of their key. Sharing a hash must never make two sends one, the lookups must go through the
// index (a scan would grow with every send of the last two hours), and a database with records in the old
// table upgrades.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from '@signalapp/sqlcipher';
import { DB_FILE, SqliteStore } from '../../server/store/sqlite.ts';
import { MIGRATIONS } from '../../server/store/sqlite/migrations/index.ts';
import { sendKeyHash } from '../../server/store/sqlite/send-key.ts';
import { activeUser, envelopeTo } from '../store-contract/harness.ts';

async function withStore(fn: (s: SqliteStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-send-records-'));
  const s = new SqliteStore(dir);
  try { await fn(s, dir); } finally { await s.close(); await rm(dir, { recursive: true, force: true }); }
}

test('a record that shares the index hash but not the key is not a duplicate (storeOnce, storeMany, findSend)', async () => {
  await withStore(async (s, dir) => {
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: b, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    const once = (sendId: string, ts: number) => ({ userId: a.userId, deviceId: ad.deviceId, sendId, serverTimestamp: ts, expiresAt: 10_000, now: 10 });
    // Plant records of another device with the very hashes the two sends below will look up (a collision).
    const db = new Database(join(dir, DB_FILE));
    for (const id of ['collide-storeonce-1', 'collide-storemany-1']) {
      db.prepare('INSERT INTO sends (user_id, device_id, send_id, server_timestamp, expires_at, key_hash) VALUES (?, ?, ?, ?, ?, ?)')
        .run([b.userId, bd.deviceId, 'someone-elses-send-id', 1, 10_000, sendKeyHash(a.userId, ad.deviceId, id)]);
    }
    db.close();
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'collide-storeonce-1', 10), undefined);
    const one = await s.envelopes.storeOnce([envelopeTo(b.userId, bd.deviceId, from, 1)], once('collide-storeonce-1', 500));
    assert.ok('stored' in one && one.stored.length === 1, JSON.stringify(one));
    const [many] = await s.envelopes.storeMany([{ envelopes: [envelopeTo(b.userId, bd.deviceId, from, 2)], once: once('collide-storemany-1', 600) }]);
    assert.ok(many && 'ok' in many && 'stored' in many.ok && many.ok.stored.length === 1, JSON.stringify(many));
    // …and each is now found by its own key, and only by it.
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'collide-storeonce-1', 10), 500);
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'collide-storemany-1', 10), 600);
    assert.deepEqual(await s.envelopes.storeOnce([envelopeTo(b.userId, bd.deviceId, from, 3)], once('collide-storemany-1', 700)), { duplicateOf: 600 });
  });
});

test('an expired record is replaced, not doubled: one row per key', async () => {
  await withStore(async (s, dir) => {
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: b, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    const once = (ts: number, now: number) => ({ userId: a.userId, deviceId: ad.deviceId, sendId: 'again-and-again', serverTimestamp: ts, expiresAt: now + 100, now });
    await s.envelopes.storeOnce([envelopeTo(b.userId, bd.deviceId, from, 1)], once(1, 0));
    await s.envelopes.storeOnce([envelopeTo(b.userId, bd.deviceId, from, 2)], once(2, 200)); // the first expired at 100
    await s.envelopes.storeMany([{ envelopes: [envelopeTo(b.userId, bd.deviceId, from, 3)], once: once(3, 400) }]);
    const db = new Database(join(dir, DB_FILE));
    try {
      assert.deepEqual(db.prepare("SELECT server_timestamp FROM sends WHERE send_id = 'again-and-again'").all(), [{ server_timestamp: 3 }]);
    } finally {
      db.close();
    }
  });
});

test('sendId lookups go through the hash index', async () => {
  await withStore(async (_s, dir) => {
    const db = new Database(join(dir, DB_FILE));
    try {
      const plans = [
        'SELECT server_timestamp FROM sends WHERE key_hash = ? AND user_id = ? AND device_id = ? AND send_id = ? AND expires_at > ?',
        `SELECT s.rowid FROM (VALUES (?,?,?,?),(?,?,?,?)) AS v
         JOIN sends AS s ON s.key_hash = v.column1 AND s.user_id = v.column2 AND s.device_id = v.column3 AND s.send_id = v.column4`,
      ].map((sql) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(Array(sql.includes('VALUES') ? 8 : 5).fill(1)) as { detail: string }[]).map((r) => r.detail).join('; '));
      for (const plan of plans) assert.match(plan, /SEARCH s(ends)? USING INDEX sends_key/, plan);
    } finally {
      db.close();
    }
  });
});

test('a database with records in the old sends table upgrades; the old records are dropped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-send-records-upgrade-'));
  try {
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
      const r = await s.envelopes.storeOnce([], { userId: a.userId, deviceId: ad.deviceId, sendId: 'after-upgrade-01', serverTimestamp: 7, expiresAt: 100, now: 1 });
      assert.deepEqual(r, { stored: [] });
      assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'after-upgrade-01', 2), 7);
    } finally {
      await s.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
