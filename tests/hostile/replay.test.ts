// The relay replays, reorders and re-labels envelopes. A replay under a new envelope id fails the ratchet
// and is rejected with a reason; reordered messages are each stored once; a 1:1 message stamped with a
// group, or a group message with its stamp removed, is refused (the group inside the ciphertext must
// equal the server's stamp).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerFrame } from '../../common/wire/schemas.ts';
import { drain, startWorld, type World } from './world.ts';

let world: World | undefined;
afterEach(async () => { await world?.close(); world = undefined; });

test('replayed under new ids and delivered out of order: each message once, every replay rejected', async () => {
  world = await startWorld('replay');
  const carol = await world.device('carol', { direct: true });
  const dave = await world.device('dave');
  const before = new Set<string>();
  const seen = world.proxy.onFrame((f) => { if (f.type === 'envelope') before.add(f.envelope.id); return undefined; });
  await carol.m.sendText('dave@acme.test', 'first');
  await drain(dave, { receipts: false });
  await dave.m.sendText('carol@acme.test', 'ack');
  await drain(carol, { receipts: false });
  seen();

  // Hold back the next three envelopes for dave, then deliver them newest first, each followed by a replay.
  // (An envelope seen before may come again if its ack was still in flight: the client drops it by its id.)
  const held: ServerFrame[] = [];
  world.proxy.onFrame((f, to) => {
    if (f.type !== 'envelope' || to.userId !== dave.userId || before.has(f.envelope.id)) return undefined;
    held.push(f, { ...f, envelope: { ...f.envelope, id: `9${f.envelope.id}` } });
    return held.length < 6 ? [] : held.splice(0).reverse();
  });
  for (const t of ['one', 'two', 'three']) await carol.m.sendText('dave@acme.test', t);
  const got = await drain(dave, { receipts: false });
  assert.deepEqual(got.messages.map((x) => x.text).sort(), ['one', 'three', 'two']);
  assert.equal(got.rejected.length, 3);
  for (const r of got.rejected) assert.match(r.reason, /duplicate|replay/);
  const chat = dave.m.messages(got.messages[0]!.conversationId).filter((x) => x.direction === 'in').map((x) => x.body);
  assert.deepEqual(chat.sort(), ['first', 'one', 'three', 'two']);
});

test('a group stamp added to a 1:1 message, or removed from a group message, is refused', async () => {
  world = await startWorld('restamp');
  const alice = await world.device('alice', { direct: true });
  const bob = await world.device('bob');
  const g = await alice.m.createGroup('Board', ['bob@acme.test']);
  let mode: 'add' | 'remove' = 'add';
  world.proxy.onFrame((f, to) => {
    if (f.type !== 'envelope' || to.userId !== bob.userId) return undefined;
    const { group: _dropped, ...unstamped } = f.envelope;
    return [{ ...f, envelope: mode === 'add' ? { ...f.envelope, group: g.id } : unstamped }];
  });
  await alice.m.sendText('bob@acme.test', 'just between us');
  const one = await drain(bob);
  assert.deepEqual(one.messages, []);
  assert.match(one.rejected[0]!.reason, /group message that the server did not relay for that group/);

  mode = 'remove';
  await alice.m.sendGroupText(g.id, 'to the board');
  const two = await drain(bob);
  assert.deepEqual(two.messages, []);
  assert.match(two.rejected[0]!.reason, /group message that the server did not relay for that group/);
});
