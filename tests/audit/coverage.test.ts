// Item 4 of issue #14: every admin act, SCIM write, device registration and removal reaches the audit log, with
// who did it to what — and acts that need no org-admin powers (a person's own group) do not clutter it. The
// finished chain verifies. A real server with the dev IdP and SCIM, over HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAuditChain } from '../../server/audit.ts';
import { activeDevice, api, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';
import { TOKEN, scim } from '../server/scim-helpers.ts';

let server: TestServer;
let alice: Registered, bob: Registered, carol: Registered, dave: Registered;

before(async () => {
  server = await startTestServer({ scimToken: TOKEN });
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
  carol = await activeDevice(server.url, 'carol'); // org admin (dev IdP groups claim)
  dave = await activeDevice(server.url, 'dave');
});
after(async () => { await server.cleanup(); });

/** The whole log, oldest first (paging with ?before=). */
async function log(): Promise<any[]> {
  const all: any[] = [];
  for (let before: number | undefined; ;) {
    const res = await api(server.url, 'GET', `/v1/admin/audit?limit=1000${before ? `&before=${before}` : ''}`, { auth: carol.auth });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    all.push(...res.body.entries);
    if (res.body.entries.length < 1000) break;
    before = res.body.entries.at(-1).id;
  }
  return all.reverse();
}

/** Entries added while `fn` ran. */
async function during(fn: () => Promise<void>): Promise<any[]> {
  const start = (await log()).length;
  await fn();
  return (await log()).slice(start);
}

const ok = (res: { status: number; body: unknown }, status = 200) => assert.equal(res.status, status, JSON.stringify(res.body));

test('sign-up: each device registration and each account made at first sign-in is audited, by the person', async () => {
  const entries = await log();
  for (const [dev, email] of [[alice, 'alice@acme.test'], [bob, 'bob@acme.test'], [carol, 'carol@acme.test'], [dave, 'dave@acme.test']] as const) {
    const reg = entries.find((e) => e.action === 'device registered' && e.target.userId === dev.userId);
    assert.ok(reg, `no registration entry for ${email}`);
    assert.deepEqual(reg.actor, { userId: dev.userId, email });
    assert.deepEqual(reg.target, { userId: dev.userId, email, deviceId: dev.deviceId });
    assert.equal(reg.details.name, `${email.split('@')[0]}'s laptop`);
    const made = entries.find((e) => e.action === 'user created' && e.target.userId === dev.userId);
    assert.equal(made?.target.kind, 'user');
  }
});

test('SCIM: create, update, deactivate and delete of users and groups are audited with actor "scim"', async () => {
  let userId = '';
  let groupId = '';
  const added = await during(async () => {
    const created = await scim(server, 'POST', '/Users', { body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'erin@acme.test', externalId: 'erin-1', name: { givenName: 'Erin', familyName: 'Evans' }, active: true } });
    ok(created, 201);
    userId = created.body.id;
    ok(await scim(server, 'PATCH', `/Users/${userId}`, { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: 'Analyst' }] } }));
    ok(await scim(server, 'PATCH', `/Users/${userId}`, { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] } }));
    const group = await scim(server, 'POST', '/Groups', { body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Finance', members: [{ value: userId }] } });
    ok(group, 201);
    groupId = group.body.id;
    ok(await scim(server, 'PUT', `/Groups/${groupId}`, { body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Finance EMEA', members: [] } }));
    ok(await scim(server, 'DELETE', `/Groups/${groupId}`), 204);
    ok(await scim(server, 'DELETE', `/Users/${userId}`), 204);
  });
  assert.deepEqual(added.map((e) => e.action), [
    'scim user created', 'scim user updated', 'scim user deactivated', 'scim group created', 'scim group updated', 'scim group deleted', 'scim user deleted',
  ]);
  for (const e of added) assert.deepEqual(e.actor, { userId: null, email: 'scim' });
  assert.deepEqual(added[0].target, { kind: 'scim-user', id: userId, userId: '', email: 'erin@acme.test', deviceId: null });
  assert.equal(added[0].details.userName, 'erin@acme.test');
  assert.equal(added[2].details.active, false);
  assert.deepEqual([added[3].target.kind, added[3].target.id, added[3].details.displayName], ['scim-group', groupId, 'Finance']);
  assert.equal(added[4].details.displayName, 'Finance EMEA');
});

test('org admins acting on a group they do not manage are audited; a person\'s own group acts are not', async () => {
  let groupId = '';
  const own = await during(async () => {
    const res = await api(server.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: 'Lunch club', members: [bob.userId] } });
    ok(res, 201);
    groupId = res.body.id;
    ok(await api(server.url, 'POST', `/v1/groups/${groupId}/roles`, { auth: alice.auth, body: { userId: bob.userId, role: 'admin' } }));
  });
  assert.deepEqual(own, [], 'the owner managing their own group is in the group event log, not the audit log');

  const byAdmin = await during(async () => {
    ok(await api(server.url, 'POST', `/v1/groups/${groupId}/members`, { auth: carol.auth, body: { userId: dave.userId } }));
    ok(await api(server.url, 'POST', `/v1/groups/${groupId}/roles`, { auth: carol.auth, body: { userId: dave.userId, role: 'admin' } }));
    ok(await api(server.url, 'PATCH', `/v1/groups/${groupId}`, { auth: carol.auth, body: { announcement: true } }));
    ok(await api(server.url, 'DELETE', `/v1/groups/${groupId}/members/${dave.userId}`, { auth: carol.auth }), 204);
  });
  assert.deepEqual(byAdmin.map((e) => e.action), ['group member added', 'group role changed', 'group settings changed', 'group member removed']);
  for (const e of byAdmin) {
    assert.deepEqual(e.actor, { userId: carol.userId, email: 'carol@acme.test' });
    assert.equal(e.target.kind, 'group');
    assert.equal(e.target.id, groupId);
    assert.equal(e.details.group, 'Lunch club');
  }
  assert.equal(byAdmin[0].target.email, 'dave@acme.test');
  assert.equal(byAdmin[1].details.role, 'admin');
  assert.equal(byAdmin[2].details.announcement, true);

  // Linking a group to the directory is an org-admin power whoever does it.
  const directory = await scim(server, 'POST', '/Groups', { body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales', members: [] } });
  ok(directory, 201);
  const linked = await during(async () => {
    ok(await api(server.url, 'POST', '/v1/groups', { auth: carol.auth, body: { name: 'Sales team', members: [], scimGroupId: directory.body.id } }), 201);
  });
  assert.deepEqual(linked.filter((e) => e.action === 'group created').map((e) => [e.details.group, e.details.scimGroupId]), [['Sales team', directory.body.id]]);
});

test('device removals: an admin wipe and revoke, and an owner removing their device, each leave an entry', async () => {
  const added = await during(async () => {
    ok(await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { userId: bob.userId, deviceId: bob.deviceId, reason: 'lost' } }));
    ok(await api(server.url, 'POST', '/v1/admin/revoke', { auth: carol.auth, body: { email: 'dave@acme.test', reason: 'left the project' } }));
    ok(await api(server.url, 'DELETE', '/v1/devices/me', { auth: alice.auth }));
  });
  assert.deepEqual(added.map((e) => [e.action, e.actor.email, e.target.email, e.reason]), [
    ['wipe requested', 'carol@acme.test', 'bob@acme.test', 'lost'],
    ['device revoked', 'carol@acme.test', 'dave@acme.test', 'left the project'],
    ['device revoked', 'alice@acme.test', 'alice@acme.test', 'signed out on this device'],
  ]);
});

test('the whole log verifies as one chain, and ?since= filters by time', async () => {
  const entries = await log();
  assert.equal(verifyAuditChain(entries), null);
  const cut = entries[Math.floor(entries.length / 2)].at;
  const since = await api(server.url, 'GET', `/v1/admin/audit?limit=1000&since=${cut}`, { auth: carol.auth });
  ok(since);
  assert.deepEqual(since.body.entries.map((e: any) => e.id), entries.filter((e) => e.at >= cut).map((e) => e.id).reverse());
});

test('policy changes: each start with a new policy version is audited once (actor "system"), with the previous version', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-policy-audit-'));
  const policyA = { version: 'policy-a', text: 'Be kind.' };
  const policyB = { version: 'policy-b', text: 'Be kind. Keep customer data out of chats.', rules: { retention: { messagesDays: 30 } } };
  const entriesWith = async (policy: typeof policyA | typeof policyB) => {
    const s = await startTestServer({ dataDir, policy, requireConsent: false });
    try {
      const admin = await activeDevice(s.url, 'carol');
      return (await api(s.url, 'GET', '/v1/admin/audit?limit=1000', { auth: admin.auth })).body.entries.filter((e: any) => e.action === 'policy changed');
    } finally {
      await s.close();
    }
  };
  try {
    const first = await entriesWith(policyA);
    assert.deepEqual(first.map((e: any) => [e.actor.email, e.target.kind, e.target.id, e.details.previous]), [['system', 'policy', 'policy-a', null]]);
    const second = await entriesWith(policyB);
    assert.deepEqual(second.map((e: any) => [e.target.id, e.details.previous, e.details.retentionDays]), [['policy-b', 'policy-a', 30], ['policy-a', null, null]]);
    assert.equal((await entriesWith(policyB)).length, 2, 'a restart with the same policy records nothing');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
