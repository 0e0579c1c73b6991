// Admin-governed encrypted groups through the client core, in-process against the real server, the real
// dev IdP and real SQLCipher profiles. What the server receives is captured by a recording proxy in front
// of it: after a member is removed (by an admin, or by SCIM deactivation), no envelope for any of their
// devices is produced, and an envelope meant for someone else is useless to them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/app.ts';
import type { GroupSendRequest } from '../../common/wire/groups.ts';
import { loginNewDevice, Messenger, UsageError, WipeRequestedError, type ReceivedMessage } from '../../electron/core/messenger.ts';
import { ApiError } from '../../electron/core/net/api.ts';
import { startRecordingProxy, type RecordingProxy } from './recording-proxy.ts';
import { devDevice, drain, startDevServer, tempDir } from './harness.ts';
import { waitFor } from '../support/wait-for.ts';

const SCIM_TOKEN = 'groups-e2e-scim-token-0123456789';
let server: RunningServer;
let proxy: RecordingProxy;
let root: string;
const open: Messenger[] = [];

before(async () => {
  root = tempDir('groups');
  server = await startDevServer(join(root, 'server'), 0, { scimToken: SCIM_TOKEN });
  proxy = await startRecordingProxy(server.url);
});
after(async () => {
  for (const m of open) { try { m.close(); } catch { /* closed by a wipe */ } }
  await proxy?.close();
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

let profiles = 0;
/** A signed-in device; `viaProxy`: everything it sends to the server passes the recording proxy. */
const device = (user: string, viaProxy = false) => devDevice(open, join(root, `${user}-${++profiles}`), viaProxy ? proxy.url : server.url, user);

/** The envelopes of every group send the server received for `groupId`, in order. */
function groupSendsReceived(groupId: string): GroupSendRequest[] {
  return proxy.requests
    .filter((r) => r.method === 'POST' && r.path === `/v1/groups/${groupId}/messages`)
    .map((r) => JSON.parse(r.body.toString('utf8')) as GroupSendRequest);
}

const systemTexts = (m: Messenger, conversationId: string) =>
  m.messages(conversationId).filter((x) => x.direction === 'system').map((x) => x.body);

async function scim(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${SCIM_TOKEN}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

test('group messages reach every member device; removal by any group admin is real; members cannot remove', async () => {
  const alice = await device('alice', true);
  const bob = await device('bob');
  const bob2 = await device('bob'); // a second device of bob's
  const dave = await device('dave');

  const g = await alice.createGroup('Launch crew', ['bob@acme.test', 'dave@acme.test']);
  assert.equal(g.role, 'owner');
  assert.equal(g.memberCount, 3);
  assert.deepEqual(g.members.map((m) => [m.email, m.role]).sort(), [['alice@acme.test', 'owner'], ['bob@acme.test', 'member'], ['dave@acme.test', 'member']]);

  const first = await alice.sendGroupText('Launch crew', 'kickoff at nine');
  assert.equal(first.devices, 3, 'bob ×2 and dave ×1');
  for (const m of [bob, bob2, dave]) {
    const got = await drain(m);
    assert.deepEqual(got.map((x) => [x.text, x.group, x.groupName, x.from]), [['kickoff at nine', g.id, 'Launch crew', 'alice@acme.test']]);
  }
  assert.ok(systemTexts(bob, g.id).includes('Alice Archer added you.'), `bob sees how he joined: ${systemTexts(bob, g.id).join(' | ')}`);
  const bodies = bob.messages(g.id).map((x) => x.body);
  assert.ok(bodies.indexOf('Alice Archer added you.') < bodies.indexOf('kickoff at nine'), `the chat reads in order: ${bodies.join(' | ')}`);

  // A plain member may not remove anyone: the server says 403 and nothing changes.
  await assert.rejects(bob.removeGroupMember(g.id, 'dave@acme.test'), (err: unknown) => err instanceof ApiError && err.status === 403);
  assert.equal((await alice.groupInfo(g.id)).memberCount, 3);

  // Any group admin — not only the creator — may remove once promoted.
  await alice.setGroupRole(g.id, 'bob@acme.test', 'admin');
  await bob.removeGroupMember(g.id, 'dave@acme.test');
  const before = groupSendsReceived(g.id).length;
  await alice.sendGroupText(g.id, 'plans without dave');
  const sends = groupSendsReceived(g.id);
  assert.equal(sends.length, before + 1, 'exactly one group send reached the server (alice had no stale device lists)');
  const last = sends.at(-1)!;
  assert.deepEqual(last.envelopes.map((e) => e.userId).sort(), [bob.me.userId, bob.me.userId].sort());
  assert.ok(!last.envelopes.some((e) => e.userId === dave.me.userId), 'no envelope for any device of the removed member');

  assert.deepEqual((await drain(dave)).map((x) => x.text), [], 'dave receives nothing more');
  // Even handed an envelope meant for bob (stamped for this group), dave's client cannot read it.
  const stolen = last.envelopes[0]!;
  const attempt = await dave.handleEnvelope({
    id: '990000001', sourceUser: alice.me.userId, sourceDevice: alice.me.deviceId, type: stolen.type, content: stolen.content,
    serverTimestamp: Date.now(), group: g.id,
  });
  assert.ok(attempt.rejected, 'rejected as undecryptable');
  assert.equal(attempt.message, undefined);

  assert.deepEqual((await drain(bob)).map((x) => x.text), ['plans without dave']);
  await bob.syncGroupEvents();
  assert.ok(systemTexts(bob, g.id).includes('You removed Dave Diaz.'), systemTexts(bob, g.id).join(' | '));
  assert.ok(systemTexts(bob, g.id).includes('Alice Archer made you a group admin.'), systemTexts(bob, g.id).join(' | '));
  await dave.syncGroupEvents();
  assert.ok(systemTexts(dave, g.id).includes('You are no longer a member of this group.'), systemTexts(dave, g.id).join(' | '));
  await assert.rejects(dave.sendGroupText(g.id, 'still here?'), UsageError);
});

test('a message cannot be slipped into a group through a 1:1 send', async () => {
  const alice = await device('alice');
  const bob = await device('bob');
  const g = await alice.createGroup('Real group', ['bob@acme.test']);
  await drain(bob);
  // A 1:1 envelope whose plaintext claims the group: the server did not relay it for the group.
  const sent = await alice.sendText('bob@acme.test', 'direct');
  assert.ok(sent.messageId);
  const got = await drain(bob);
  assert.deepEqual(got.map((x) => [x.text, x.group]), [['direct', undefined]]);
  // The reverse: an envelope claiming a group it was not relayed for is refused before decryption matters.
  const forged = await bob.handleEnvelope({
    id: '990000002', sourceUser: alice.me.userId, sourceDevice: alice.me.deviceId, type: 1, content: Buffer.from('x').toString('base64'),
    serverTimestamp: Date.now(), group: g.id,
  });
  assert.ok(forged.rejected);
});

test('announcement and confidential groups: who may post, who sees whom', async () => {
  const alice = await device('alice');
  const bob = await device('bob', true);
  const dave = await device('dave');
  const news = await alice.createGroup('Company news', ['bob@acme.test'], { announcement: true });
  assert.equal(news.announcement, true);
  await assert.rejects(bob.sendGroupText(news.id, 'can I post?'), /only admins can post/);
  await alice.sendGroupText(news.id, 'all hands friday');
  assert.deepEqual((await drain(bob)).map((x) => x.text), ['all hands friday']);

  const customer = await alice.createGroup('Customer X', ['bob@acme.test', 'dave@acme.test'], { confidential: true });
  const seenByBob = await bob.groupInfo(customer.id);
  assert.deepEqual(seenByBob.members.map((m) => m.email).sort(), ['alice@acme.test', 'bob@acme.test'], 'bob sees the admin and himself, not dave');
  assert.equal(seenByBob.memberCount, 3);
  // A plain member's post reaches the admins only.
  await bob.sendGroupText(customer.id, 'question for the admins');
  const addressed = new Set(groupSendsReceived(customer.id).at(-1)!.envelopes.map((e) => e.userId));
  assert.deepEqual([...addressed].sort(), [alice.me.userId, bob.me.userId].sort(), 'alice (admin) and bob\'s own other devices only');
  assert.deepEqual((await drain(dave)).map((x) => x.text), []);
  assert.deepEqual((await drain(alice)).map((x) => x.text), ['question for the admins']);
});

test('leaver: SCIM deactivation wipes the devices, removes them from every group, and the next message has no envelope for them', async () => {
  const alice = await device('alice', true);
  const carol = await device('carol');
  const dave = await device('dave');
  const g1 = await alice.createGroup('Ops', ['carol@acme.test', 'dave@acme.test']);
  const g2 = await carol.createGroup('Lunch', ['alice@acme.test', 'dave@acme.test']);
  await alice.sendGroupText(g1.id, 'before');
  assert.deepEqual((await drain(dave)).map((x) => x.text), ['before']);

  // Entra-style: find the user by userName, then PATCH active with the string "False".
  const list = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "dave@acme.test"')}`);
  assert.equal(list.totalResults, 1);
  await scim('PATCH', `/Users/${list.Resources[0].id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
  });

  await assert.rejects(drain(dave), WipeRequestedError, 'dave\'s device is told to wipe');
  for (const [m, g] of [[alice, g1], [carol, g2]] as const) {
    const info = await m.groupInfo(g.id);
    assert.ok(!info.members.some((x) => x.email === 'dave@acme.test'), `dave is out of ${g.name}`);
  }
  await alice.syncGroupEvents();
  assert.ok(systemTexts(alice, g1.id).includes('Dave Diaz left: account deactivated.'), systemTexts(alice, g1.id).join(' | '));
  assert.ok(systemTexts(alice, g2.id).includes('Dave Diaz left: account deactivated.'), systemTexts(alice, g2.id).join(' | '));

  await alice.sendGroupText(g1.id, 'after');
  await alice.sendGroupText(g2.id, 'after too');
  for (const g of [g1, g2]) {
    const last = groupSendsReceived(g.id).at(-1)!;
    const others = last.envelopes.filter((e) => e.userId !== alice.me.userId); // alice's own other devices get copies
    assert.deepEqual(others.map((e) => e.userId), [carol.me.userId], `only carol's device is addressed in ${g.name}`);
  }
  assert.deepEqual((await drain(carol)).map((x) => x.text).sort(), ['after', 'after too', 'before'].sort());
});

test('a recycled email is a new person to the client: no groups, no history, a new identity for contacts', async () => {
  const dir = tempDir('groups-reuse');
  const s = await startServer({ dataDir: join(dir, 'server'), port: 0, host: '127.0.0.1', devIdp: true, scimToken: SCIM_TOKEN, logger: false });
  const mine: Messenger[] = [];
  const login = async (name: string, user: string) => {
    const m = await loginNewDevice(join(dir, name), s.url, { kind: 'dev-user', username: user });
    mine.push(m);
    return m;
  };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${s.url}/scim/v2${path}`, {
      method, headers: { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' }, ...(body ? { body: JSON.stringify(body) } : {}),
    });
    assert.ok(res.ok, `${method} ${path} → ${res.status}`);
    return res.status === 204 ? undefined : await res.json() as any;
  };
  try {
    const alice = await login('alice', 'alice');
    const oldBob = await login('old-bob', 'bob');
    const g = await alice.createGroup('Team', ['bob@acme.test']);
    await alice.sendText('bob@acme.test', 'hi bob');
    await alice.markVerified('bob@acme.test');
    const oldBobId = oldBob.me.userId;

    // Bob leaves (Okta-style DELETE); a new hire later gets bob@acme.test with a different IdP identity.
    const found = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "bob@acme.test"')}`);
    await call('DELETE', `/Users/${found.Resources[0].id}`);
    const dave = (await import('../../server/dev-idp.ts')).DEV_ACCOUNTS.find((a) => a.username === 'dave')!;
    await call('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'bob@acme.test', externalId: dave.sub,
      displayName: 'Bob Newhire', emails: [{ value: 'bob@acme.test', primary: true }],
    });
    const newBob = await login('new-bob', 'dave');
    assert.equal(newBob.me.email, 'bob@acme.test');
    assert.notEqual(newBob.me.userId, oldBobId, 'a different person');

    assert.deepEqual(await newBob.listGroups(), [], 'no groups inherited');
    assert.ok(!(await alice.groupInfo(g.id)).members.some((m) => m.userId === newBob.me.userId));
    // alice writes to the address again: a new contact, unverified (not "changed": it is not bob's key that changed).
    const sn = await alice.safetyNumber('bob@acme.test');
    assert.equal(sn.contact.userId, newBob.me.userId);
    assert.equal(sn.contact.name, 'Bob Newhire');
    assert.equal(sn.status, 'unverified');
    const sent = await alice.sendText('bob@acme.test', 'welcome');
    assert.notEqual(sent.conversationId, alice.conversations().find((c) => c.peerUserId === oldBobId)?.id, 'a new conversation, not bob\'s');
    const got: ReceivedMessage[] = [];
    await newBob.receive({ onMessage: (x) => got.push(x) });
    assert.deepEqual(got.map((x) => x.text), ['welcome'], 'none of the old history');
  } finally {
    for (const m of mine) { try { m.close(); } catch { /* wiped */ } }
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('group changes are pushed: a running client learns within seconds that it was added and removed', async () => {
  const alice = await device('alice');
  const bob = await device('bob');
  const ac = new AbortController();
  let connected!: () => void;
  const online = new Promise<void>((resolve) => { connected = resolve; });
  const running = bob.receive({ stopAfterDrainMs: Infinity, signal: ac.signal, onConnectionChange: (up) => { if (up) connected(); } });
  // bob runs no periodic group sync here: the server's group-changed push is what tells him.
  const within5s = (what: string, ok: () => boolean) => waitFor(ok, { timeoutMs: 5000, what });
  try {
    await online; // bob's delivery socket is open, so the server can signal him
    const g = await alice.createGroup('Pushed', []);
    await alice.addGroupMember(g.id, 'bob@acme.test');
    await within5s('bob sees he was added', () => systemTexts(bob, g.id).includes('Alice Archer added you.'));
    assert.equal(bob.conversations().find((c) => c.id === g.id)?.title, 'Pushed');
    await alice.removeGroupMember(g.id, 'bob@acme.test');
    await within5s('bob sees he is out', () => systemTexts(bob, g.id).includes('You are no longer a member of this group.'));
  } finally {
    ac.abort();
    await running;
  }
});

test('directory-linked group: an org admin creates a group that follows an IdP group pushed over SCIM', async () => {
  const carol = await device('carol'); // org admin
  const alice = await device('alice');
  const bob = await device('bob');
  const idOf = async (email: string) => (await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).Resources[0].id as string;
  const engineering = await scim('POST', '/Groups', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering', members: [{ value: await idOf('alice@acme.test') }, { value: await idOf('bob@acme.test') }],
  });

  await assert.rejects(alice.createGroup('Eng chat', [], { directoryGroup: 'Engineering' }), /only organization admins can link/);
  await assert.rejects(carol.createGroup('Eng chat', [], { directoryGroup: 'Marketing' }), /no directory group named "Marketing"/);
  const g = await carol.createGroup('Eng chat', [], { directoryGroup: 'engineering' });
  assert.equal(g.scimGroupId, engineering.id);
  assert.deepEqual(g.members.map((m) => [m.email, m.role, m.viaScim]).sort(),
    [['alice@acme.test', 'member', true], ['bob@acme.test', 'member', true], ['carol@acme.test', 'owner', false]]);

  // The IdP drops bob from Engineering (Okta-style member remove): bob leaves the Parley group too.
  await scim('PATCH', `/Groups/${engineering.id}`, {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: `members[value eq "${await idOf('bob@acme.test')}"]` }],
  });
  const after = await carol.groupInfo(g.id);
  assert.deepEqual(after.members.map((m) => m.email).sort(), ['alice@acme.test', 'carol@acme.test']);
  await carol.sendGroupText(g.id, 'engineering only');
  assert.deepEqual((await drain(bob)).filter((x) => x.group === g.id).map((x) => x.text), []);
  assert.deepEqual((await drain(alice)).filter((x) => x.group === g.id).map((x) => x.text), ['engineering only']);
});
