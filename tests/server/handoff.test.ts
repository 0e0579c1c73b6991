// Committed envelopes handed straight to an online socket (DeliveryHub's commit chain, server/delivery.ts) never
// skip one that someone else inserted: another writer on the same SQLite file puts an envelope into bob's queue
// without telling the hub, and the next sends must reach bob after it, in id order, each exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { api, withAliceAndBob } from './helpers.ts';
import { SocketClient } from './ws-client.ts';

const w = withAliceAndBob();

const send = (text: string) => api(w.server.url, 'POST', '/v1/messages', {
  auth: w.alice.auth,
  body: { recipient: w.bob.userId, envelopes: [{ userId: w.bob.userId, deviceId: w.bob.deviceId, registrationId: w.bob.registrationId, type: 1, content: Buffer.from(text).toString('base64') }] },
});

test('an envelope inserted behind the hub is delivered before the sends that follow it, none twice', async () => {
  const { server, alice, bob } = w;
  const b = await SocketClient.connect(server.url, bob.auth);
  assert.equal((await b.next()).type, 'queue-empty');
  // In step: this one is handed over without a read.
  assert.equal((await send('first')).status, 200);
  const texts = async (n: number) => {
    const out: string[] = [];
    let last = 0;
    for (let i = 0; i < n; i++) {
      const e = await b.nextEnvelope();
      assert.ok(Number(e.id) > last, 'id order');
      last = Number(e.id);
      out.push(Buffer.from(e.content, 'base64').toString());
    }
    return out;
  };
  assert.deepEqual(await texts(1), ['first']);

  const other = new SqliteStore(server.dataDir);
  try {
    for (let round = 0; round < 3; round++) {
      await other.envelopes.store([{
        destUser: bob.userId, destDevice: bob.deviceId, sourceUser: alice.userId, sourceDevice: alice.deviceId, type: 1,
        content: Buffer.from(`behind ${round}`), serverTimestamp: Date.now(),
      }]);
      const sends = await Promise.all(Array.from({ length: 5 }, (_, i) => send(`after ${round}.${i}`)));
      assert.deepEqual(sends.map((r) => r.status), [200, 200, 200, 200, 200]);
      const got = await texts(6);
      assert.equal(got[0], `behind ${round}`);
      assert.deepEqual(got.slice(1).sort(), [0, 1, 2, 3, 4].map((i) => `after ${round}.${i}`));
    }
  } finally {
    await other.close();
  }
  // Nothing more: a probe is the next envelope.
  assert.equal((await send('probe')).status, 200);
  assert.deepEqual(await texts(1), ['probe']);
  await b.close();
});
