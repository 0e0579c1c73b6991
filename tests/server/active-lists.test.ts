// Device lists kept by the fan-out check (server/fanout.ts activeRefs) for as long as the SQLite store says they
// cannot have changed (DeviceStore.activeVersion, counted by sqlite/write-watch.ts). A kept list must never
// outlive a change to who is active: a new device, published keys, a revoke, a wipe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeRefs } from '../../server/fanout.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { touchedBy, type Watch } from '../../server/store/sqlite/write-watch.ts';
import { activeUser, auditEntry, key33, newDevice } from '../store-contract/harness.ts';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('write-watch: inserts, deletes and updates of watched columns count; other updates and reads do not', () => {
  const w: Watch = { table: 'devices', columns: ['state', 'identity_key', 'spk_public'], count: 0 };
  const counts = (sql: string) => touchedBy(sql, [w]).length === 1;
  for (const sql of [
    'INSERT INTO devices (user_id) VALUES ($u)', 'insert or replace into devices (user_id) values (?)', 'REPLACE INTO "devices" VALUES (1)',
    'DELETE FROM devices WHERE user_id = $u', "UPDATE devices SET state = 'revoked' WHERE user_id = $u",
    'UPDATE devices SET spk_id = $id, spk_public = $pub WHERE user_id = $u', 'update OR ignore devices set identity_key = ? where 1',
    'WITH x AS (SELECT 1) UPDATE devices SET name = $n, state = $s WHERE 1', 'UPDATE users SET name = 1; DELETE FROM devices',
  ]) assert.ok(counts(sql), sql);
  for (const sql of [
    'UPDATE devices SET last_seen = $now WHERE user_id = $u', 'UPDATE devices SET state_changed_at = $at WHERE user_id = $u AND state = $s',
    "SELECT * FROM devices WHERE state = 'active'", 'UPDATE users SET state = 1', 'INSERT INTO devices_archive VALUES (1)', 'DELETE FROM envelopes',
  ]) assert.ok(!counts(sql), sql);
});

test('a kept list is read again after every change to who is active, and only then', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-active-lists-'));
  const s = new SqliteStore(dir);
  try {
    const { user, device } = await activeUser(s, 'ann');
    const ids = async () => (await activeRefs(s, user.userId)).map((d) => d.deviceId);
    const first = activeRefs(s, user.userId);
    await nextTurn();
    assert.equal(activeRefs(s, user.userId), first, 'kept across turns while nothing changed');
    await s.devices.touch(user.userId, device.deviceId, 99);
    await s.devices.describe(user.userId, device.deviceId, { name: 'renamed' });
    assert.equal(activeRefs(s, user.userId), first, 'last seen and names do not change who is active');

    const second = await newDevice(s, user.userId);
    assert.deepEqual(await ids(), [device.deviceId], 'a device without keys is not active');
    const up = await s.keys.upload(user.userId, second.deviceId, {
      identityKey: key33(5), signedPreKey: { keyId: 1, publicKey: key33(6), signature: new Uint8Array(64).fill(1) }, preKeys: [],
    });
    assert.ok(up.ok);
    assert.deepEqual(await ids(), [device.deviceId, second.deviceId], 'published keys are seen at once');
    await s.devices.changeState({ userId: user.userId, deviceId: second.deviceId, state: 'revoked', at: 5, purge: true }, auditEntry(5, user.userId, second.deviceId));
    assert.deepEqual(await ids(), [device.deviceId], 'a revoke is seen at once');
    await s.devices.changeState({ userId: user.userId, deviceId: device.deviceId, state: 'wipe-pending', at: 6, reason: 'lost', purge: true }, auditEntry(6, user.userId));
    assert.deepEqual(await ids(), [], 'a wipe is seen at once');
  } finally {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  }
});
