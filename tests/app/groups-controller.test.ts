// The app controller's group methods (electron/api/contract.ts): the dispatcher refuses malformed input
// before any handler runs, and on real parts (dev server, dev IdP, SQLCipher profiles) group chats reach the
// UI as events — messages with sender names, system messages from the group's event log, refusals as sentences.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../server/app.ts';
import type { AppEvent, ConversationSummary, GroupView, MessageView } from '../../electron/api/contract.ts';
import { AppController, BadCallError, createDispatcher } from '../../electron/app/controller.ts';
import { defaultVault, loginNewDevice } from '../../electron/messenger.ts';
import { startDevServer, tempDir } from '../e2e/harness.ts';

async function until(cond: () => boolean, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface Person {
  c: AppController;
  call: (method: string, input: unknown) => Promise<any>;
  events: AppEvent[];
  messages(conversationId: string): MessageView[];
}

let server: RunningServer;
let root: string;
const people: Person[] = [];

before(async () => {
  root = tempDir('app-groups');
  server = await startDevServer(join(root, 'server'));
});
after(async () => {
  for (const p of people) await p.c.stop();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A signed-in desktop app (policy accepted, online) whose events are recorded. */
async function person(user: string): Promise<Person> {
  const profile = join(root, user);
  (await loginNewDevice(profile, server.url, { kind: 'dev-user', username: user })).close();
  const c = new AppController({ profileDir: profile, serverUrl: server.url, vault: defaultVault(profile), openExternal: async () => {}, groupSyncMs: 250 });
  const events: AppEvent[] = [];
  c.onEvent((e) => events.push(e));
  await c.start();
  const call = createDispatcher(c) as Person['call'];
  const state = c.getState();
  if (state.phase === 'consent') await call('policy.accept', { version: state.policy!.version });
  await until(() => c.getState().connection === 'online', `${user} online`);
  const p: Person = {
    c, call, events,
    messages: (id) => events.flatMap((e) => (e.type === 'message' && e.message.conversationId === id ? [e.message] : [])),
  };
  people.push(p);
  return p;
}

test('group methods refuse malformed input before any handler runs', async () => {
  // Not even signed in: only the schema check can answer.
  const profile = join(root, 'nobody');
  const c = new AppController({ profileDir: profile, serverUrl: server.url, vault: defaultVault(profile), openExternal: async () => {} });
  const call = createDispatcher(c);
  const gid = `g_${'A'.repeat(22)}`;
  const bad: Array<[string, unknown]> = [
    ['groups.list', { extra: 1 }],
    ['groups.create', { name: 'X', emails: [] }], // flags are required
    ['groups.create', { name: '', emails: [], announcement: false, confidential: false }],
    ['groups.create', { name: '   ', emails: [], announcement: false, confidential: false }],
    ['groups.create', { name: 'x'.repeat(101), emails: [], announcement: false, confidential: false }],
    ['groups.create', { name: 'X', emails: ['not an email'], announcement: false, confidential: false }],
    ['groups.create', { name: 'X', emails: 'bob@acme.test', announcement: false, confidential: false }],
    ['groups.create', { name: 'X', emails: [], announcement: 'yes', confidential: false }],
    ['groups.create', { name: 'X', emails: [], announcement: false, confidential: false, scimGroupId: 'eng' }],
    ['groups.info', {}],
    ['groups.info', { groupId: 'g_short' }],
    ['groups.info', { groupId: `u_${'A'.repeat(22)}` }],
    ['groups.info', { groupId: `${gid}/../x` }],
    ['groups.addMember', { groupId: gid }],
    ['groups.addMember', { groupId: gid, email: 'bob' }],
    ['groups.removeMember', { groupId: gid, email: 'bob@acme.test', role: 'admin' }],
    ['groups.setRole', { groupId: gid, email: 'bob@acme.test', role: 'owner' }],
    ['groups.setRole', { groupId: gid, email: 'bob@acme.test' }],
    ['groups.update', { groupId: gid, name: '' }],
    ['groups.update', { groupId: gid, announcement: 1 }],
    ['groups.update', { groupId: gid, scimGroupId: null }],
    ['groups.leave', { groupId: 42 }],
    ['admin.groups', { all: true }],
    ['messages.send', { conversationId: gid, text: '' }],
  ];
  for (const [method, input] of bad) {
    await assert.rejects(call(method, input), (err: Error) => err instanceof BadCallError && /invalid input/.test(err.message), `${method} ${JSON.stringify(input)}`);
  }
  // Well-formed input gets past the check and meets the handler (which wants a signed-in device).
  await assert.rejects(call('groups.info', { groupId: gid }), /not ready/);
  await assert.rejects(call('groups.create', { name: 'X', emails: ['bob@acme.test'], announcement: false, confidential: false }), /not ready/);
});

test('a group chat through the controller: create, send, names, system messages, roles, removal, announcement', async () => {
  const [alice, bob, dave] = [await person('alice'), await person('bob'), await person('dave')];

  const created: GroupView = await alice.call('groups.create', {
    name: 'Launch crew', emails: ['bob@acme.test', 'dave@acme.test'], announcement: false, confidential: false,
  });
  assert.equal(created.role, 'owner');
  assert.equal(created.memberCount, 3);
  assert.equal(created.canManage, true);
  assert.deepEqual(created.members.map((m) => [m.name, m.role, m.you]), [
    ['Alice Archer', 'owner', true], ['Bob Baker', 'member', false], ['Dave Diaz', 'member', false],
  ]);
  const gid = created.id;
  const aliceList: ConversationSummary[] = await alice.call('conversations.list', {});
  assert.deepEqual(aliceList.filter((c) => c.id === gid).map((c) => [c.kind, c.title, c.peerUserId]), [['group', 'Launch crew', null]]);

  const sent: MessageView = await alice.call('messages.send', { conversationId: gid, text: 'Kick-off at 10' });
  assert.equal(sent.direction, 'out');
  assert.equal(sent.senderName, 'Alice Archer');

  // bob: the message with alice's name, and (from the event log) the system message that he was added.
  await until(() => bob.messages(gid).some((m) => m.text === 'Kick-off at 10'), 'bob receives the group message');
  const got = bob.messages(gid).find((m) => m.text === 'Kick-off at 10')!;
  assert.equal(got.direction, 'in');
  assert.equal(got.senderName, 'Alice Archer');
  await until(() => bob.messages(gid).some((m) => m.direction === 'system' && m.text === 'Alice Archer added you.'), 'bob sees "added you"');
  const bobList: ConversationSummary[] = await bob.call('conversations.list', {});
  assert.equal(bobList.find((c) => c.id === gid)?.kind, 'group');

  // A plain member may not manage; the refusal is a sentence.
  await assert.rejects(bob.call('groups.removeMember', { groupId: gid, email: 'dave@acme.test' }), (err: Error) => err.message === 'Only group admins can remove members.');
  await assert.rejects(bob.call('groups.update', { groupId: gid, announcement: true }), /Only group admins can change the group settings/);
  const bobView: GroupView = await bob.call('groups.info', { groupId: gid });
  assert.equal(bobView.canManage, false);
  assert.equal(bobView.canPost, true);

  // alice makes bob an admin; bob removes dave and reads "You removed Dave Diaz." live.
  const promoted: GroupView = await alice.call('groups.setRole', { groupId: gid, email: 'bob@acme.test', role: 'admin' });
  assert.equal(promoted.members.find((m) => m.name === 'Bob Baker')?.role, 'admin');
  const afterRemove: GroupView = await bob.call('groups.removeMember', { groupId: gid, email: 'dave@acme.test' });
  assert.equal(afterRemove.memberCount, 2);
  assert.ok(bob.messages(gid).some((m) => m.direction === 'system' && m.text === 'You removed Dave Diaz.'), 'pushed right after the action');
  await until(() => alice.messages(gid).some((m) => m.text === 'Bob Baker removed Dave Diaz.'), 'alice sees the removal (periodic sync)');

  // dave: told he is out (periodic sync), and cannot send.
  await until(() => dave.messages(gid).some((m) => m.text === 'You are no longer a member of this group.'), 'dave is told');
  await assert.rejects(dave.call('messages.send', { conversationId: gid, text: 'still here?' }), /not a member/);
  await assert.rejects(dave.call('groups.info', { groupId: gid }), /not a member/);

  // Announcement: only admins post. bob (admin) may; demoted, he may not.
  const ann: GroupView = await alice.call('groups.update', { groupId: gid, announcement: true });
  assert.equal(ann.announcement, true);
  await bob.call('messages.send', { conversationId: gid, text: 'Admins only from now on' });
  await alice.call('groups.setRole', { groupId: gid, email: 'bob@acme.test', role: 'member' });
  const bobNow: GroupView = await bob.call('groups.info', { groupId: gid });
  assert.equal(bobNow.canPost, false);
  await assert.rejects(bob.call('messages.send', { conversationId: gid, text: 'hello?' }), /only admins can post/i);

  // Leaving: bob leaves, alice reads it.
  assert.equal(await bob.call('groups.leave', { groupId: gid }), null);
  await until(() => alice.messages(gid).some((m) => m.text === 'Bob Baker left.'), 'alice sees bob leave');

  // The org admins' list is refused to a plain user with a sentence.
  await assert.rejects(alice.call('admin.groups', {}), /only organization admins/);
});
