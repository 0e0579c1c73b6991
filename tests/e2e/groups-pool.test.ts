// Group fan-out on the encrypt pool (electron/core/outgoing/encrypt-pool.ts), in-process clients against the
// real server and dev IdP, real SQLCipher profiles and real worker threads; the pool's threshold is forced low
// so a small group takes the pool path. Envelopes made on the workers decrypt on every member, the sessions they
// leave keep working both ways next to in-process sends, a verified contact's new key still fails the send, and
// a worker killed mid-send loses nothing: the send completes in-process and the next one uses a fresh worker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { RunningServer } from '../../server/app.ts';
import { SafetyNumberChangedError, type Messenger } from '../../electron/core/messenger.ts';
import type { CoreContext } from '../../electron/core/context.ts';
import { devDevice, drain, startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const open: Messenger[] = [];

before(async () => {
  root = tempDir('groups-pool');
  server = await startDevServer(join(root, 'server'));
});
after(async () => {
  for (const m of open) { try { m.close(); } catch { /* already closed */ } }
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

let profiles = 0;
/** A device; `onDispatch` set: its group sends to 2+ devices go to a pool of 2 workers. */
const device = (user: string, onDispatch?: (w: Worker) => void, piece?: number) => devDevice(open, join(root, `${user}-${++profiles}`), server.url, user,
  onDispatch ? { encryptPool: { threshold: 2, size: 2, waitForStart: true, onDispatch, ...(piece ? { piece } : {}) } } : { encryptPool: false });
/** Every session record in the device's store (white-box: read through the store's own handle). */
const sessionsOf = (m: Messenger) => (m as unknown as { ctx: CoreContext }).ctx.store.handle.prepare('SELECT address, record FROM sessions ORDER BY address').all([]);
const texts = async (m: Messenger) => (await drain(m)).map((x) => [x.text, x.from]);
/**
 * alice (group sends on the pool, in pieces of `piece` devices if given), bob and carol in a group; alice has
 * verified carol, who then adds a device: a key carol's verification does not cover.
 */
async function verifiedCrew(name: string, piece?: number) {
  let dispatched = 0;
  const alice = await device('alice', () => { dispatched++; }, piece);
  const bob = await device('bob');
  const carol = await device('carol');
  const g = await alice.createGroup(name, ['bob@acme.test', 'carol@acme.test']);
  await alice.sendGroupText(g.id, 'hello');
  await drain(bob); await drain(carol);
  await alice.markVerified('carol@acme.test');
  const carol2 = await device('carol');
  return { alice, bob, carol, carol2, g, dispatched: () => dispatched };
}
/** Every member answers in the group and `sender` gets each answer: the sessions work the other way too. */
async function repliesReach(sender: Messenger, groupId: string, members: Messenger[]): Promise<void> {
  for (const m of members) await m.sendGroupText(groupId, `reply from ${m.me.email}`);
  const got = await texts(sender);
  assert.deepEqual(got.filter(([t]) => t?.startsWith('reply from')).sort(), members.map((m) => [`reply from ${m.me.email}`, m.me.email]).sort(), JSON.stringify(got));
}

test('a group send on the pool reaches every member; sessions keep working both ways with in-process sends', async () => {
  let dispatched = 0;
  const alice = await device('alice', () => { dispatched++; });
  const bob = await device('bob');
  const dave = await device('dave');
  const g = await alice.createGroup('Pool crew', ['bob@acme.test', 'dave@acme.test']);
  await drain(bob); await drain(dave);

  const first = await alice.sendGroupText(g.id, 'first, via X3DH on the workers');
  assert.deepEqual([first.devices, first.skipped], [2, []]);
  assert.ok(dispatched >= 1, 'the workers did the fan-out');
  for (const m of [bob, dave]) assert.deepEqual(await texts(m), [['first, via X3DH on the workers', 'alice@acme.test']]);

  // Replies over the sessions the workers made (bob's and dave's clients encrypt in-process), then alice 1:1
  // in-process (1 device: under the threshold), then the pool again on the same sessions.
  await bob.sendGroupText(g.id, 'bob replies');
  await dave.sendText('alice@acme.test', 'dave, directly');
  assert.deepEqual((await texts(alice)).sort(), [['bob replies', 'bob@acme.test'], ['dave, directly', 'dave@acme.test']]);
  await alice.sendText('bob@acme.test', 'alice to bob, in-process');
  assert.deepEqual(await texts(bob), [['alice to bob, in-process', 'alice@acme.test']]);
  await drain(dave);
  for (let i = 0; i < 3; i++) {
    const at = dispatched;
    await alice.sendGroupText(g.id, `steady ${i}`);
    assert.ok(dispatched > at, 'on the workers again');
    for (const m of [bob, dave]) assert.deepEqual(await texts(m), [[`steady ${i}`, 'alice@acme.test']]);
  }
  await bob.sendGroupText(g.id, 'and back');
  assert.deepEqual(await texts(alice), [['and back', 'bob@acme.test']]);
});

test('a verified contact\'s new key still fails a pooled send; nothing of it is kept', async () => {
  const { alice, bob, carol, carol2, g, dispatched } = await verifiedCrew('Verified crew');
  const before = dispatched();
  await assert.rejects(alice.sendGroupText(g.id, 'secret plans'), SafetyNumberChangedError);
  for (const m of [bob, carol, carol2]) assert.deepEqual(await texts(m), []);
  assert.equal(alice.messages(g.id).find((x) => x.body === 'secret plans')?.status, 'failed');

  await alice.markVerified('carol@acme.test');
  await alice.sendGroupText(g.id, 'verified again');
  assert.ok(dispatched() > before);
  for (const m of [bob, carol, carol2]) assert.deepEqual(await texts(m), [['verified again', 'alice@acme.test']]);
});

test('a worker killed mid-send: the send completes in-process, no session is half-written, the next send uses a new worker', async () => {
  let kill = true;
  let dispatched = 0;
  const alice = await device('alice', (w) => {
    dispatched++;
    if (kill) { kill = false; void w.terminate(); }
  });
  const members = [await device('bob'), await device('carol'), await device('dave')];
  const g = await alice.createGroup('Crash crew', ['bob@acme.test', 'carol@acme.test', 'dave@acme.test']);
  for (const m of members) await drain(m);

  const sent = await alice.sendGroupText(g.id, 'despite the crash');
  assert.deepEqual(sent.skipped, [], 'every device of every member (and alice\'s other devices) got a real envelope');
  for (const m of members) assert.deepEqual(await texts(m), [['despite the crash', 'alice@acme.test']]);
  const at = dispatched;
  await alice.sendGroupText(g.id, 'on a fresh worker');
  assert.ok(dispatched > at, 'the pool took the next send again');
  for (const m of members) assert.deepEqual(await texts(m), [['on a fresh worker', 'alice@acme.test']]);
  await repliesReach(alice, g.id, members);
});

test('a fan-out in pieces (one device each): a worker killed on the second piece; the first piece stays done, the rest go in-process, sessions stay sound', async () => {
  let dispatched = 0;
  let killAt = 0;
  const alice = await device('alice', (w) => {
    dispatched++;
    if (dispatched === killAt) void w.terminate();
  }, 1);
  const members = [await device('bob'), await device('carol'), await device('dave')];
  const g = await alice.createGroup('Piece crew', ['bob@acme.test', 'carol@acme.test', 'dave@acme.test']);
  for (const m of members) await drain(m);

  const at = dispatched;
  const first = await alice.sendGroupText(g.id, 'in pieces');
  assert.ok(first.devices >= 3);
  assert.equal(dispatched - at, first.devices, 'one job per device');
  for (const m of members) assert.deepEqual(await texts(m), [['in pieces', 'alice@acme.test']]);

  killAt = dispatched + 2;
  const sent = await alice.sendGroupText(g.id, 'despite a crash on piece two');
  assert.deepEqual(sent.skipped, []);
  for (const m of members) assert.deepEqual(await texts(m), [['despite a crash on piece two', 'alice@acme.test']]);
  // Sessions written from the first piece and those the in-process fallback advanced both go on, both ways.
  await alice.sendGroupText(g.id, 'and again');
  for (const m of members) assert.deepEqual(await texts(m), [['and again', 'alice@acme.test']]);
  await repliesReach(alice, g.id, members);
});

test('a verified contact\'s new key in a later piece fails the send; the earlier pieces\' sessions are rolled back', async () => {
  const { alice, bob, carol, carol2, g, dispatched } = await verifiedCrew('Late key crew', 1);
  // A 1:1 attempt first: its 409 tells alice of carol's new device, so the group send below goes straight to
  // the pool (a send refused with 409 has advanced the sessions it encrypted to, as in any Signal client).
  await assert.rejects(alice.sendText('carol@acme.test', 'psst'), SafetyNumberChangedError);
  const before = dispatched();
  const sessionsBefore = sessionsOf(alice);
  await assert.rejects(alice.sendGroupText(g.id, 'secret plans'), SafetyNumberChangedError);
  assert.ok(dispatched() > before, 'pieces went to the workers before the refusal');
  assert.deepEqual(sessionsOf(alice), sessionsBefore, 'no session record of the refused send was kept');
  for (const m of [bob, carol, carol2]) assert.deepEqual(await texts(m), []);
  await alice.markVerified('carol@acme.test');
  await alice.sendGroupText(g.id, 'verified again');
  assert.ok(dispatched() > before);
  for (const m of [bob, carol, carol2]) assert.deepEqual(await texts(m), [['verified again', 'alice@acme.test']]);
});
