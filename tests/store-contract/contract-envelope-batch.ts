// Contract: EnvelopeStore.storeMany, the group commit's way of storing sends (server/delivery.ts). It must come
// to what storeOnce/store would, send by send: the same duplicates, the same dropped devices, ids in send order
// that later inserts never reuse, and a failing send failing alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NewEnvelope, SendOutcome } from '../../server/store/types.ts';
import { activeUser, auditEntry, envelopeTo, sameBytes, type Backend } from './harness.ts';

const stored = (o: SendOutcome | undefined) => {
  if (!o || !('ok' in o) || !('stored' in o.ok)) throw new Error(`expected a stored send, got ${JSON.stringify(o)}`);
  return o.ok.stored;
};

export function envelopeBatchContract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('envelopes: storeMany stores sends in order, as storeOnce and store would one by one', async () => {
    const s = await b.fresh();
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: bu, device: bd } = await activeUser(s, 'b');
    const { user: cu, device: cd } = await activeUser(s, 'c');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    const once = (sendId: string, ts: number, now = 50) => ({ userId: a.userId, deviceId: ad.deviceId, sendId, serverTimestamp: ts, expiresAt: now + 100, now });
    // Before the batch: a live record ('live') and one that has expired by the batch's `now` ('old').
    assert.ok('stored' in await s.envelopes.storeOnce([envelopeTo(bu.userId, bd.deviceId, from, 1)], once('live', 10, 0)));
    assert.ok('stored' in await s.envelopes.storeOnce([envelopeTo(bu.userId, bd.deviceId, from, 2)], once('old', 20, -100)));
    await s.devices.changeState({ userId: cu.userId, deviceId: cd.deviceId, state: 'revoked', at: 5, purge: true }, auditEntry(5, cu.userId));
    const before = (await s.envelopes.after(bu.userId, bd.deviceId, 0, 10)).map((e) => e.id);

    const out = await s.envelopes.storeMany([
      { envelopes: [envelopeTo(bu.userId, bd.deviceId, from, 3), envelopeTo(a.userId, 9, from, 4)] }, // no sendId; device 9 does not exist: stored
      { envelopes: [envelopeTo(bu.userId, bd.deviceId, from, 5)], once: once('new', 500) },
      { envelopes: [envelopeTo(bu.userId, bd.deviceId, from, 6)], once: once('new', 600) }, // the same sendId in the same batch
      { envelopes: [envelopeTo(bu.userId, bd.deviceId, from, 7)], once: once('live', 700) }, // a live record: a retry
      { envelopes: [envelopeTo(bu.userId, bd.deviceId, from, 8)], once: once('old', 800) }, // an expired record: a new send
      { envelopes: [envelopeTo(cu.userId, cd.deviceId, from, 9), envelopeTo(bu.userId, bd.deviceId, from, 10)] }, // c is revoked: dropped
      { envelopes: [] },
    ]);
    assert.equal(out.length, 7);
    assert.deepEqual(out.slice(2, 4), [{ ok: { duplicateOf: 500 } }, { ok: { duplicateOf: 10 } }]);
    const contents = (i: number) => stored(out[i]).map((e) => [e.destUser, e.destDevice, e.content[0]]);
    assert.deepEqual(contents(0), [[bu.userId, bd.deviceId, 3], [a.userId, 9, 4]]);
    assert.deepEqual(contents(1), [[bu.userId, bd.deviceId, 5]]);
    assert.deepEqual(contents(4), [[bu.userId, bd.deviceId, 8]]);
    assert.deepEqual(contents(5), [[bu.userId, bd.deviceId, 10]]);
    assert.deepEqual(stored(out[6]), []);
    const ids = [0, 1, 4, 5].flatMap((i) => stored(out[i]).map((e) => e.id));
    assert.ok(ids.every((id, i) => id > Math.max(...before) && (i === 0 || id > ids[i - 1]!)), `ids grow in send order: ${ids}`);

    // What the queue holds is what the outcomes said, id for id.
    const queued = await s.envelopes.after(bu.userId, bd.deviceId, 0, 20);
    assert.deepEqual(queued.map((e) => e.content[0]), [1, 2, 3, 5, 8, 10]);
    for (const e of queued.slice(2)) {
      const said = [0, 1, 4, 5].flatMap((i) => stored(out[i])).find((x) => x.id === e.id);
      assert.ok(said && sameBytes(said.content, e.content) && said.serverTimestamp === e.serverTimestamp, `envelope ${e.id} as stored`);
    }
    assert.deepEqual(await s.envelopes.after(cu.userId, cd.deviceId, 0, 10), []);
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'new', 60), 500);
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'old', 60), 800);
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'live', 60), 10);
  });

  it('envelopes: ids from storeMany are never handed out again, even after the newest was deleted', async () => {
    const s = await b.fresh();
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: bu, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    // More than one statement's worth of rows (and an odd tail), across several sends.
    const many = Array.from({ length: 9 }, (_, i) => ({ envelopes: Array.from({ length: 11 }, (_, k) => envelopeTo(bu.userId, bd.deviceId, from, (i * 11 + k) % 250)) }));
    const out = await s.envelopes.storeMany(many);
    const ids = out.flatMap((o) => stored(o).map((e) => e.id));
    assert.equal(ids.length, 99);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
    assert.equal(new Set(ids).size, 99);
    const last = ids[ids.length - 1]!;
    assert.equal(await s.envelopes.delete(bu.userId, bd.deviceId, last), true);
    const [next] = await s.envelopes.store([envelopeTo(bu.userId, bd.deviceId, from, 1)]);
    assert.ok(next!.id > last, `store after storeMany: ${next!.id} > ${last}`);
    assert.equal(await s.envelopes.delete(bu.userId, bd.deviceId, next!.id), true);
    const again = stored((await s.envelopes.storeMany([{ envelopes: [envelopeTo(bu.userId, bd.deviceId, from, 2)] }]))[0]);
    assert.ok(again[0]!.id > next!.id, `storeMany after a deleted newest: ${again[0]!.id} > ${next!.id}`);
  });

  it('envelopes: a send storeMany cannot store fails alone; the others are stored', async () => {
    const s = await b.fresh();
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: bu, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    const broken = { ...envelopeTo(bu.userId, bd.deviceId, from, 2), content: null } as unknown as NewEnvelope; // NOT NULL
    const once = { userId: a.userId, deviceId: ad.deviceId, sendId: 'broken', serverTimestamp: 5, expiresAt: 1000, now: 1 };
    const out = await s.envelopes.storeMany([
      { envelopes: [envelopeTo(bu.userId, bd.deviceId, from, 1)] },
      { envelopes: [envelopeTo(bu.userId, bd.deviceId, from, 9), broken], once },
      { envelopes: [envelopeTo(bu.userId, bd.deviceId, from, 3)] },
    ]);
    assert.ok('err' in out[1]!, 'the broken send failed');
    assert.deepEqual([stored(out[0]).length, stored(out[2]).length], [1, 1]);
    assert.deepEqual((await s.envelopes.after(bu.userId, bd.deviceId, 0, 10)).map((e) => e.content[0]), [1, 3], 'nothing of the broken send');
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'broken', 2), undefined, 'its sendId was not taken');
  });

  it('envelopes: deleteMany deletes only what each ack may delete, and says how many went', async () => {
    const s = await b.fresh();
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: bu, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    const [e1, e2, e3] = await s.envelopes.store([1, 2, 3].map((n) => envelopeTo(bu.userId, bd.deviceId, from, n)));
    const gone = await s.envelopes.deleteMany([
      { userId: bu.userId, deviceId: bd.deviceId, id: e1!.id },
      { userId: a.userId, deviceId: ad.deviceId, id: e2!.id }, // not a's envelope: stays
      { userId: bu.userId, deviceId: bd.deviceId, id: e3!.id },
      { userId: bu.userId, deviceId: bd.deviceId, id: e3!.id + 1000 }, // no such envelope
    ]);
    assert.equal(gone, 2);
    assert.deepEqual((await s.envelopes.after(bu.userId, bd.deviceId, 0, 10)).map((e) => e.id), [e2!.id]);
    assert.equal(await s.envelopes.deleteMany([]), 0);
  });

  it('envelopes: deleteMany over several statements (150 acks, repeats and strangers among them)', async () => {
    const s = await b.fresh();
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: bu, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    const queued = await s.envelopes.store(Array.from({ length: 120 }, (_, n) => envelopeTo(bu.userId, bd.deviceId, from, n)));
    const mine = (e: { id: number }) => ({ userId: bu.userId, deviceId: bd.deviceId, id: e.id });
    const acks = [
      ...queued.slice(0, 100).map(mine), // 100 that go
      ...queued.slice(0, 20).map(mine), // acked twice
      ...queued.slice(100, 130).map((e) => ({ userId: a.userId, deviceId: ad.deviceId, id: e.id })), // someone else's
    ];
    assert.equal(await s.envelopes.deleteMany(acks), 100);
    assert.deepEqual((await s.envelopes.after(bu.userId, bd.deviceId, 0, 200)).map((e) => e.id), queued.slice(100).map((e) => e.id));
  });
}
