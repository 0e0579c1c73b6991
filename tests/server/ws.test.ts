import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { CLOSE_REPLACED } from '../../common/close-codes.ts';
import { startServer } from '../../server/app.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { waitFor } from '../support/wait-for.ts';
import { SocketClient as Client } from './ws-client.ts';
import { activeDevice, api, startTestServer, type Registered, type TestServer } from './helpers.ts';

let server: TestServer;
let alice: Registered, bob: Registered;
before(async () => {
  server = await startTestServer();
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
});
after(async () => { await server.cleanup(); });

const text = (s: string) => Buffer.from(s).toString('base64');
async function sendTo(from: Registered, to: Registered, body: string, url = server.url) {
  const res = await api(url, 'POST', '/v1/messages', {
    auth: from.auth,
    body: { recipient: to.userId, envelopes: [{ userId: to.userId, deviceId: to.deviceId, registrationId: to.registrationId, type: 1, content: text(body) }] },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.serverTimestamp as number;
}
/** The device's queue as the store holds it (through a second connection on the server's database). */
async function queueOf(d: Registered) {
  const store = new SqliteStore(server.dataDir);
  try {
    return await store.envelopes.after(d.userId, d.deviceId, 0, 100);
  } finally {
    await store.close();
  }
}

const bodies = (envs: any[]) => envs.map((e) => Buffer.from(e.content, 'base64').toString());

test('queued envelopes arrive in order, then queue-empty, then live; acks delete', async () => {
  const ts = await sendTo(alice, bob, 'one');
  await sendTo(alice, bob, 'two');
  await sendTo(alice, bob, 'three');

  const c = await Client.connect(server.url, bob.auth);
  const queued = await c.drain();
  assert.deepEqual(bodies(queued), ['one', 'two', 'three']);
  assert.deepEqual(queued[0], {
    id: queued[0].id, sourceUser: alice.userId, sourceDevice: alice.deviceId, type: 1, content: text('one'), serverTimestamp: ts,
  });
  const ids = queued.map((e) => BigInt(e.id));
  assert.ok(ids[0]! < ids[1]! && ids[1]! < ids[2]!);

  await sendTo(alice, bob, 'live');
  const live = await c.next();
  assert.equal(live.type, 'envelope');
  assert.equal(Buffer.from(live.envelope.content, 'base64').toString(), 'live');

  // Ack 'one' and 'live'; leave 'two' and 'three' unacked.
  c.ack(queued[0].id);
  c.ack(live.envelope.id);
  // Malformed frames get an error frame and the connection stays open.
  c.ws.send('not json');
  assert.equal((await c.next()).type, 'error');
  c.ws.send(JSON.stringify({ type: 'ack', id: 'abc' }));
  assert.equal((await c.next()).error, 'invalid_frame');
  await c.close();

  const again = await Client.connect(server.url, bob.auth);
  assert.deepEqual(bodies(await again.drain()), ['two', 'three']);
  await again.close();
});

test('a new connection replaces the older one for the same device', async () => {
  const first = await Client.connect(server.url, alice.auth);
  await first.drain();
  const second = await Client.connect(server.url, alice.auth);
  await second.drain();
  assert.equal(await first.closed, CLOSE_REPLACED);
  await sendTo(bob, alice, 'to the newest socket');
  assert.deepEqual(bodies([(await second.next()).envelope]), ['to the newest socket']);
  assert.equal(first.frames.length, 0);
  await second.close();
});

test("another device's queue can be neither read nor acked", async () => {
  const carol = await activeDevice(server.url, 'carol');
  await sendTo(alice, carol, 'secret for carol');
  const wrong = `Bearer ${carol.userId}.${carol.deviceId}.${randomBytes(32).toString('base64url')}`;
  await assert.rejects(Client.connect(server.url, { authorization: wrong }), { status: 401 });
  await assert.rejects(Client.connect(server.url, { authorization: 'Bearer x' }), { status: 401 });

  // Learn carol's envelope id through her own socket, then let dave ack it.
  const peek = await Client.connect(server.url, carol.auth);
  const [envelope] = await peek.drain();
  await peek.close();
  const dave = await activeDevice(server.url, 'dave');
  const d = await Client.connect(server.url, dave.auth);
  assert.deepEqual(await d.drain(), []);
  // Dave acks carol's envelope, then one of his own: acks are handled in order, so once his own is gone the
  // server has handled (and refused) the first one.
  await sendTo(alice, dave, 'for dave');
  const own = await d.next();
  d.ack(envelope.id);
  d.ack(own.envelope.id);
  await waitFor(async () => (await queueOf(dave)).length === 0, { what: "dave's own envelope to be deleted" });
  await d.close();
  const c = await Client.connect(server.url, carol.auth);
  assert.deepEqual(bodies(await c.drain()), ['secret for carol']);
  await c.close();
});

test('many concurrent sends during the initial drain: all delivered once, in id order', async (t) => {
  const own = await startTestServer();
  t.after(() => own.cleanup());
  const [a, b, dave] = [await activeDevice(own.url, 'alice'), await activeDevice(own.url, 'bob'), await activeDevice(own.url, 'dave')];
  for (let i = 0; i < 150; i++) await sendTo(a, dave, `queued ${i}`, own.url);
  const c = await Client.connect(own.url, dave.auth);
  const sends = Array.from({ length: 50 }, (_, i) => sendTo(b, dave, `live ${i}`, own.url));
  await Promise.all(sends);
  const got: any[] = [];
  while (got.length < 200) {
    const f = await c.next();
    if (f.type === 'envelope') got.push(f.envelope);
  }
  const ids = got.map((e) => BigInt(e.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => (a < b ? -1 : 1)));
  assert.equal(new Set(ids).size, 200);
  assert.deepEqual(bodies(got.slice(0, 150)), Array.from({ length: 150 }, (_, i) => `queued ${i}`));
  // Nothing more comes: a duplicate would be queued on the socket before a later envelope, so the next
  // frame after one more send must be that send.
  await sendTo(b, dave, 'sentinel', own.url);
  for (let f = await c.next(); f.type !== 'envelope' || bodies([f.envelope])[0] !== 'sentinel'; f = await c.next()) {
    assert.notEqual(f.type, 'envelope', `unexpected envelope ${JSON.stringify(f)}`);
  }
  await c.close();
});

test('envelopes survive a server restart on the same dataDir', async () => {
  const first = await startTestServer();
  const a = await activeDevice(first.url, 'alice');
  const b = await activeDevice(first.url, 'bob');
  await sendTo(a, b, 'before restart', first.url);
  await first.close();

  const second = await startServer({ dataDir: first.dataDir, port: 0, devIdp: true, logger: false });
  try {
    // Same credential works; the message is still there.
    const c = await Client.connect(second.url, b.auth);
    assert.deepEqual(bodies(await c.drain()), ['before restart']);
    await c.close();
  } finally {
    await second.close();
    await rm(first.dataDir, { recursive: true, force: true });
  }
});
