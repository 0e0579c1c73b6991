// Messages people use at work, through the client core in-process against the real server, the real dev
// IdP and real SQLCipher profiles: replies, reactions, edits (with history, 24 h), delete for everyone and
// for me, read receipts (the user's setting and the org's rule), typing, unknown kinds from a newer client,
// and the attacks: a colleague forging an edit or delete of someone else's message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import * as C from '../../common/wire/content.ts';
import { loginNewDevice, Messenger, UsageError, type ReceivedEvent, type ReceivedMessage, type RejectedEnvelope } from '../../electron/core/messenger.ts';
import type { Sender } from '../../electron/core/outgoing/sender.ts';
import { encodePayload } from '../../electron/core/payload.ts';
import { MessageQueries } from '../../electron/core/store/message-queries.ts';
import type { LocalStore } from '../../electron/core/store/local-store.ts';
import { startDevServer, tempDir } from './harness.ts';

let server: RunningServer;
let root: string;
const open: Messenger[] = [];
let profiles = 0;

before(async () => {
  root = tempDir('messages-core');
  server = await startDevServer(join(root, 'server'));
});
after(async () => {
  for (const m of open) m.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

async function device(user: string, opts: { now?: () => number; url?: string } = {}): Promise<Messenger> {
  const m = await loginNewDevice(join(root, `${user}-${++profiles}`), opts.url ?? server.url, { kind: 'dev-user', username: user }, opts.now ? { now: opts.now } : {});
  open.push(m);
  return m;
}

interface Drained { messages: ReceivedMessage[]; events: ReceivedEvent[]; rejected: RejectedEnvelope[] }
async function drain(m: Messenger): Promise<Drained> {
  const got: Drained = { messages: [], events: [], rejected: [] };
  await m.receive({ onMessage: (x) => got.messages.push(x), onEvent: (e) => got.events.push(e), onRejected: (r) => got.rejected.push(r) });
  return got;
}

/** What a hostile or newer client can do: send any record it likes over its real sessions (the core's own sender). */
async function sendRaw(from: Messenger, toUserId: string, toEmail: string, record: unknown, mine: unknown = record): Promise<void> {
  const sender = (from as unknown as { sender: Sender }).sender;
  await sender.deliver(toUserId, toEmail, encodePayload(record as C.Content), encodePayload(mine as C.Content), { key: `raw-${Math.random()}` });
}
const storeOf = (m: Messenger) => (m as unknown as { store: LocalStore }).store;
const rawId = () => `raw${Math.random().toString(36).slice(2).padEnd(16, 'x')}`;

test('1:1: a reply, a reaction, an edit and a delete for everyone reach the peer and the author\'s second device', async () => {
  const alice1 = await device('alice');
  const bob = await device('bob');
  const alice2 = await device('alice');
  const first = await alice1.send({ email: 'bob@acme.test' }, { text: 'Quarterly numbers are in the shared folder' });
  assert.deepEqual(first.recipients.map((r) => r.userId).sort(), [alice1.me.userId, bob.me.userId].sort(), 'bob\'s device and alice\'s other one');
  await drain(bob);
  const reply = await bob.send({ email: 'alice@acme.test' }, { text: 'Thanks, looking now', replyTo: first.messageId });
  const atAlice1 = await drain(alice1);
  assert.equal(atAlice1.messages[0]!.replyTo, first.messageId);
  assert.equal(atAlice1.messages[0]!.reply?.excerpt, 'Quarterly numbers are in the shared folder');
  await drain(alice2);

  // alice edits from her first device: bob and her second device apply it; the earlier text is kept locally.
  await alice1.edit(first.messageId, 'Quarterly numbers (v2) are in the shared folder');
  const b1 = await drain(bob);
  assert.deepEqual(b1.events.map((e) => [e.kind, e.targetMessageId, e.text]), [['edit', first.messageId, 'Quarterly numbers (v2) are in the shared folder']]);
  const atBob = bob.history(first.conversationId).find((h) => h.messageId === first.messageId)!;
  assert.equal(atBob.text, 'Quarterly numbers (v2) are in the shared folder');
  assert.equal(atBob.edited, true);
  assert.deepEqual(new MessageQueries(storeOf(bob)).edits(first.messageId).map((e) => e.body), ['Quarterly numbers are in the shared folder']);
  const a2 = await drain(alice2);
  assert.deepEqual(a2.events.map((e) => [e.kind, e.outgoing]), [['edit', true]]);
  assert.equal(alice2.findMessage(first.messageId)?.body, 'Quarterly numbers (v2) are in the shared folder');

  // Reactions: one per person per message, changeable, removable.
  await bob.react(first.messageId, '👍');
  await bob.react(first.messageId, '🎉');
  await drain(alice1);
  assert.deepEqual(alice1.history(first.conversationId).find((h) => h.messageId === first.messageId)!.reactions.map((r) => [r.email, r.emoji]), [['bob@acme.test', '🎉']]);
  await assert.rejects(bob.react(first.messageId, 'ok'), UsageError, 'a word is not an emoji');
  await bob.react(first.messageId, '🎉', { remove: true });
  await drain(alice1);
  assert.deepEqual(alice1.history(first.conversationId).find((h) => h.messageId === first.messageId)!.reactions, []);

  // Delete for everyone: text gone from every store, the row says deleted; bob's quote of it loses its excerpt.
  await alice2.deleteMessage(first.messageId, { forEveryone: true });
  const b2 = await drain(bob);
  assert.deepEqual(b2.events.map((e) => [e.kind, e.targetMessageId]), [['delete', first.messageId]]);
  for (const m of [alice1, alice2, bob]) {
    if (m !== alice2) await drain(m);
    const h = m.history(first.conversationId).find((x) => x.messageId === first.messageId)!;
    assert.equal(h.deleted, true);
    assert.equal(h.text, undefined);
    assert.equal(m.findMessage(first.messageId)?.body, '');
    assert.deepEqual(new MessageQueries(storeOf(m)).edits(first.messageId), [], 'the edit history goes too');
  }
  assert.equal(bob.history(first.conversationId).find((h) => h.messageId === reply.messageId)!.reply?.excerpt, '');

  // Only the author edits or deletes for everyone; anyone deletes for themselves.
  await assert.rejects(alice1.edit(reply.messageId, 'not mine'), /only edit your own/);
  await assert.rejects(alice1.deleteMessage(reply.messageId, { forEveryone: true }), /only delete your own/);
  await assert.rejects(alice1.edit('nosuchmessage0000000000', 'x'), /no message with id/);
  await alice1.deleteMessage(reply.messageId, { forEveryone: false });
  assert.equal(alice1.findMessage(reply.messageId), undefined);
  assert.ok(bob.findMessage(reply.messageId), 'delete for me stays on this device');
});

test('attack: a colleague\'s forged edit or delete of someone else\'s message is refused by every receiver', async () => {
  const alice = await device('alice');
  const bob = await device('bob');
  const carol = await device('carol');
  const g = await alice.createGroup('Finance', ['bob@acme.test', 'carol@acme.test']);
  const sent = await alice.send({ group: g.id }, { text: 'Invoice 4411 is approved' });
  await drain(bob);
  await drain(carol);
  // Carol (a member, so the server relays it for the group) claims to edit and delete alice's message.
  for (const record of [
    { v: 2, kind: 'edit', messageId: rawId(), sentAt: Date.now(), group: g.id, targetMessageId: sent.messageId, text: 'Invoice 4411 is REJECTED' },
    { v: 2, kind: 'delete', messageId: rawId(), sentAt: Date.now(), group: g.id, targetMessageId: sent.messageId },
  ]) {
    const groupSender = (carol as unknown as { groupSender: { sendRecord(id: string, b: Uint8Array, k: string): Promise<unknown> } }).groupSender;
    await groupSender.sendRecord(g.id, encodePayload(record as C.Content), record.messageId);
  }
  const atBob = await drain(bob);
  assert.deepEqual(atBob.events, []);
  assert.equal(atBob.rejected.length, 2);
  assert.match(atBob.rejected[0]!.reason, /edit of a message its sender did not write/);
  assert.match(atBob.rejected[1]!.reason, /delete-for-everyone of a message its sender did not write/);
  assert.equal(bob.findMessage(sent.messageId)?.body, 'Invoice 4411 is approved');
  assert.equal(bob.findMessage(sent.messageId)?.deleted, undefined);
  assert.equal((await drain(alice)).rejected.length, 2, 'the author refuses them too');

  // 1:1: bob names alice's message in an edit sent to alice herself.
  const direct = await alice.send({ email: 'bob@acme.test' }, { text: 'Pay the supplier today' });
  await drain(bob);
  await sendRaw(bob, alice.me.userId, 'alice@acme.test', { v: 2, kind: 'edit', messageId: rawId(), sentAt: Date.now(), targetMessageId: direct.messageId, text: 'Never mind' },
    { v: 2, kind: 'edit', messageId: rawId(), sentAt: Date.now(), to: alice.me.userId, targetMessageId: direct.messageId, text: 'Never mind' });
  const atAlice = await drain(alice);
  assert.equal(atAlice.rejected.length, 1);
  assert.equal(alice.findMessage(direct.messageId)?.body, 'Pay the supplier today');
  // An edit naming a message of another chat is not applied there either.
  await sendRaw(carol, bob.me.userId, 'bob@acme.test', { v: 2, kind: 'delete', messageId: rawId(), sentAt: Date.now(), targetMessageId: direct.messageId },
    { v: 2, kind: 'delete', messageId: rawId(), sentAt: Date.now(), to: bob.me.userId, targetMessageId: direct.messageId });
  await drain(bob);
  assert.equal(bob.findMessage(direct.messageId)?.deleted, undefined);
});

test('groups: replies and reactions reach every member; announcement groups keep their rules', async () => {
  const alice = await device('alice');
  const bob = await device('bob');
  const dave = await device('dave');
  const g = await alice.createGroup('Launch', ['bob@acme.test', 'dave@acme.test']);
  const q = await alice.send({ group: g.id }, { text: 'Launch on Tuesday?' });
  await drain(bob);
  await drain(dave);
  const r = await bob.send({ group: 'Launch' }, { text: 'Tuesday works', replyTo: q.messageId });
  await bob.react(q.messageId, '👍');
  await dave.react(q.messageId, '🚀');
  for (const m of [alice, dave]) {
    const got = await drain(m);
    const msg = got.messages.find((x) => x.messageId === r.messageId)!;
    assert.equal(msg.replyTo, q.messageId);
    assert.equal(msg.group, g.id);
  }
  await drain(bob);
  for (const m of [alice, bob, dave]) {
    const h = m.history(g.id).find((x) => x.messageId === q.messageId)!;
    assert.deepEqual(h.reactions.map((x) => x.emoji).sort(), ['👍', '🚀'].sort(), `${m.me.email} sees both reactions`);
  }
  await assert.rejects(bob.send({ group: g.id }, { text: 'x', replyTo: 'nosuchmessage0000000000' }), UsageError);

  // Read receipts in a group go to each author only (1:1, about the group).
  assert.deepEqual(await dave.markRead(g.id), { read: 2, receipts: true });
  const reads = await drain(alice);
  assert.deepEqual(reads.events.filter((e) => e.kind === 'read').map((e) => [e.targetMessageId, e.from, e.group]), [[q.messageId, 'dave@acme.test', g.id]]);
  assert.equal(alice.history(g.id).find((h) => h.messageId === q.messageId)!.status, 'read');
  assert.deepEqual((await drain(bob)).events.filter((e) => e.kind === 'read').map((e) => e.targetMessageId), [r.messageId]);

  const news = await alice.createGroup('News', ['bob@acme.test', 'dave@acme.test'], { announcement: true });
  const post = await alice.send({ group: news.id }, { text: 'Office closed Friday' });
  await drain(bob);
  await drain(dave);
  await assert.rejects(bob.send({ group: news.id }, { text: 'ok' }), /only admins can post/);
  await assert.rejects(bob.edit(post.messageId, 'x'), /only edit your own/);
  await alice.edit(post.messageId, 'Office closed Friday and Monday');
  await drain(bob);
  assert.equal(bob.findMessage(post.messageId)?.body, 'Office closed Friday and Monday');
  // A plain member's reaction reaches the author (not every member of an announcement group).
  await bob.react(post.messageId, '🙏');
  const atAuthor = await drain(alice);
  assert.deepEqual(atAuthor.events.map((e) => [e.kind, e.emoji, e.group]), [['reaction', '🙏', news.id]]);
  assert.deepEqual(alice.history(news.id).find((h) => h.messageId === post.messageId)!.reactions.map((x) => [x.email, x.emoji]), [['bob@acme.test', '🙏']]);
  assert.deepEqual((await drain(dave)).events.map((e) => e.kind), ['edit'], 'dave gets the edit, not bob\'s reaction');
});

test('read receipts: sent when the chat is read and the setting allows; the author sees "read"; other devices clear unread', async () => {
  const alice = await device('alice');
  const bob1 = await device('bob');
  const bob2 = await device('bob');
  const s1 = await alice.send({ email: 'bob@acme.test' }, { text: 'Can you review the draft?' });
  await drain(bob1);
  await drain(bob2);
  assert.equal(bob2.conversation(s1.conversationId)?.unread, 1);
  const r = await bob1.markRead(s1.conversationId);
  assert.deepEqual(r, { read: 1, receipts: true });
  const atAlice = await drain(alice);
  assert.deepEqual(atAlice.events.map((e) => [e.kind, e.targetMessageId, e.from]), [['read', s1.messageId, 'bob@acme.test']]);
  assert.equal(alice.history(s1.conversationId).find((h) => h.messageId === s1.messageId)!.status, 'read');
  const atBob2 = await drain(bob2);
  assert.deepEqual(atBob2.events.map((e) => [e.kind, e.outgoing]), [['read', true]]);
  assert.equal(bob2.conversation(s1.conversationId)?.unread, 0);

  // Turned off: the author never learns it, bob's other device still does.
  await bob1.setReadReceipts(false);
  assert.deepEqual(await bob1.readReceipts(), { setting: false, forcedOff: false, effective: false });
  const s2 = await alice.send({ email: 'bob@acme.test' }, { text: 'And the budget?' });
  await drain(bob1);
  await drain(bob2);
  assert.deepEqual(await bob1.markRead(s2.conversationId), { read: 1, receipts: false });
  assert.deepEqual((await drain(alice)).events, []);
  assert.notEqual(alice.history(s2.conversationId).find((h) => h.messageId === s2.messageId)!.status, 'read');
  await drain(bob2);
  assert.equal(bob2.conversation(s2.conversationId)?.unread, 0);
});

test('read receipts: the organization\'s rule forces them off whatever the user chose', async () => {
  const dir = tempDir('messages-policy');
  const strict = await startDevServer(join(dir, 'server'), 0, { policy: { version: 'v1', text: 'Be kind.', rules: { readReceipts: 'off' } }, requireConsent: false });
  try {
    const alice = await device('alice', { url: strict.url });
    const bob = await device('bob', { url: strict.url });
    const s = await alice.send({ email: 'bob@acme.test' }, { text: 'Status?' });
    await drain(bob);
    assert.deepEqual(await bob.readReceipts(), { setting: true, forcedOff: true, effective: false });
    assert.deepEqual(await bob.markRead(s.conversationId), { read: 1, receipts: false });
    assert.deepEqual((await drain(alice)).events, []);
  } finally {
    await strict.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('typing indicators reach the peer and are never stored; a newer client\'s kind shows as a placeholder', async () => {
  const alice = await device('alice');
  const bob = await device('bob');
  const s = await alice.send({ email: 'bob@acme.test' }, { text: 'hi' });
  await drain(bob);
  const before = bob.history(s.conversationId).length;
  await alice.sendTyping(s.conversationId, 'started');
  const got = await drain(bob);
  assert.deepEqual(got.events.map((e) => [e.kind, e.state, e.from]), [['typing', 'started', 'alice@acme.test']]);
  assert.equal(bob.history(s.conversationId).length, before, 'nothing stored');

  const id = rawId();
  await sendRaw(alice, bob.me.userId, 'bob@acme.test', { v: 3, kind: 'poll', messageId: id, sentAt: Date.now(), question: 'Pizza?' },
    { v: 3, kind: 'poll', messageId: id, sentAt: Date.now(), to: bob.me.userId, question: 'Pizza?' });
  const later = await drain(bob);
  assert.equal(later.messages[0]!.text, C.NEEDS_NEWER_VERSION);
  assert.equal(later.messages[0]!.needsNewerVersion, true);
  const h = bob.history(s.conversationId).find((x) => x.messageId === id)!;
  assert.equal(h.kind, 'unknown');
  assert.equal(h.text, C.NEEDS_NEWER_VERSION);
});

test('edits: refused by the author\'s device after 24 h, and by receivers when the edit comes later than that', async () => {
  let aliceClock = Date.now();
  let bobClock = Date.now();
  const alice = await device('alice', { now: () => aliceClock });
  const bob = await device('bob', { now: () => bobClock });
  const s = await alice.send({ email: 'bob@acme.test' }, { text: 'Meeting at 3' });
  // bob received it "25 hours ago" by his clock; the relay stamps the edit now.
  bobClock = Date.now() - 25 * 3600 * 1000;
  await drain(bob);
  bobClock = Date.now();
  await alice.edit(s.messageId, 'Meeting at 4');
  const got = await drain(bob);
  assert.equal(got.rejected.length, 1);
  assert.match(got.rejected[0]!.reason, /more than 24 hours/);
  assert.equal(bob.findMessage(s.messageId)?.body, 'Meeting at 3');
  aliceClock = Date.now() + 25 * 3600 * 1000;
  await assert.rejects(alice.edit(s.messageId, 'Meeting at 5'), /within 24 hours/);
});

test('read receipts survive an unreachable server: kept, and sent at the next connection', async () => {
  const dir = tempDir('messages-offline');
  let flaky = await startDevServer(join(dir, 'server'));
  const port = Number(new URL(flaky.url).port);
  try {
    const alice = await device('alice', { url: flaky.url });
    const bob = await device('bob', { url: flaky.url });
    const s = await alice.send({ email: 'bob@acme.test' }, { text: 'Sign-off needed' });
    await drain(bob);
    await flaky.close();
    assert.deepEqual(await bob.markRead(s.conversationId), { read: 1, receipts: true });
    assert.equal(bob.conversation(s.conversationId)?.unread, 0, 'read here at once');
    flaky = await startDevServer(join(dir, 'server'), port);
    await drain(bob); // the connection's housekeeping sends what waited
    const atAlice = await drain(alice);
    assert.deepEqual(atAlice.events.map((e) => [e.kind, e.targetMessageId]), [['read', s.messageId]]);
    await drain(bob);
    assert.deepEqual((await drain(alice)).events, [], 'sent once');
  } finally {
    await flaky.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a disappearing timer set through sendContent: both sides store it, see who set it, and later messages carry it', async () => {
  const alice = await device('alice');
  const bob = await device('bob');
  const s = await alice.send({ email: 'bob@acme.test' }, { text: 'Switching this chat to disappearing' });
  await drain(bob);
  await alice.sendContent(s.conversationId, { kind: 'timer', seconds: 86_400 });
  const got = await drain(bob);
  assert.deepEqual(got.events.map((e) => [e.kind, e.seconds]), [['timer', 86_400]]);
  assert.equal(bob.conversation(s.conversationId)?.disappearingSeconds, 86_400);
  assert.ok(bob.history(s.conversationId).some((h) => h.kind === 'system' && h.text === 'Alice Archer set disappearing messages to 1 day'));
  assert.ok(alice.history(s.conversationId).some((h) => h.kind === 'system' && h.text === 'You set disappearing messages to 1 day'));
  const later = await alice.send({ email: 'bob@acme.test' }, { text: 'This one disappears' });
  const [m] = (await drain(bob)).messages;
  assert.equal(m!.expiresInSeconds, 86_400);
  assert.equal(bob.findMessage(later.messageId)?.expiresIn, 86_400);
});

test('a reply quoting a message its author already deleted for everyone keeps no text of it', async () => {
  const alice = await device('alice');
  const bob = await device('bob');
  const s = await alice.send({ email: 'bob@acme.test' }, { text: 'Salary bands attached by mistake' });
  await drain(bob);
  await alice.deleteMessage(s.messageId, { forEveryone: true });
  // bob has not received the delete yet and quotes the text.
  const r = await bob.send({ email: 'alice@acme.test' }, { text: 'Should I forward this?', replyTo: s.messageId });
  const [m] = (await drain(alice)).messages;
  assert.equal(m!.reply?.excerpt, '');
  assert.equal(alice.history(s.conversationId).find((h) => h.messageId === r.messageId)!.reply?.excerpt, '');
  await drain(bob);
  assert.equal(bob.history(s.conversationId).find((h) => h.messageId === r.messageId)!.reply?.excerpt, '', 'and bob\'s own quote once the delete arrives');
});

test('typing in a group reaches the other members with the group, never the typist\'s own devices as an event', async () => {
  const alice1 = await device('alice');
  const alice2 = await device('alice');
  const bob = await device('bob');
  const g = await alice1.createGroup('Standup', ['bob@acme.test']);
  await alice1.send({ group: g.id }, { text: 'Morning' });
  await drain(bob);
  await drain(alice2);
  await alice1.sendTyping(g.id, 'started');
  await alice1.sendTyping(g.id, 'stopped');
  assert.deepEqual((await drain(bob)).events.map((e) => [e.kind, e.state, e.group, e.from]),
    [['typing', 'started', g.id, 'alice@acme.test'], ['typing', 'stopped', g.id, 'alice@acme.test']]);
  const own = await drain(alice2);
  assert.deepEqual([own.events, own.rejected], [[], []]);
});
