// Admin-governed groups end to end: a real server, real dev-IdP sign-ins (carol is an org admin).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Value } from 'typebox/value';
import { DEV_ACCOUNTS } from '../../server/dev-idp.ts';
import { DeviceMismatch } from '../../common/wire/schemas.ts';
import { GroupEvents, GroupInfo, GroupList } from '../../common/wire/groups.ts';
import { URN } from '../../common/wire/scim.ts';
import { activeDevice, api, startTestServer, strictlyIncreasingClock, type Registered, type TestServer } from './helpers.ts';
import { ErrorCode } from '../../common/errors.ts';

const TOKEN = 'scim-test-token-0123456789abcdef';
const sub = (username: string) => DEV_ACCOUNTS.find((a) => a.username === username)!.sub;

let server: TestServer;
let alice: Registered;
let bob: Registered;
let carol: Registered;
let dave: Registered;

before(async () => {
  // Event times and join times never share a millisecond (the history test depends on that order).
  server = await startTestServer({ now: strictlyIncreasingClock() });
  [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => activeDevice(server.url, u))) as
    [Registered, Registered, Registered, Registered];
});
after(async () => { await server.cleanup(); });

const call = (dev: Registered, method: string, path: string, body?: unknown) =>
  api(server.url, method, path, { auth: dev.auth, ...(body !== undefined ? { body } : {}) });

async function createGroup(by: Registered, body: Record<string, unknown>): Promise<GroupInfo> {
  const res = await call(by, 'POST', '/v1/groups', body);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.ok(Value.Check(GroupInfo, res.body), JSON.stringify(res.body));
  return res.body;
}

const envelope = (dev: Registered) => ({
  userId: dev.userId, deviceId: dev.deviceId, registrationId: dev.registrationId, type: 1 as const,
  content: Buffer.from(`for ${dev.userId}`).toString('base64'),
});

/** Frames a device's socket receives until the queue is drained (envelopes acked, so they are gone). */
function drain(dev: Registered, srv: TestServer = server): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${srv.url.replace('http', 'ws')}/v1/ws`, { headers: dev.auth });
    const frames: any[] = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.type === 'queue-empty') { ws.close(); resolve(frames); return; }
      frames.push(f);
      if (f.type === 'envelope') ws.send(JSON.stringify({ type: 'ack', id: f.envelope.id }));
    });
    ws.once('error', reject);
  });
}

test('create, list and info; the creator is owner; members and events', async () => {
  const g = await createGroup(alice, { name: ' Project X ', members: [bob.userId, dave.userId, alice.userId] });
  assert.match(g.id, /^g_[A-Za-z0-9_-]{22}$/);
  assert.equal(g.name, 'Project X');
  assert.equal(g.role, 'owner');
  assert.equal(g.createdBy, alice.userId);
  assert.deepEqual(g.members.map((m) => [m.userId, m.role]), [[alice.userId, 'owner'], [bob.userId, 'member'], [dave.userId, 'member']]);
  assert.equal(g.memberCount, 3);

  const list = await call(bob, 'GET', '/v1/groups');
  assert.equal(list.status, 200);
  assert.ok(Value.Check(GroupList, list.body));
  assert.deepEqual(list.body.groups.filter((x: any) => x.id === g.id).map((x: any) => x.role), ['member']);
  assert.equal((await call(carol, 'GET', '/v1/groups')).body.groups.some((x: any) => x.id === g.id), false, 'carol is not a member');

  const info = await call(bob, 'GET', `/v1/groups/${g.id}`);
  assert.equal(info.status, 200);
  assert.equal(info.body.canManage, false);
  assert.equal(info.body.canPost, true);
  assert.equal(info.body.members.length, 3);

  // Org admins see any group without being a member; outsiders do not.
  const asOrgAdmin = await call(carol, 'GET', `/v1/groups/${g.id}`);
  assert.equal(asOrgAdmin.status, 200);
  assert.equal(asOrgAdmin.body.role, null);
  assert.equal(asOrgAdmin.body.canManage, true);
  assert.equal((await call(carol, 'GET', `/v1/groups/${g.id}/events`)).error?.code, ErrorCode.not_a_member);
  assert.equal((await call(alice, 'GET', '/v1/groups/g_AAAAAAAAAAAAAAAAAAAAAA')).status, 404);
  assert.equal((await call(alice, 'GET', '/v1/groups/nope')).status, 400);

  const events = await call(bob, 'GET', `/v1/groups/${g.id}/events`);
  assert.equal(events.status, 200);
  assert.ok(Value.Check(GroupEvents, events.body), JSON.stringify(events.body));
  assert.deepEqual(events.body.events.map((e: any) => [e.seq, e.kind, e.actor, e.subject]), [
    [1, 'created', alice.userId, null], [2, 'added', alice.userId, bob.userId], [3, 'added', alice.userId, dave.userId],
  ]);
  assert.deepEqual((await call(bob, 'GET', `/v1/groups/${g.id}/events?after=2`)).body.events.map((e: any) => e.seq), [3]);

  // Unknown or bad members.
  const bad = await call(alice, 'POST', '/v1/groups', { name: 'x', members: ['u_AAAAAAAAAAAAAAAAAAAAAA'] });
  assert.equal(bad.status, 404);
  assert.equal(bad.error?.code, ErrorCode.unknown_user);
  assert.equal((await call(alice, 'POST', '/v1/groups', { name: '   ', members: [] })).status, 400);
  assert.equal((await call(alice, 'POST', `/v1/groups/${g.id}/members`, { userId: bob.userId })).error?.code, ErrorCode.already_member);
  // Only org admins may link a group to the directory.
  assert.equal((await call(alice, 'POST', '/v1/groups', { name: 'x', members: [], scimGroupId: 'abc' })).status, 403);
});

test('governance: members may only leave; group admins (not only the creator) and org admins manage', async () => {
  const g = await createGroup(alice, { name: 'Ops', members: [bob.userId, dave.userId] });
  const del = (by: Registered, who: Registered) => call(by, 'DELETE', `/v1/groups/${g.id}/members/${who.userId}`);

  // A plain member cannot remove, add, promote or change settings.
  let res = await del(bob, dave);
  assert.equal(res.status, 403);
  assert.equal(res.error?.code, ErrorCode.forbidden);
  assert.equal((await call(bob, 'POST', `/v1/groups/${g.id}/members`, { userId: carol.userId })).status, 403);
  assert.equal((await call(bob, 'POST', `/v1/groups/${g.id}/roles`, { userId: bob.userId, role: 'admin' })).status, 403);
  assert.equal((await call(bob, 'PATCH', `/v1/groups/${g.id}`, { name: 'Mine' })).status, 403);
  // An outsider gets not_a_member.
  res = await call(carol, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [] });
  assert.equal(res.status, 403);
  assert.equal(res.error?.code, ErrorCode.not_a_member);

  // The owner promotes bob; bob (an admin, not the creator) removes dave, and may even demote the owner.
  res = await call(alice, 'POST', `/v1/groups/${g.id}/roles`, { userId: bob.userId, role: 'admin' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.members.find((m: any) => m.userId === bob.userId).role, 'admin');
  assert.equal((await del(bob, dave)).status, 204);
  res = await call(bob, 'POST', `/v1/groups/${g.id}/roles`, { userId: alice.userId, role: 'member' });
  assert.equal(res.body.members.find((m: any) => m.userId === alice.userId).role, 'member');
  assert.equal((await del(alice, bob)).status, 403, 'the demoted creator has no power left');
  assert.equal((await call(bob, 'POST', `/v1/groups/${g.id}/roles`, { userId: dave.userId, role: 'admin' })).error?.code, ErrorCode.unknown_member);

  // Carol (org admin, not a member) adds dave back, renames, then removes alice.
  res = await call(carol, 'POST', `/v1/groups/${g.id}/members`, { userId: dave.userId });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  res = await call(carol, 'PATCH', `/v1/groups/${g.id}`, { name: 'Operations', announcement: true });
  assert.equal(res.status, 200);
  assert.equal(res.body.name, 'Operations');
  assert.equal(res.body.announcement, true);
  assert.equal((await del(carol, alice)).status, 204);
  assert.equal((await call(alice, 'GET', `/v1/groups/${g.id}`)).error?.code, ErrorCode.not_a_member);

  // Dave leaves by himself.
  assert.equal((await del(dave, dave)).status, 204);
  const events = (await call(bob, 'GET', `/v1/groups/${g.id}/events`)).body.events.map((e: any) => [e.kind, e.actor, e.subject]);
  assert.deepEqual(events.slice(3), [
    ['promoted', alice.userId, bob.userId], ['removed', bob.userId, dave.userId], ['demoted', bob.userId, alice.userId],
    ['added', carol.userId, dave.userId], ['settings', carol.userId, null], ['removed', carol.userId, alice.userId],
    ['left', dave.userId, dave.userId],
  ]);
});

test('confidential: plain members see the admins only, admins see everyone, posts go to the admins', async () => {
  const g = await createGroup(alice, { name: 'Whistle', members: [bob.userId, dave.userId], confidential: true });
  const asBob = await call(bob, 'GET', `/v1/groups/${g.id}`);
  assert.deepEqual(asBob.body.members.map((m: any) => m.userId).sort(), [alice.userId, bob.userId].sort(), 'admins and self only');
  assert.equal(asBob.body.memberCount, 3);
  assert.equal((await call(alice, 'GET', `/v1/groups/${g.id}`)).body.members.length, 3);
  assert.equal((await call(carol, 'GET', `/v1/groups/${g.id}`)).body.members.length, 3);
  // Events do not reveal the other members either.
  const ev = (await call(bob, 'GET', `/v1/groups/${g.id}/events`)).body;
  assert.equal(ev.events.some((e: any) => e.subject === dave.userId), false);
  assert.equal(ev.next, 3);

  // A member's post reaches the admins only; the 409 device lists never name other members.
  let res = await call(bob, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [] });
  assert.equal(res.status, 409);
  assert.ok(Value.Check(DeviceMismatch, res.body));
  assert.deepEqual(Object.keys(res.body.devices).sort(), [alice.userId, bob.userId].sort());
  res = await call(bob, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [envelope(alice)] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  // An admin's post reaches everyone.
  res = await call(alice, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [envelope(bob)] });
  assert.equal(res.status, 409);
  assert.deepEqual(res.body.missing, [{ userId: dave.userId, deviceId: dave.deviceId }]);
  await Promise.all([alice, bob, dave].map((d) => drain(d)));
});

test('announcement groups: members may not post, admins may', async () => {
  const g = await createGroup(carol, { name: 'News', members: [alice.userId, bob.userId], announcement: true });
  let res = await call(bob, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [envelope(alice), envelope(carol)] });
  assert.equal(res.status, 403);
  assert.equal(res.error?.code, ErrorCode.announcement_only);
  assert.equal((await call(bob, 'GET', `/v1/groups/${g.id}`)).body.canPost, false);
  res = await call(carol, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [envelope(alice), envelope(bob)] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(typeof res.body.serverTimestamp, 'number');
  const frames = await drain(bob);
  assert.deepEqual(frames.map((f) => [f.type, f.envelope.sourceUser, Buffer.from(f.envelope.content, 'base64').toString()]),
    [['envelope', carol.userId, `for ${bob.userId}`]]);
  await drain(alice);
});

test('removal is real: a removed member gets nothing, and envelopes for them are refused', async () => {
  const g = await createGroup(alice, { name: 'Core', members: [bob.userId, dave.userId] });
  assert.equal((await call(alice, 'DELETE', `/v1/groups/${g.id}/members/${bob.userId}`)).status, 204);
  let res = await call(alice, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [envelope(bob), envelope(dave)] });
  assert.equal(res.status, 409);
  assert.equal(res.error?.code, ErrorCode.mismatched_devices);
  assert.deepEqual(res.body.extra, [{ userId: bob.userId, deviceId: bob.deviceId }]);
  assert.equal(res.body.devices[bob.userId], undefined);
  // Stale registration ids → 410, as for 1:1.
  res = await call(alice, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [{ ...envelope(dave), registrationId: (dave.registrationId % 16000) + 1 }] });
  assert.equal(res.status, 410);
  assert.deepEqual(res.body.stale, [{ userId: dave.userId, deviceId: dave.deviceId }]);
  res = await call(alice, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [envelope(dave)] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(await drain(bob), []);
  assert.equal((await drain(dave)).length, 1);
  // Bob can no longer send or read the log.
  assert.equal((await call(bob, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [envelope(alice)] })).error?.code, ErrorCode.not_a_member);
  assert.equal((await call(bob, 'GET', `/v1/groups/${g.id}/events`)).status, 403);
  // Duplicate envelopes and oversized sends are refused.
  res = await call(alice, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: [envelope(dave), envelope(dave)] });
  assert.equal(res.error?.code, ErrorCode.duplicate_device);
  res = await call(alice, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: Array.from({ length: 1001 }, () => envelope(dave)) });
  assert.equal(res.status, 400);
  // The group route takes bodies beyond the 1 MiB of the rest of the API (many recipients × devices).
  const big = { ...envelope(dave), content: Buffer.alloc(60 * 1024, 1).toString('base64') };
  res = await call(alice, 'POST', `/v1/groups/${g.id}/messages`, { envelopes: Array.from({ length: 20 }, (_, i) => ({ ...big, deviceId: 100 + i })) });
  assert.equal(res.status, 409, 'a ~1.6 MB group send reaches the device check');
});

async function scim(srv: TestServer, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${srv.url}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const scimUser = async (srv: TestServer, username: string): Promise<string> => {
  const res = await scim(srv, 'POST', '/Users', {
    schemas: [URN.user], userName: `${username}@acme.test`, externalId: sub(username), displayName: username,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
};

test('SCIM: a deactivated user leaves every group; directory-linked groups follow the SCIM group', async () => {
  const s = await startTestServer({ scimToken: TOKEN });
  try {
    const ids = Object.fromEntries(await Promise.all(['alice', 'bob', 'carol', 'dave'].map(async (u) => [u, await scimUser(s, u)])));
    const [a, b, c, d] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => activeDevice(s.url, u))) as
      [Registered, Registered, Registered, Registered];
    const sc = (dev: Registered, method: string, path: string, body?: unknown) =>
      api(s.url, method, path, { auth: dev.auth, ...(body !== undefined ? { body } : {}) });

    // Leaver.
    let res = await sc(a, 'POST', '/v1/groups', { name: 'Team', members: [b.userId, d.userId] });
    assert.equal(res.status, 201);
    const team = res.body.id;
    res = await scim(s, 'PATCH', `/Users/${ids.bob}`, { schemas: [URN.patchOp], Operations: [{ op: 'Replace', path: 'active', value: false }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const info = (await sc(a, 'GET', `/v1/groups/${team}`)).body;
    assert.deepEqual(info.members.map((m: any) => m.userId), [a.userId, d.userId]);
    const events = (await sc(d, 'GET', `/v1/groups/${team}/events`)).body.events;
    assert.deepEqual(events.at(-1), { seq: 4, at: events.at(-1).at, kind: 'deactivated', actor: 'scim', subject: b.userId });
    res = await sc(a, 'POST', `/v1/groups/${team}/members`, { userId: b.userId });
    assert.equal(res.status, 404, 'a deactivated user cannot be added back');

    // Directory-linked group: only org admins link; membership follows the SCIM group.
    const sg = await scim(s, 'POST', '/Groups', { schemas: [URN.group], displayName: 'Engineering', members: [{ value: ids.alice }] });
    assert.equal(sg.status, 201, JSON.stringify(sg.body));
    const sgid: string = sg.body.id;
    assert.equal((await sc(a, 'POST', '/v1/groups', { name: 'Eng', members: [], scimGroupId: sgid })).status, 403);
    assert.equal((await sc(c, 'POST', '/v1/groups', { name: 'Eng', members: [], scimGroupId: 'nope' })).error?.code, ErrorCode.unknown_scim_group);
    res = await sc(c, 'POST', '/v1/groups', { name: 'Eng', members: [], scimGroupId: sgid });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const eng = res.body.id;
    assert.equal(res.body.scimGroupId, sgid);
    assert.deepEqual(res.body.members.map((m: any) => [m.userId, m.role, m.viaScim]), [[c.userId, 'owner', false], [a.userId, 'member', true]]);

    res = await scim(s, 'PATCH', `/Groups/${sgid}`, { schemas: [URN.patchOp], Operations: [{ op: 'add', path: 'members', value: [{ value: ids.dave }] }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual((await sc(c, 'GET', `/v1/groups/${eng}`)).body.members.map((m: any) => m.userId), [c.userId, a.userId, d.userId]);
    // Directory members cannot leave or be removed by hand.
    res = await sc(d, 'DELETE', `/v1/groups/${eng}/members/${d.userId}`);
    assert.equal(res.status, 409);
    assert.equal(res.error?.code, ErrorCode.directory_managed);
    res = await scim(s, 'PATCH', `/Groups/${sgid}`, {
      schemas: [URN.patchOp], Operations: [{ op: 'Remove', path: 'members', value: [{ value: ids.alice }] }],
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual((await sc(c, 'GET', `/v1/groups/${eng}`)).body.members.map((m: any) => m.userId), [c.userId, d.userId]);
    assert.equal((await sc(a, 'GET', '/v1/groups')).body.groups.some((g: any) => g.id === eng), false);
    const engEvents = (await sc(c, 'GET', `/v1/groups/${eng}/events`)).body.events.map((e: any) => [e.kind, e.actor, e.subject]);
    assert.deepEqual(engEvents, [
      ['created', c.userId, null], ['added', 'scim', a.userId], ['added', 'scim', d.userId], ['removed', 'scim', a.userId],
    ]);
    // dave joined later: his history starts with his own arrival.
    const daveEvents = (await sc(d, 'GET', `/v1/groups/${eng}/events`)).body.events.map((e: any) => [e.kind, e.actor, e.subject]);
    assert.deepEqual(daveEvents, [['added', 'scim', d.userId], ['removed', 'scim', a.userId]]);
    // A deactivated SCIM member is never (re-)added by the directory sync.
    await scim(s, 'PATCH', `/Groups/${sgid}`, { schemas: [URN.patchOp], Operations: [{ op: 'add', path: 'members', value: [{ value: ids.bob }] }] });
    assert.equal((await sc(c, 'GET', `/v1/groups/${eng}`)).body.members.some((m: any) => m.userId === b.userId), false);
    // Deleting the SCIM group unlinks; the members stay as ordinary members.
    assert.equal((await scim(s, 'DELETE', `/Groups/${sgid}`)).status, 204);
    const unlinked = (await sc(c, 'GET', `/v1/groups/${eng}`)).body;
    assert.equal(unlinked.scimGroupId, undefined);
    assert.deepEqual(unlinked.members.map((m: any) => [m.userId, m.viaScim]), [[c.userId, false], [d.userId, false]]);
    assert.equal((await sc(d, 'DELETE', `/v1/groups/${eng}/members/${d.userId}`)).status, 204);
  } finally {
    await s.cleanup();
  }
});

test('events: a member sees the history from when they joined, not who came and went before', async () => {
  const g = await createGroup(alice, { name: 'History', members: [bob.userId] });
  assert.equal((await call(alice, 'POST', `/v1/groups/${g.id}/members`, { userId: dave.userId })).status, 200);
  assert.equal((await call(alice, 'DELETE', `/v1/groups/${g.id}/members/${dave.userId}`)).status, 204);
  assert.equal((await call(alice, 'POST', `/v1/groups/${g.id}/members`, { userId: carol.userId })).status, 200);
  const seen = async (who: Registered) => (await call(who, 'GET', `/v1/groups/${g.id}/events`)).body.events.map((e: any) => [e.kind, e.subject]);
  assert.deepEqual(await seen(carol), [['added', carol.userId]], 'carol learns nothing of dave');
  assert.deepEqual(await seen(bob), [['created', null], ['added', bob.userId], ['added', dave.userId], ['removed', dave.userId], ['added', carol.userId]]);
});
