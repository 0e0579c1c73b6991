// Disappearing messages and org retention on clients, through real parts: the real server and dev IdP, real
// SQLCipher profiles, in-process clients with an injected clock (MessengerOptions.now). The timer travels
// inside the encrypted message to the peer, the group and the user's own second device; every one of them
// deletes the message when it runs out (store and search); the org maximum refuses longer timers here and
// clamps a longer one a hostile client sends; messages older than messagesDays go at launch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import { loginNewDevice, Messenger, UsageError, type ReceivedEvent, type ReceivedMessage } from '../../electron/core/messenger.ts';
import { startDevServer, tempDir } from '../e2e/harness.ts';

const HOUR = 3600;
const WEEK = 7 * 86_400;
let root: string;
let server: RunningServer;
let offset = 0;
const now = () => Date.now() + offset;
const policy = { version: 'retention-client-1', text: 'Work chats only.', rules: { retention: { messagesDays: 30, maxDisappearingSeconds: WEEK } } };
const open: Messenger[] = [];

before(async () => {
  root = tempDir('retention-client');
  server = await startDevServer(join(root, 'server'), 0, { policy });
});
after(async () => {
  for (const m of open) { try { m.close(); } catch { /* closed by the test */ } }
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function device(profile: string, user: string): Promise<Messenger> {
  const m = await loginNewDevice(join(root, profile), server.url, { kind: 'dev-user', username: user }, { now });
  open.push(m);
  await m.acceptPolicy(policy.version);
  await m.fetchPolicy(); // remembers the org's retention rules
  return m;
}

async function drain(m: Messenger): Promise<{ messages: ReceivedMessage[]; events: ReceivedEvent[] }> {
  const messages: ReceivedMessage[] = [];
  const events: ReceivedEvent[] = [];
  await m.receive({ onMessage: (x) => messages.push(x), onEvent: (e) => events.push(e) });
  return { messages, events };
}

const texts = (m: Messenger, conversationId: string) => m.messages(conversationId).map((x) => x.body);

test('1:1 and a second device: the timer travels encrypted, every copy expires by the clock, search forgets it', async () => {
  const alice1 = await device('a1', 'alice');
  const alice2 = await device('a2', 'alice');
  const bob = await device('b1', 'bob');
  await alice1.sendText('bob@acme.test', 'hello before any timer');
  const conv = (await drain(bob)).messages[0]!.conversationId;
  await drain(alice2);

  const set = await alice1.setDisappearing('bob@acme.test', HOUR);
  assert.deepEqual([set.seconds, set.maxSeconds, set.changed], [HOUR, WEEK, true]);
  assert.match(alice1.lastMessage(conv)!.body, /^You set disappearing messages to 1 hour$/);
  const atBob = await drain(bob);
  assert.deepEqual(atBob.events.filter((e) => e.kind === 'timer').map((e) => e.seconds), [HOUR]);
  assert.equal((await bob.disappearing('alice@acme.test')).seconds, HOUR);
  assert.match(bob.lastMessage(conv)!.body, /set disappearing messages to 1 hour/);
  await drain(alice2);
  assert.equal((await alice2.disappearing('bob@acme.test')).seconds, HOUR, 'the second device follows');

  const sent = await alice1.sendText('bob@acme.test', 'vanishing zephyr words');
  const got = (await drain(bob)).messages.find((x) => x.messageId === sent.messageId)!;
  assert.equal(got.expiresInSeconds, HOUR, 'the timer came inside the message');
  await drain(alice2);
  for (const m of [alice1, alice2, bob]) {
    const stored = m.messages(conv).find((x) => x.id === sent.messageId)!;
    assert.equal(stored.expiresIn, HOUR);
    assert.ok(stored.expiresAt! > stored.receivedAt && stored.expiresAt! - stored.receivedAt === HOUR * 1000);
    assert.equal(m.searchMessages('zephyr').length, 1);
  }
  // Bob's replies carry the timer too.
  await bob.sendText('alice@acme.test', 'zephyr reply from bob');
  await drain(alice1);
  await drain(alice2);

  offset += HOUR * 1000 - 5_000;
  for (const m of [alice1, alice2, bob]) assert.deepEqual(await m.retention.purge(), [], 'not yet');
  offset += 10_000;
  for (const m of [alice1, alice2, bob]) {
    const expired = await m.retention.purge();
    assert.equal(expired.length, 1);
    assert.equal(expired[0]!.conversationId, conv);
    assert.equal(expired[0]!.messageIds.length, 2);
    assert.ok(expired[0]!.messageIds.includes(sent.messageId));
    assert.equal(m.messages(conv).some((x) => /zephyr/.test(x.body)), false);
    assert.deepEqual(m.searchMessages('zephyr'), []);
    assert.ok(texts(m, conv).includes('hello before any timer'), 'messages from before the timer stay');
  }
});

test('the org maximum: a longer timer is refused with a sentence; one a hostile client sends anyway is clamped on receipt', async () => {
  const alice = await device('h-a', 'alice');
  const bob = await device('h-b', 'bob');
  await alice.sendText('bob@acme.test', 'hi');
  const conv = (await drain(bob)).messages[0]!.conversationId;
  await assert.rejects(alice.setDisappearing('bob@acme.test', 30 * 86_400), (err: Error) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.message, 'your organization allows disappearing messages of at most 1 week');
    return true;
  });
  assert.equal((await alice.disappearing('bob@acme.test')).seconds, null, 'nothing changed');
  // A client that skips the check (here: the raw control-record path) cannot give Bob a longer timer.
  await alice.sendContent(conv, { kind: 'timer', seconds: 30 * 86_400 });
  await drain(bob);
  assert.equal((await bob.disappearing('alice@acme.test')).seconds, WEEK);
  assert.match(bob.lastMessage(conv)!.body, /set disappearing messages to 1 week$/);
  // …nor a message that claims a longer timer.
  const sent = await alice.sendText('bob@acme.test', 'claims thirty days');
  await drain(bob);
  const stored = bob.messages(conv).find((x) => x.id === sent.messageId)!;
  assert.equal(stored.expiresIn, WEEK);
  assert.equal(stored.expiresAt, stored.receivedAt + WEEK * 1000);
  // Off is always allowed.
  assert.equal((await alice.setDisappearing('bob@acme.test', null)).seconds, null);
  await drain(bob);
  assert.equal((await bob.disappearing('alice@acme.test')).seconds, null);
});

test('groups: the timer reaches every member and the sender\'s other device; the message expires everywhere', async () => {
  const alice = await device('g-a1', 'alice');
  const alice2 = await device('g-a2', 'alice');
  const bob = await device('g-b', 'bob');
  const carol = await device('g-c', 'carol');
  const g = await alice.createGroup('Vanishing crew', ['bob@acme.test', 'carol@acme.test']);
  for (const m of [bob, carol, alice2]) await m.syncGroupEvents();
  await alice.setDisappearing('Vanishing crew', 30);
  for (const m of [bob, carol, alice2]) {
    await drain(m);
    assert.equal((await m.disappearing(g.id)).seconds, 30);
  }
  const sent = await alice.sendGroupText(g.id, 'group quartz secret');
  for (const m of [bob, carol, alice2]) await drain(m);
  for (const m of [alice, alice2, bob, carol]) assert.equal(m.messages(g.id).find((x) => x.id === sent.messageId)?.expiresIn, 30);
  offset += 31_000;
  for (const m of [alice, alice2, bob, carol]) {
    await m.retention.purge();
    assert.equal(m.messages(g.id).some((x) => x.id === sent.messageId), false);
    assert.deepEqual(m.searchMessages('quartz'), []);
  }
});

test('while running, a message is deleted the moment its timer runs out (an event names it)', async () => {
  const alice = await device('x-a', 'alice');
  const bob = await device('x-b', 'bob');
  await alice.setDisappearing('bob@acme.test', 30);
  await drain(bob);
  const sent = await alice.sendText('bob@acme.test', 'gone in a moment');
  const conv = sent.conversationId;
  bob.retention.start();
  try {
    const expired = new Promise<string[]>((resolve) => bob.retention.onExpired((e) => resolve(e.flatMap((x) => x.messageIds))));
    await drain(bob);
    const stored = bob.messages(conv).find((x) => x.id === sent.messageId)!;
    // Move the clock to 150 ms before the message runs out; the armed timer fires on its own.
    offset += stored.expiresAt! - now() - 150;
    bob.retention.changed();
    assert.deepEqual(await expired, [sent.messageId]);
    assert.equal(bob.messages(conv).some((x) => x.id === sent.messageId), false);
  } finally {
    bob.retention.stop();
  }
});

test('org retention: messages older than messagesDays are gone at the next launch, before anything is shown', async () => {
  const alice = await device('r-a', 'alice');
  const bob = await device('r-b', 'bob');
  await alice.sendText('bob@acme.test', 'old news about the merger');
  const conv = (await drain(bob)).messages[0]!.conversationId;
  bob.close();
  offset += 31 * 86_400_000;
  const reopened = await Messenger.open(join(root, 'r-b'), { now });
  open.push(reopened);
  assert.deepEqual(reopened.messages(conv).map((x) => x.body), []);
  assert.deepEqual(reopened.searchMessages('merger'), []);
  assert.equal(reopened.conversation(conv)?.unread, 0, 'the unread count follows');
});

test('an expired message\'s attachment leaves the device with it (the local ciphertext file)', async () => {
  const alice = await device('f-a', 'alice');
  const bob = await device('f-b', 'bob');
  await alice.setDisappearing('bob@acme.test', 60);
  await drain(bob);
  const pointer = await alice.attachments.upload({ fileName: 'plan.txt', contentType: 'text/plain', bytes: Buffer.from('the plan\n'.repeat(100)) });
  const sent = await alice.send({ email: 'bob@acme.test' }, { text: 'the plan attached', attachments: [pointer] });
  await drain(bob);
  assert.equal(await bob.attachments.download(sent.messageId), 1);
  const files = () => readdirSync(join(root, 'f-b', 'attachments')).filter((n) => n.startsWith(pointer.id));
  assert.equal(files().length, 1, 'control: the ciphertext is on Bob\'s device');
  offset += 61_000;
  assert.equal((await bob.retention.purge()).length, 1);
  assert.deepEqual(files(), []);
});
