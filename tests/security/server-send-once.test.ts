// Finding 10 (idempotent sends) and the delivery-receipt group stamp.
// - A retried send after a lost response used to be queued again under a new message id. POST /v1/messages (and
//   group sends) take an optional client `sendId`: a retry with the same id — even re-encrypted — is answered with
//   the first result and queued nothing; concurrent duplicates are stored once.
// - A delivery receipt for a group message travels 1:1, and its `group` was not checked against anything the
//   server stamps. A 1:1 send may now name `aboutGroup`: the server checks that sender and recipient are both in
//   that group (in a confidential group, one of them an admin) and stamps `aboutGroup` on the envelopes — never
//   `group`, so such a send cannot pass as a group message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../common/errors.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { activeDevice, api, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';

const HOUR = 3_600_000;
let skew = 0;
let server: TestServer;
let alice: Registered, bob: Registered, carol: Registered, dave: Registered;
before(async () => {
  server = await startTestServer({ now: () => Date.now() + skew });
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
  carol = await activeDevice(server.url, 'carol');
  dave = await activeDevice(server.url, 'dave');
});
after(async () => { await server.cleanup(); });

const envFor = (to: Registered, text = randomBytes(8).toString('hex')) =>
  ({ userId: to.userId, deviceId: to.deviceId, registrationId: to.registrationId, type: 1, content: Buffer.from(text).toString('base64') });
const send = (from: Registered, to: Registered, extra: Record<string, unknown> = {}) =>
  api(server.url, 'POST', '/v1/messages', { auth: from.auth, body: { recipient: to.userId, envelopes: [envFor(to)], ...extra } });
async function queue(d: Registered) {
  const store = new SqliteStore(server.dataDir);
  try { return await store.envelopes.after(d.userId, d.deviceId, 0, 1000); } finally { await store.close(); }
}
const sendId = () => randomBytes(16).toString('base64url');

test('a retried send with the same sendId is answered with the first result and queued once', async () => {
  const before = (await queue(bob)).length;
  const id = sendId();
  const first = await send(alice, bob, { sendId: id });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  // The retry is re-encrypted (other bytes): still the same send.
  const retry = await send(alice, bob, { sendId: id });
  assert.deepEqual(retry, first);
  assert.equal((await queue(bob)).length, before + 1);
  // Concurrent duplicates: all answered alike, stored once.
  const id2 = sendId();
  const answers = await Promise.all(Array.from({ length: 8 }, () => send(alice, bob, { sendId: id2 })));
  assert.ok(answers.every((a) => a.status === 200 && a.body.serverTimestamp === answers[0]!.body.serverTimestamp), JSON.stringify(answers));
  assert.equal((await queue(bob)).length, before + 2);
  // Another device's sendId space is its own; without a sendId every request is a send.
  assert.equal((await send(carol, bob, { sendId: id })).status, 200);
  await send(alice, bob);
  await send(alice, bob);
  assert.equal((await queue(bob)).length, before + 5);
  // After two hours the id is forgotten (the receiver's own message ids catch older duplicates).
  skew = 3 * HOUR;
  const late = await send(alice, bob, { sendId: id });
  assert.notEqual(late.body.serverTimestamp, first.body.serverTimestamp);
  skew = 0;
});

test('a retry that the checks would now refuse still gets the first answer; a refused send stays refused', async () => {
  const id = sendId();
  const first = await send(alice, bob, { sendId: id });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const queued = (await queue(bob)).length;
  // The retry no longer matches bob's device set (as after he added or replaced a device): still the first send.
  const stale = { ...envFor(bob), registrationId: bob.registrationId + 1 };
  const ghost = { ...envFor(bob), deviceId: bob.deviceId + 7 };
  for (const envelopes of [[stale], [envFor(bob), ghost]]) {
    const retry = await api(server.url, 'POST', '/v1/messages', { auth: alice.auth, body: { recipient: bob.userId, envelopes, sendId: id } });
    assert.deepEqual(retry, first);
  }
  assert.equal((await queue(bob)).length, queued, 'nothing queued for the retries');
  // A send that was never accepted gets the checks' answer, with or without a sendId, and takes no record.
  const refused = sendId();
  const r1 = await api(server.url, 'POST', '/v1/messages', { auth: alice.auth, body: { recipient: bob.userId, envelopes: [stale], sendId: refused } });
  assert.equal(r1.status, 410, JSON.stringify(r1.body));
  assert.equal((await send(alice, bob, { sendId: refused })).status, 200, 'the same sendId, now acceptable, is a new send');
  assert.equal((await queue(bob)).length, queued + 1);
});

test('a malformed sendId is a 400', async () => {
  for (const bad of ['short', 'x'.repeat(65), 'has space in it!!', 42]) {
    const res = await send(alice, bob, { sendId: bad });
    assert.equal(res.status, 400, JSON.stringify(bad));
  }
});

test('group sends take a sendId too', async () => {
  const g = await api(server.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: 'Once', members: [bob.userId] } });
  const before = (await queue(bob)).length;
  const id = sendId();
  const post = () => api(server.url, 'POST', `/v1/groups/${g.body.id}/messages`, { auth: alice.auth, body: { envelopes: [envFor(bob)], sendId: id } });
  const first = await post();
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(await post(), first);
  assert.equal((await queue(bob)).length, before + 1);
});

test('aboutGroup: stamped when sender and recipient are both in the group; refused otherwise', async () => {
  const g = await api(server.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: 'Receipts', members: [bob.userId] } });
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: alice.auth });
  const frames: any[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const ok = await send(bob, alice, { aboutGroup: g.body.id });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const stored = (await queue(alice)).find((e) => e.sourceUser === bob.userId && e.serverTimestamp === ok.body.serverTimestamp)!;
  assert.equal(stored.aboutGroup, g.body.id);
  assert.equal(stored.groupId, undefined, 'never a group message');
  const deadline = Date.now() + 5000;
  while (!frames.some((f) => f.type === 'envelope' && f.envelope.aboutGroup === g.body.id) && Date.now() < deadline) {
    await new Promise((r) => ws.once('message', r));
  }
  const frame = frames.find((f) => f.type === 'envelope' && f.envelope.aboutGroup === g.body.id);
  assert.ok(frame, JSON.stringify(frames));
  assert.equal(frame.envelope.group, undefined);
  ws.close();

  for (const [from, to] of [[dave, alice], [bob, dave]] as const) {
    const res = await send(from, to, { aboutGroup: g.body.id });
    assert.deepEqual([res.status, res.error?.code], [403, ErrorCode.not_a_member]);
  }
  const unknown = await send(bob, alice, { aboutGroup: 'g_AAAAAAAAAAAAAAAAAAAAAA' });
  assert.deepEqual([unknown.status, unknown.error?.code], [403, ErrorCode.not_a_member]);
});

test('aboutGroup in a confidential group: only between a member and an admin (plain members cannot probe each other)', async () => {
  const g = await api(server.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: 'Quiet', members: [bob.userId, dave.userId], confidential: true } });
  assert.equal(g.status, 201);
  assert.equal((await send(bob, alice, { aboutGroup: g.body.id })).status, 200, 'member → owner');
  assert.equal((await send(alice, bob, { aboutGroup: g.body.id })).status, 200, 'owner → member');
  assert.equal((await send(bob, dave, { aboutGroup: g.body.id })).error?.code, ErrorCode.not_a_member, 'member → member');
});
