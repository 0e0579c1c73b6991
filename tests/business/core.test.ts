// The client side of the business tools through real parts (server, dev IdP, SQLCipher profiles, the Signal
// protocol between in-process devices): away replies once per away period and only while away, greetings on
// first contact only, both end-to-end encrypted and marked automatic; quick replies synced to a second device
// and absent from the server's data dir; the user's own statistics against a scripted exchange.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import type { Messenger } from '../../electron/core/messenger.ts';
import { byteSearch, devDevice, drain, startDevServer, tempDir } from '../e2e/harness.ts';
import { encodePayload } from '../../electron/core/payload.ts';
import type { QuickRepliesContent } from '../../common/wire/content.ts';

let server: RunningServer;
let root: string;
let clock = Date.now();
const open: Messenger[] = [];

const device = (profile: string, user: string) => devDevice(open, join(root, profile), server.url, user, { now: () => clock });


let alice: Messenger;
let bob: Messenger;
let bob2: Messenger;
let carol: Messenger;

before(async () => {
  root = tempDir('business-core');
  // No org working hours here (held delivery would keep messages until the morning): outside-hours mode is then
  // never "away"; awayApplies is checked against real hours in tests/business/hours.test.ts.
  server = await startDevServer(join(root, 'server'), 0, { now: () => clock });
  alice = await device('alice', 'alice');
  bob = await device('bob', 'bob');
  bob2 = await device('bob2', 'bob');
  carol = await device('carol', 'carol');
});
after(async () => {
  for (const m of open) m.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

test('greeting on first contact only; away reply once per away period, only while away; both automatic and end-to-end', async () => {
  await bob.business.autoReplies.setGreeting('Hi, thanks for reaching out!');
  const until = clock + 24 * 3_600_000;
  await bob.business.autoReplies.setAway({ text: 'On holiday.', until, publish: true });
  // The sender sees the away text and return date before writing (published in the directory).
  assert.deepEqual(await alice.business.autoReplies.awayOf(bob.me.userId), { text: 'On holiday.', until, outsideWorkingHours: false });

  await alice.sendText('bob@acme.test', 'Hello Bob');
  await drain(bob);
  const first = (await drain(alice)).filter((m) => !m.outgoing);
  assert.deepEqual(first.map((m) => [m.automatic, m.text.split('\n')[0]]), [['greeting', 'Hi, thanks for reaching out!'], ['away', 'On holiday.']]);
  assert.match(first[1]!.text, /Back \d{4}-\d{2}-\d{2}/);

  await alice.sendText('bob@acme.test', 'Are you there?');
  await drain(bob);
  assert.deepEqual((await drain(alice)).filter((m) => !m.outgoing), [], 'once per away period, and no second greeting');

  // Bob's other device saw the automatic copies: it does not answer alice again in this period either.
  const onBob2 = await drain(bob2);
  assert.ok(onBob2.some((m) => m.outgoing && m.automatic === 'away'), 'the copy of the away reply reached bob2');
  assert.ok(onBob2.some((m) => !m.outgoing && m.text === 'Are you there?'));
  // …but bob2 never set an away status itself, so it would not answer anyway; the settings are per device.

  // Two away users never answer each other's automatic replies.
  await alice.business.autoReplies.setAway({ text: 'Alice is away too.', publish: false });
  assert.equal(await bob.business.autoReplies.awayOf(alice.me.userId), null, 'not published: nothing in the directory');
  await bob.sendText('alice@acme.test', 'Back soon');
  await drain(alice);
  const bobGot = (await drain(bob)).filter((m) => !m.outgoing);
  assert.deepEqual(bobGot.map((m) => m.automatic), ['away'], 'alice answered bob once');
  await drain(alice);
  await alice.business.autoReplies.awayOff();

  // Off: no reply. A new period: one reply again.
  await bob.business.autoReplies.awayOff();
  assert.equal(await alice.business.autoReplies.awayOf(bob.me.userId), null);
  await alice.sendText('bob@acme.test', 'Welcome back');
  await drain(bob);
  assert.deepEqual((await drain(alice)).filter((m) => !m.outgoing), []);
  await bob.business.autoReplies.setAway({ text: 'Out again.', publish: true });
  await alice.sendText('bob@acme.test', 'Ping');
  await drain(bob);
  assert.deepEqual((await drain(alice)).filter((m) => !m.outgoing).map((m) => [m.automatic, m.text]), [['away', 'Out again.']]);

  // Past its return date: no longer away.
  await bob.business.autoReplies.setAway({ text: 'Short break.', until: clock + 60_000, publish: true });
  clock += 120_000;
  await carol.sendText('bob@acme.test', 'Hi Bob, first time!');
  await drain(bob);
  assert.deepEqual((await drain(carol)).filter((m) => !m.outgoing).map((m) => m.automatic), ['greeting'], 'carol: greeting only');
});

test('away outside working hours: no reply while not outside them (the org sets no hours here)', async () => {
  await bob.business.autoReplies.setAway({ text: 'Outside office hours.', outsideWorkingHours: true, publish: true });
  assert.equal(await bob.business.autoReplies.awayNow(), false);
  assert.equal(await carol.business.autoReplies.awayOf(bob.me.userId), null, 'the sender is not told bob is away either');
  await carol.sendText('bob@acme.test', 'Daytime question');
  await drain(bob);
  assert.deepEqual((await drain(carol)).filter((m) => !m.outgoing), []);
  await bob.business.autoReplies.awayOff();
});

test('quick replies sync to the user\'s other device end-to-end encrypted; the server\'s data dir never holds them', async () => {
  const secret = 'Our refund desk is open 9-5, ask for Quentin';
  const added = await bob.business.quickReplies.add('/refund', secret);
  assert.equal(added.devices, 1, 'sent to bob2');
  await bob.business.quickReplies.add('/thanks', 'Thank you!');
  assert.deepEqual(bob2.business.quickReplies.list(), []);
  await drain(bob2);
  assert.deepEqual(bob2.business.quickReplies.list(), [{ shortcut: '/refund', text: secret }, { shortcut: '/thanks', text: 'Thank you!' }]);
  await bob2.business.quickReplies.remove('/thanks');
  await drain(bob);
  assert.deepEqual(bob.business.quickReplies.list().map((q) => q.shortcut), ['/refund']);
  await assert.rejects(bob.business.quickReplies.add('refund', 'x'), /shortcut/);
  await assert.rejects(bob.business.quickReplies.remove('/nope'), /no quick reply/);
  assert.deepEqual(byteSearch(join(root, 'server'), [secret, '/refund']), []);
  // Nobody else gets them: alice's device received nothing.
  assert.deepEqual(await drain(alice), []);
});

test('attack: a colleague\'s forged quick-replies record is refused, and the list stays as it was', async () => {
  const forged: QuickRepliesContent = { v: 2, kind: 'quick-replies', items: [{ shortcut: '/refund', text: 'Send the refund to IBAN XX00 EVIL' }], updatedAt: clock + 10 ** 9, sentAt: clock };
  const bytes = encodePayload(forged);
  // Through alice's real sender (her sessions, her devices): the record arrives encrypted like any message.
  const sender = (alice as unknown as { sender: { deliver(r: string, e: string, p: Uint8Array, s: Uint8Array, o: { key: string }): Promise<unknown> } }).sender;
  await sender.deliver(bob.me.userId, 'bob@acme.test', bytes, bytes, { key: 'forged-quick-replies' });
  const rejected: string[] = [];
  await bob.receive({ onRejected: (r) => rejected.push(r.reason) });
  assert.deepEqual(rejected, ['quick replies from a device that is not one of this user\'s listed devices']);
  assert.deepEqual(bob.business.quickReplies.list(), [{ shortcut: '/refund', text: 'Our refund desk is open 9-5, ask for Quentin' }]);
});

test('my statistics: sent, delivered and read per day and per conversation, as scripted', async () => {
  const dave = await device('dave', 'dave');
  const erin = carol;
  for (const t of ['one', 'two', 'three']) await dave.sendText('carol@acme.test', t);
  await dave.sendText('alice@acme.test', 'not delivered yet');
  await drain(erin); // delivery receipts go back
  await drain(dave);
  let s = dave.business.stats(7);
  assert.deepEqual(s.totals, { sent: 4, delivered: 3, read: 0 });
  const conv = await erin.conversationIdFor('dave@acme.test');
  await erin.markRead(conv);
  await drain(dave);
  s = dave.business.stats(7);
  assert.deepEqual(s.totals, { sent: 4, delivered: 3, read: 3 });
  assert.equal(s.days.length, 7);
  assert.deepEqual(s.days.at(-1), { day: s.days.at(-1)!.day, sent: 4, delivered: 3, read: 3 });
  assert.deepEqual(s.conversations.map((c) => [c.sent, c.delivered, c.read]), [[3, 3, 3], [1, 0, 0]]);
  assert.match(s.conversations[0]!.title, /Carol/);
  assert.throws(() => dave.business.stats(0), /--days/);
});
