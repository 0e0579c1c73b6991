// The envelope queue's retention sweep (EnvelopeStore.expire) on both server stores — SQLite and PostgreSQL —
// with the same assertions, plus the sweeper's batching over a backlog larger than one batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetentionSweeper, DAY_MS } from '../../server/retention/sweeper.ts';
import { activeUser, envelopeTo, postgresBackend, sqliteBackend, type Backend } from '../store-contract/harness.ts';

const silent = { info() {}, error() {}, warn() {}, debug() {}, trace() {}, fatal() {}, child() { return silent; }, level: 'silent', silent() {} };

function contract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('expire deletes only envelopes accepted before the cut-off, at most `limit` per call, for every device', async () => {
    const s = await b.fresh();
    const { user: bu, device: bd } = await activeUser(s, 'bob');
    const { user: cu, device: cd } = await activeUser(s, 'carol');
    const from = { userId: 'u_sender', deviceId: 1 };
    // serverTimestamp = 1000 + content byte (harness): 1001…1005
    await s.envelopes.store([1, 2, 3].map((n) => envelopeTo(bu.userId, bd.deviceId, from, n)));
    await s.envelopes.store([4, 5].map((n) => envelopeTo(cu.userId, cd.deviceId, from, n)));
    assert.equal(await s.envelopes.expire(1001, 100), 0, 'strictly older than the cut-off');
    assert.equal(await s.envelopes.expire(1005, 2), 2, 'the limit holds');
    assert.equal(await s.envelopes.expire(1005, 100), 2);
    assert.deepEqual((await s.envelopes.after(bu.userId, bd.deviceId, 0, 10)).map((e) => e.content[0]), []);
    assert.deepEqual((await s.envelopes.after(cu.userId, cd.deviceId, 0, 10)).map((e) => e.content[0]), [5]);
    assert.equal(await s.envelopes.expire(1005, 100), 0, 'idempotent');
  });

  it('the sweeper deletes a backlog larger than one batch, by the injected clock', async () => {
    const s = await b.fresh();
    const { user, device } = await activeUser(s, 'dave');
    const from = { userId: 'u_sender', deviceId: 1 };
    const old = Array.from({ length: 2500 }, (_, i) => ({ ...envelopeTo(user.userId, device.deviceId, from, 1), serverTimestamp: i }));
    await s.envelopes.store(old);
    const t = 3 * DAY_MS;
    await s.envelopes.store([{ ...envelopeTo(user.userId, device.deviceId, from, 9), serverTimestamp: t - 1000 }]);
    const sweeper = new RetentionSweeper(s, silent as never, () => t, 2);
    const r = await sweeper.sweep();
    assert.deepEqual([r.envelopes, r.blobs, r.before], [2500, 0, t - 2 * DAY_MS]);
    assert.deepEqual((await s.envelopes.after(user.userId, device.deviceId, 0, 10)).map((e) => e.content[0]), [9]);
    await sweeper.stop();
  });

  it('the sweeper deletes attachment blobs uploaded before the period, whatever their own expiry; newer ones stay', async () => {
    const s = await b.fresh();
    const t = 10 * DAY_MS;
    const upload = async (id: string, createdAt: number) => {
      assert.ok(await s.attachments.reserve({ id, ownerUser: 'u_owner', ownerDevice: 1, size: 3, createdAt, expiresAt: t + 30 * DAY_MS }, 1 << 20));
      await s.attachments.writeBlob(id, (async function* () { yield new Uint8Array([1, 2, 3]); })());
    };
    await upload('blob-old-aaaaaaaaaaaaaa', t - 3 * DAY_MS);
    await upload('blob-new-aaaaaaaaaaaaaa', t - DAY_MS);
    assert.deepEqual(await s.attachments.createdBefore(t - 2 * DAY_MS, 10), ['blob-old-aaaaaaaaaaaaaa']);
    const r = await new RetentionSweeper(s, silent as never, () => t, 2).sweep();
    assert.equal(r.blobs, 1);
    assert.equal(await s.attachments.get('blob-old-aaaaaaaaaaaaaa'), undefined);
    assert.ok(await s.attachments.get('blob-new-aaaaaaaaaaaaaa'));
    assert.equal(await s.attachments.usage('u_owner'), 3, 'the quota no longer counts the deleted blob');
  });
}

contract(sqliteBackend());
contract(postgresBackend());
