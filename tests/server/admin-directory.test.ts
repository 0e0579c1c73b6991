// The admin console's directory and groups views: GET /v1/admin/groups (every group of the org, org admins
// only) and the provisioning state on GET /v1/admin/users (provisioned through SCIM, just in time, deactivated).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { DEV_ACCOUNTS } from '../../server/dev-idp.ts';
import { AdminGroupList } from '../../common/wire/groups.ts';
import { AdminUsersResponse } from '../../common/wire/lifecycle.ts';
import { URN } from '../../common/wire/scim.ts';
import { activeDevice, api, startTestServer, strictlyIncreasingClock, type Registered, type TestServer } from './helpers.ts';
import { ErrorCode } from '../../common/errors.ts';

const TOKEN = 'scim-admin-directory-token-0123456789';
const sub = (username: string) => DEV_ACCOUNTS.find((a) => a.username === username)!.sub;

let server: TestServer;
let alice: Registered, bob: Registered, carol: Registered, dave: Registered;

async function scim(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const call = (dev: Registered | null, method: string, path: string, body?: unknown) =>
  api(server.url, method, path, { ...(dev ? { auth: dev.auth } : {}), ...(body !== undefined ? { body } : {}) });

let daveScimId = '';
before(async () => {
  server = await startTestServer({ scimToken: TOKEN, now: strictlyIncreasingClock() });
  // bob and dave are provisioned by the directory before they sign in; alice and carol come just in time.
  for (const u of ['bob', 'dave']) {
    const res = await scim('POST', '/Users', { schemas: [URN.user], userName: `${u}@acme.test`, externalId: sub(u), displayName: u });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    if (u === 'dave') daveScimId = res.body.id;
  }
  [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => activeDevice(server.url, u))) as
    [Registered, Registered, Registered, Registered];
});
after(async () => { await server.cleanup(); });

test('GET /v1/admin/groups: every group with member count and flags for an org admin (also groups they are not in)', async () => {
  let res = await call(alice, 'POST', '/v1/groups', { name: 'Launch', members: [bob.userId, dave.userId] });
  assert.equal(res.status, 201);
  const launch = res.body.id as string;
  // The clock never repeats a millisecond: Board's createdAt is later, and the order below is by creation.
  res = await call(bob, 'POST', '/v1/groups', { name: 'Board', members: [carol.userId], announcement: true, confidential: true });
  assert.equal(res.status, 201);
  const board = res.body.id as string;

  res = await call(carol, 'GET', '/v1/admin/groups');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(Value.Check(AdminGroupList, res.body), JSON.stringify(res.body));
  const byId = new Map(res.body.groups.map((g: any) => [g.id, g]));
  assert.deepEqual(res.body.groups.map((g: any) => g.id), [board, launch], 'newest first');
  assert.deepEqual(
    { ...byId.get(launch) as object, createdAt: 0 },
    { id: launch, name: 'Launch', announcement: false, confidential: false, createdAt: 0, createdBy: alice.userId, role: null, memberCount: 3 },
  );
  assert.deepEqual(
    { ...byId.get(board) as object, createdAt: 0 },
    { id: board, name: 'Board', announcement: true, confidential: true, createdAt: 0, createdBy: bob.userId, role: 'member', memberCount: 2 },
  );

  // The count follows membership changes.
  res = await call(alice, 'DELETE', `/v1/groups/${launch}/members/${dave.userId}`);
  assert.equal(res.status, 204);
  res = await call(carol, 'GET', '/v1/admin/groups');
  assert.equal(res.body.groups.find((g: any) => g.id === launch).memberCount, 2);
});

test('GET /v1/admin/groups: 403 JSON for a plain user (even a group owner), 401 without a credential, 400 on an unknown query', async () => {
  const refused = await call(alice, 'GET', '/v1/admin/groups');
  assert.equal(refused.status, 403);
  assert.equal(refused.error?.code, ErrorCode.forbidden);
  assert.equal(typeof refused.body.message, 'string');
  assert.equal((await call(null, 'GET', '/v1/admin/groups')).status, 401);
  const bad = await call(carol, 'GET', '/v1/admin/groups?all=1');
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.equal(bad.error?.code, ErrorCode.invalid_request);
});

test('GET /v1/admin/users: provisioning state provisioned / just-in-time / deactivated', async () => {
  const states = async () => {
    const res = await call(carol, 'GET', '/v1/admin/users');
    assert.equal(res.status, 200);
    assert.ok(Value.Check(AdminUsersResponse, res.body), JSON.stringify(res.body));
    return Object.fromEntries(res.body.users.map((u: any) => [u.email, u.provisioning]));
  };
  assert.deepEqual(await states(), {
    'alice@acme.test': 'just-in-time', 'bob@acme.test': 'provisioned', 'carol@acme.test': 'just-in-time', 'dave@acme.test': 'provisioned',
  });
  const res = await scim('PATCH', `/Users/${daveScimId}`, { schemas: [URN.patchOp], Operations: [{ op: 'Replace', path: 'active', value: false }] });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal((await states())['dave@acme.test'], 'deactivated');
  assert.equal((await call(alice, 'GET', '/v1/admin/users')).status, 403);
});
