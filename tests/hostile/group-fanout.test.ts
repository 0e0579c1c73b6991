// Finding 6 (client) and 10 (group fan-out): one member's device must not block a group send for everyone.
// A device whose key bundle is bad (a signed prekey whose signature does not verify, or no bundle at all)
// is skipped and reported, and gets an envelope it can recognise as "not delivered to you"; a member's
// device that was revoked since we last looked is dropped after refreshing that member's devices.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { attackerBundle, drain, readStore, rewriteBundles, startWorld, type World } from './world.ts';

let world: World | undefined;
afterEach(async () => { await world?.close(); world = undefined; });

test('a member device with a bad signed-prekey signature is skipped and reported; everyone else gets the message', async () => {
  world = await startWorld('bad-bundle');
  const alice = await world.device('alice');
  const bob = await world.device('bob', { direct: true });
  const dave = await world.device('dave', { direct: true });
  const g = await alice.m.createGroup('Ops', ['bob@acme.test', 'dave@acme.test']);

  // dave's device publishes a bundle whose signed prekey signature does not verify.
  const registrationId = await readStore(dave, (s) => s.getJson<{ registrationId: number }>('identity')!.registrationId);
  const bad = await attackerBundle(dave.deviceId, registrationId, { badSignature: true });
  rewriteBundles(world.proxy, dave.userId, () => [bad]);

  const sent = await alice.m.sendGroupText(g.id, 'standup moved to 10');
  assert.deepEqual(sent.skipped.map((s) => [s.userId, s.deviceId]), [[dave.userId, dave.deviceId]]);
  assert.match(sent.skipped[0]!.reason, /signature/i);
  assert.ok(alice.warnings.some((l) => /Dave Diaz.*did not get/.test(l)), alice.warnings.join(' | '));
  assert.equal(alice.m.messages(g.id).find((x) => x.id === sent.messageId)!.status, 'sent');

  assert.deepEqual((await drain(bob)).messages.map((x) => x.text), ['standup moved to 10']);
  const atDave = await drain(dave);
  assert.deepEqual(atDave.messages, []);
  assert.equal(atDave.rejected.length, 1);
  assert.match(atDave.rejected[0]!.reason, /could not encrypt for this device/);
});

test('a member\'s cached device that was revoked does not break the next group send', async () => {
  world = await startWorld('revoked');
  const alice = await world.device('alice');
  const bob1 = await world.device('bob', { direct: true });
  const carol = await world.device('carol', { direct: true }); // org admin
  const g = await alice.m.createGroup('Ops', ['bob@acme.test', 'carol@acme.test']);
  await alice.m.sendGroupText(g.id, 'first');
  // bob signs in on a second device, which alice learns about (a group send's 409 or the directory)…
  const bob2 = await world.device('bob', { direct: true });
  await alice.m.resolveContact('bob@acme.test');
  // …and it is revoked before alice ever starts a session with it.
  await carol.m.admin.revoke({ userId: bob2.userId, deviceId: bob2.deviceId, reason: 'lost' });

  const sent = await alice.m.sendGroupText(g.id, 'second');
  assert.deepEqual(sent.skipped, []);
  assert.equal(sent.devices, 2, 'bob1 and carol');
  assert.deepEqual((await drain(bob1)).messages.map((x) => x.text), ['first', 'second']);
});
