// Finding 10 (client parts): what a send or a receipt does when the other side or the network is not there.
// A message to someone with no active device says so and waits for their next device; a delivery receipt
// survives the server being unreachable (and a restart) and goes out on reconnect; a send whose response
// was lost is retried as the same request, so the recipient sees one message under one message id.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SendRequest } from '../../common/wire/schemas.ts';
import { drain, startWorld, type World } from './world.ts';

let world: World | undefined;
afterEach(async () => { await world?.close(); world = undefined; });

test('a message to someone with no active device is not reported as sent: it waits, and goes out once they sign in', async () => {
  world = await startWorld('waiting');
  const alice = await world.device('alice');
  const alice2 = await world.device('alice', { direct: true });
  const bob1 = await world.device('bob', { direct: true });
  const carol = await world.device('carol', { direct: true }); // org admin
  await carol.m.admin.revoke({ userId: bob1.userId, deviceId: bob1.deviceId, reason: 'left the laptop on the train' });

  const sent = await alice.m.sendText('bob@acme.test', 'call me when you are back');
  assert.equal(sent.waiting, true);
  assert.equal(sent.recipientDevices, 0);
  assert.equal(sent.devices, 1, 'only alice\'s other device got its copy');
  assert.equal(alice.m.messages(sent.conversationId).find((x) => x.id === sent.messageId)!.status, 'waiting');
  assert.deepEqual((await drain(alice2)).messages.map((x) => [x.text, x.outgoing]), [['call me when you are back', true]]);

  const bob2 = await world.device('bob', { direct: true });
  await drain(alice); // connecting sends what waited
  assert.equal(alice.m.messages(sent.conversationId).find((x) => x.id === sent.messageId)!.status, 'sent');
  const atBob = await drain(bob2);
  assert.deepEqual(atBob.messages.map((x) => [x.text, x.messageId]), [['call me when you are back', sent.messageId]]);
  assert.deepEqual((await drain(alice2)).messages, [], 'alice2 already had its copy: no second one');
});

test('delivery receipts survive an unreachable server and a restart, and are sent on reconnect', async () => {
  world = await startWorld('receipts');
  const alice = await world.device('alice', { direct: true });
  let bob = await world.device('bob');
  const sent = await alice.m.sendText('bob@acme.test', 'did this arrive?');

  // The server takes bob's socket but not his sends: every POST from bob is cut off.
  const cut = world.proxy.beforeRequest((x) => (x.method === 'POST' && x.path === '/v1/messages' && x.from?.userId === bob.userId ? 'hangup' : undefined));
  assert.deepEqual((await drain(bob)).messages.map((x) => x.text), ['did this arrive?']);
  assert.deepEqual((await drain(alice)).delivered, [], 'no receipt could be sent');
  assert.ok(!bob.warnings.some((l) => /could not send a delivery receipt/.test(l)), 'an unreachable server is not a lost receipt');

  bob = await world.reopen(bob);
  cut();
  assert.deepEqual((await drain(bob)).messages, []);
  assert.deepEqual((await drain(alice)).delivered, [sent.messageId]);
  assert.equal(alice.m.messages(sent.conversationId).find((x) => x.id === sent.messageId)!.status, 'delivered');
});

test('a send whose response was lost is retried as the same request: one message, one message id at the recipient', async () => {
  world = await startWorld('lost-response');
  const alice = await world.device('alice');
  const bob = await world.device('bob', { direct: true });
  let lost = 0;
  world.proxy.afterResponse((x) => {
    if (x.method !== 'POST' || x.path !== '/v1/messages' || x.from?.userId !== alice.userId || lost > 0) return undefined;
    lost++;
    return 'hangup'; // the server stored it; alice never hears back
  });
  const sent = await alice.m.sendText('bob@acme.test', 'only once, please');
  assert.equal(alice.m.messages(sent.conversationId).find((x) => x.id === sent.messageId)!.status, 'sent');
  const posts = world.proxy.exchanges.filter((x) => x.method === 'POST' && x.path === '/v1/messages' && x.from?.userId === alice.userId);
  assert.equal(posts.length, 2);
  assert.deepEqual(posts[1]!.requestBody as SendRequest, posts[0]!.requestBody as SendRequest, 'the retry carries the very same envelopes');
  assert.match((posts[0]!.requestBody as SendRequest).sendId ?? '', /^[A-Za-z0-9_-]{16,64}$/, 'under a sendId');
  const got = await drain(bob);
  assert.deepEqual(got.messages.map((x) => [x.text, x.messageId]), [['only once, please', sent.messageId]]);
  assert.deepEqual(got.rejected, [], 'the server stored it once (sendId): no second copy to reject');
});

test('a group receipt counts only with the server\'s stamp: removed or added by the relay, it is refused', async () => {
  world = await startWorld('receipt-group');
  const alice = await world.device('alice');
  const bob = await world.device('bob', { direct: true });
  const g = await alice.m.createGroup('Ops', ['bob@acme.test']);
  const first = await alice.m.sendGroupText(g.id, 'ship it?');
  await drain(bob);
  assert.deepEqual((await drain(alice)).delivered, [first.messageId], 'the genuine receipt, stamped by the server');

  // The relay drops the stamp from bob's next group receipt, and stamps his 1:1 receipt with the group.
  world.proxy.onFrame((f, to) => {
    if (f.type !== 'envelope' || to.userId !== alice.userId || f.envelope.sourceUser !== bob.userId) return undefined;
    const { aboutGroup, ...rest } = f.envelope;
    return [{ ...f, envelope: aboutGroup ? rest : { ...rest, aboutGroup: g.id } }];
  });
  const second = await alice.m.sendGroupText(g.id, 'shipped');
  const direct = await alice.m.sendText('bob@acme.test', 'and you?');
  await drain(bob);
  const got = await drain(alice);
  assert.deepEqual(got.delivered, []);
  assert.deepEqual(got.rejected.map((r) => r.reason).sort(), [
    'a delivery receipt whose group the server did not check', 'a delivery receipt whose group the server did not check',
  ]);
  assert.equal(alice.m.messages(g.id).find((x) => x.id === second.messageId)!.status, 'sent');
  assert.equal(alice.m.messages(direct.conversationId).find((x) => x.id === direct.messageId)!.status, 'sent');
});
