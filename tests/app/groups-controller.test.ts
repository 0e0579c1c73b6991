// The app controller's group methods (common/app-api/contract.ts): the dispatcher refuses malformed input
// before any handler runs, and on real parts (dev server, dev IdP, SQLCipher profiles) group chats reach the
// UI as events — messages with sender names, system messages from the group's event log, refusals as sentences —
// and an org admin lists the directory (SCIM) groups and creates, unlinks and relinks a group that follows one.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/app.ts';
import type { AppEvent, ConversationSummary, GroupView, MessageView } from '../../common/app-api/contract.ts';
import { AppController, BadCallError, createDispatcher } from '../../electron/app/controller.ts';
import { defaultVault, loginNewDevice } from '../../electron/core/messenger.ts';
import { tempDir } from '../e2e/harness.ts';
import { waitFor } from '../support/wait-for.ts';

const SCIM_TOKEN = 'app-groups-scim-token-0123456789';

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
  server = await startServer({
    dataDir: join(root, 'server'), port: 0, host: '127.0.0.1', devIdp: true, scimToken: SCIM_TOKEN,
    logger: process.env.PARLEY_TEST_LOG ? { level: 'error' } : false,
  });
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
  await waitFor(() => c.getState().connection === 'online', { timeoutMs: 15_000, what: `${user} online` });
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
    ['groups.update', { groupId: gid, scimGroupId: '' }],
    ['groups.update', { groupId: gid, scimGroupId: 'two words' }],
    ['groups.update', { groupId: gid, scimGroupId: 'x'.repeat(65) }],
    ['groups.update', { groupId: gid, scimGroupId: 7 }],
    ['groups.create', { name: 'X', emails: [], announcement: false, confidential: false, directoryGroup: '' }],
    ['groups.create', { name: 'X', emails: [], announcement: false, confidential: false, directoryGroup: 'Eng team' }],
    ['groups.create', { name: 'X', emails: [], announcement: false, confidential: false, directoryGroup: '../Users' }],
    ['groups.create', { name: 'X', emails: [], announcement: false, confidential: false, directoryGroup: 'x'.repeat(65) }],
    ['groups.create', { name: 'X', emails: [], announcement: false, confidential: false, directoryGroup: null }],
    ['admin.directoryGroups', { all: true }],
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
  await assert.rejects(call('groups.create', { name: 'X', emails: [], announcement: false, confidential: false, directoryGroup: 'a1b2-C3_d4' }), /not ready/);
  await assert.rejects(call('groups.update', { groupId: gid, scimGroupId: null }), /not ready/);
  await assert.rejects(call('groups.update', { groupId: gid, scimGroupId: 'a1b2-C3_d4' }), /not ready/);
  await assert.rejects(call('admin.directoryGroups', {}), /not ready/);
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
  await waitFor(() => bob.messages(gid).some((m) => m.text === 'Kick-off at 10'), { timeoutMs: 15_000, what: 'bob receives the group message' });
  const got = bob.messages(gid).find((m) => m.text === 'Kick-off at 10')!;
  assert.equal(got.direction, 'in');
  assert.equal(got.senderName, 'Alice Archer');
  await waitFor(() => bob.messages(gid).some((m) => m.direction === 'system' && m.text === 'Alice Archer added you.'), { timeoutMs: 15_000, what: 'bob sees "added you"' });
  const bobList: ConversationSummary[] = await bob.call('conversations.list', {});
  assert.equal(bobList.find((c) => c.id === gid)?.kind, 'group');

  // The conversation list's preview names the sender in a group: the sender's name for the others, "You" for
  // the sender; system messages read as they are. Direct chats keep the plain text.
  const previewOf = async (p: Person, id = gid) => ((await p.call('conversations.list', {})) as ConversationSummary[]).find((c) => c.id === id)?.preview;
  await alice.call('messages.send', { conversationId: gid, text: 'Agenda is in the doc' });
  await waitFor(() => bob.messages(gid).some((m) => m.text === 'Agenda is in the doc'), { timeoutMs: 15_000, what: 'bob receives the second group message' });
  assert.equal(await previewOf(bob), 'Alice Archer: Agenda is in the doc');
  assert.equal(await previewOf(alice), 'You: Agenda is in the doc');
  const direct: ConversationSummary = await alice.call('conversations.open', { email: 'bob@acme.test' });
  await alice.call('messages.send', { conversationId: direct.id, text: 'Lunch later?' });
  assert.equal(await previewOf(alice, direct.id), 'Lunch later?');
  await waitFor(() => bob.events.some((e) => e.type === 'message' && e.message.direction === 'in' && e.message.text === 'Lunch later?'), { timeoutMs: 15_000, what: 'bob receives the direct message' });
  const bobDirect = ((await bob.call('conversations.list', {})) as ConversationSummary[]).find((c) => c.kind === 'direct' && c.title === 'Alice Archer');
  assert.equal(bobDirect?.preview, 'Lunch later?');

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
  assert.equal(await previewOf(bob), 'You removed Dave Diaz.');
  await waitFor(() => alice.messages(gid).some((m) => m.text === 'Bob Baker removed Dave Diaz.'), { timeoutMs: 15_000, what: 'alice sees the removal (periodic sync)' });

  // dave: told he is out (periodic sync), and cannot send.
  await waitFor(() => dave.messages(gid).some((m) => m.text === 'You are no longer a member of this group.'), { timeoutMs: 15_000, what: 'dave is told' });
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
  await waitFor(() => alice.messages(gid).some((m) => m.text === 'Bob Baker left.'), { timeoutMs: 15_000, what: 'alice sees bob leave' });

  // The org admins' list is refused to a plain user with a sentence.
  await assert.rejects(alice.call('admin.groups', {}), /only organization admins/);
});

async function scim(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}/scim/v2${path}`, {
    method, headers: { authorization: `Bearer ${SCIM_TOKEN}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  assert.ok(res.ok, `SCIM ${method} ${path}: ${res.status}`);
  return res.status === 204 ? null : res.json();
}

test('directory-linked groups through the controller: org admins list SCIM groups, create, unlink and relink', async () => {
  const carol = people.find((p) => p.c.getState().me?.email === 'carol@acme.test') ?? await person('carol'); // org admin
  const alice = people.find((p) => p.c.getState().me?.email === 'alice@acme.test') ?? await person('alice');
  const bob = people.find((p) => p.c.getState().me?.email === 'bob@acme.test') ?? await person('bob');
  const idOf = async (email: string) => (await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).Resources[0].id as string;
  const design = await scim('POST', '/Groups', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Design', members: [{ value: await idOf('alice@acme.test') }, { value: await idOf('bob@acme.test') }],
  });

  assert.deepEqual(await carol.call('admin.directoryGroups', {}), [{ id: design.id, displayName: 'Design', memberCount: 2 }]);
  await assert.rejects(alice.call('admin.directoryGroups', {}), /only organization admins/);
  await assert.rejects(
    alice.call('groups.create', { name: 'Design chat', emails: [], announcement: false, confidential: false, directoryGroup: design.id }),
    /only organization admins can link a group to the company directory/i,
  );

  // No hand-picked members: the directory brings alice and bob in, and they cannot be removed by hand.
  const g: GroupView = await carol.call('groups.create', { name: 'Design chat', emails: [], announcement: false, confidential: false, directoryGroup: design.id });
  assert.equal(g.scimGroupId, design.id);
  assert.deepEqual(g.members.map((m) => [m.email, m.role, m.viaScim]).sort(),
    [['alice@acme.test', 'member', true], ['bob@acme.test', 'member', true], ['carol@acme.test', 'owner', false]]);
  await assert.rejects(carol.call('groups.removeMember', { groupId: g.id, email: 'bob@acme.test' }), /through the company directory: change the directory group instead/);
  await assert.rejects(bob.call('groups.leave', { groupId: g.id }), /only the directory can take you out/);
  const bobView: GroupView = await bob.call('groups.info', { groupId: g.id });
  assert.equal(bobView.scimGroupId, design.id);
  assert.equal(bobView.members.find((m) => m.you)?.viaScim, true);

  // A group admin who is not an org admin may not change the link.
  await carol.call('groups.setRole', { groupId: g.id, email: 'alice@acme.test', role: 'admin' });
  await assert.rejects(alice.call('groups.update', { groupId: g.id, scimGroupId: null }), (err: Error) => err.message === 'Only organization admins can link a group to the company directory.');

  // Unlinked: the members stay and become removable; relinked: the directory manages them again.
  const unlinked: GroupView = await carol.call('groups.update', { groupId: g.id, scimGroupId: null });
  assert.equal(unlinked.scimGroupId, undefined);
  assert.equal(unlinked.memberCount, 3);
  const relinked: GroupView = await carol.call('groups.update', { groupId: g.id, scimGroupId: design.id });
  assert.equal(relinked.scimGroupId, design.id);
  await assert.rejects(carol.call('groups.update', { groupId: g.id, scimGroupId: 'no-such-group' }), /directory group no longer exists/);
});
