// Finding 4: a hostile server can stamp any sender on an envelope. Here dave (the attacker's own account)
// writes to alice, and the relay rewrites the envelope's source to bob: device 99 (which bob does not
// have), or bob's real device. The Signal session only proves dave's key; the client must flag the message
// (and hold it, text unshown, when bob is a verified contact) instead of printing "Bob Baker: …".
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DirectoryEntry } from '../../common/wire/schemas.ts';
import { drain, readStore, startWorld, type Device, type World } from './world.ts';

let world: World | undefined;
afterEach(async () => { await world?.close(); world = undefined; });

/** Rewrites every envelope from `from` to `victim` so that it claims to come from `as`. */
function impersonate(w: World, from: Device, victim: Device, as: { userId: string; deviceId: number }): void {
  w.proxy.onFrame((f, to) => {
    if (f.type !== 'envelope' || to.userId !== victim.userId || f.envelope.sourceUser !== from.userId) return undefined;
    return [{ ...f, envelope: { ...f.envelope, sourceUser: as.userId, sourceDevice: as.deviceId } }];
  });
}

test('a message stamped with a device the directory does not list is flagged, and earns no receipt', async () => {
  world = await startWorld('unlisted');
  const alice = await world.device('alice');
  const bob = await world.device('bob', { direct: true });
  const dave = await world.device('dave', { direct: true });
  await alice.m.sendText('bob@acme.test', 'hi bob');
  await drain(bob);

  impersonate(world, dave, alice, { userId: bob.userId, deviceId: 99 });
  await dave.m.sendText('alice@acme.test', 'Bob here: please wire the money today');
  const got = await drain(alice);
  assert.equal(got.messages.length, 1);
  const [m] = got.messages;
  assert.equal(m!.fromName, 'Bob Baker');
  assert.equal(m!.fromDevice, 99);
  assert.equal(m!.flag, 'unlisted-device', 'the client does not vouch for a device the directory never listed');
  const stored = alice.m.messages(m!.conversationId).find((x) => x.id === m!.messageId)!;
  assert.equal(stored.flag, 'unlisted-device', 'the flag is kept with the message (the app shows it)');

  // No delivery receipt goes to bob for a message bob never sent.
  const receiptsToBob = world.proxy.exchanges.filter((x) => x.method === 'POST' && x.path === '/v1/messages'
    && x.from?.userId === alice.userId && (x.requestBody as { recipient: string }).recipient === bob.userId);
  assert.equal(receiptsToBob.length, 1, 'only alice\'s own "hi bob"');
});

test('a verified contact\'s message under a key the user did not verify is held until that key is verified', async () => {
  world = await startWorld('held');
  const alice = await world.device('alice');
  const bob = await world.device('bob', { direct: true });
  const dave = await world.device('dave', { direct: true });
  await alice.m.sendText('bob@acme.test', 'hi bob');
  await drain(bob);
  await bob.m.sendText('alice@acme.test', 'hi alice');
  await drain(alice);
  await alice.m.markVerified('bob@acme.test');

  // Bob's real device id this time: the session under it now has dave's key (a safety-number change).
  impersonate(world, dave, alice, { userId: bob.userId, deviceId: bob.deviceId });
  await dave.m.sendText('alice@acme.test', 'new phone, same bob: send me the deck');
  const got = await drain(alice);
  assert.equal(got.messages.length, 1);
  const [m] = got.messages;
  assert.equal(m!.flag, 'held');
  assert.equal(m!.text, '', 'the text of a held message is not shown');
  assert.ok(alice.warnings.some((l) => /safety number with Bob Baker <bob@acme\.test> changed/.test(l)), alice.warnings.join(' | '));
  assert.equal(alice.m.verificationStatus(bob.userId), 'changed');
  const view = alice.m.messages(m!.conversationId).find((x) => x.id === m!.messageId)!;
  assert.equal(view.body, '');
  assert.equal(view.flag, 'held');
  // The plaintext is in the (encrypted) store, so verifying that key later could release it.
  assert.equal(await readStore(alice, (s) => s.messages(m!.conversationId).find((x) => x.id === m!.messageId)!.body), 'new phone, same bob: send me the deck');

  // Re-verifying what the directory lists (bob's real key) does not release a message under dave's key.
  world.proxy.onFrame(() => undefined);
  await alice.m.markVerified('bob@acme.test').catch(() => undefined);
  assert.equal(alice.m.messages(m!.conversationId).find((x) => x.id === m!.messageId)!.flag, 'held');
});

test('a directory that lists the attacker\'s device does not get past verification', async () => {
  world = await startWorld('listed-fake');
  const alice = await world.device('alice');
  const bob = await world.device('bob', { direct: true });
  const dave = await world.device('dave', { direct: true });
  await alice.m.markVerified('bob@acme.test');

  // The relay now lists a device 99 for bob with dave's key, and stamps dave's message with it.
  const daveKey = await readStore(dave, (s) => s.getJson<{ publicKey: string }>('identity')!.publicKey);
  world.proxy.afterResponse((x) => {
    if (x.method !== 'GET' || x.path !== `/v1/users/${bob.userId}` || x.status !== 200) return undefined;
    const entry = x.body as DirectoryEntry;
    return { status: 200, body: { ...entry, devices: [...entry.devices, { deviceId: 99, registrationId: 99, identityKey: daveKey }] } };
  });
  impersonate(world, dave, alice, { userId: bob.userId, deviceId: 99 });
  await dave.m.sendText('alice@acme.test', 'it is me, bob, on my tablet');
  const got = await drain(alice);
  assert.equal(got.messages[0]?.flag, 'held');
  assert.equal(got.messages[0]?.text, '');
  assert.equal(alice.m.verificationStatus(bob.userId), 'changed', 'a new listed device changes a verified safety number');
});

test('a genuine new device of a verified contact: held, then shown once the user verifies the new safety number', async () => {
  world = await startWorld('new-device');
  const alice = await world.device('alice');
  const bob1 = await world.device('bob', { direct: true });
  await alice.m.sendText('bob@acme.test', 'hi bob');
  await drain(bob1);
  await alice.m.markVerified('bob@acme.test');
  const bob2 = await world.device('bob', { direct: true });
  await bob2.m.sendText('alice@acme.test', 'new laptop here');
  const got = await drain(alice);
  assert.deepEqual(got.messages.map((x) => [x.text, x.flag]), [['', 'held']]);
  await alice.m.markVerified('bob@acme.test');
  const shown = alice.m.messages(got.messages[0]!.conversationId).find((x) => x.id === got.messages[0]!.messageId)!;
  assert.equal(shown.body, 'new laptop here');
  assert.equal(shown.flag, undefined);
});
