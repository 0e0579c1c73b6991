// SCIM 2.0 provisioning end to end: a real server on a socket, real dev-IdP sign-ins, and the requests
// Microsoft Entra ID and Okta actually send. The dev IdP's `sub` of each demo user is fixed (server/dev-idp.ts),
// so a SCIM user whose externalId is that sub IS that person once they register a device.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import WebSocket from 'ws';
import Database from '@signalapp/sqlcipher';
import { Value } from 'typebox/value';
import { DEV_ACCOUNTS } from '../../server/dev-idp.ts';
import { DB_FILE } from '../../server/store/sqlite.ts';
import { ScimError, ScimGroup, ScimListResponse, ScimUser, URN } from '../../common/wire/scim.ts';
import { CLOSE_WIPED } from '../../common/close-codes.ts';
import { activeDevice, api, registerDevice, startTestServer, type Registered, type TestServer } from './helpers.ts';
import { ErrorCode } from '../../common/errors.ts';

const TOKEN = 'scim-test-token-0123456789abcdef';
const ENTERPRISE = URN.enterpriseUser;
const sub = (username: string) => DEV_ACCOUNTS.find((a) => a.username === username)!.sub;

interface ScimResponse { status: number; body: any; contentType: string | null }

async function scim(
  server: TestServer, method: string, path: string,
  opts: { body?: unknown; raw?: string; token?: string | null; contentType?: string } = {},
): Promise<ScimResponse> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/scim+json';
  const res = await fetch(`${server.url}/scim/v2${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed, contentType: res.headers.get('content-type') };
}

function assertScimError(res: ScimResponse, status: number, scimType?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.ok(Value.Check(ScimError, res.body as unknown), `not a SCIM error: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.status, String(status));
  if (scimType) assert.equal(res.body.scimType, scimType, JSON.stringify(res.body));
  assert.match(res.contentType ?? '', /^application\/scim\+json/);
}

const UserList = ScimListResponse(ScimUser);
const GroupList = ScimListResponse(ScimGroup);

async function findUser(server: TestServer, userName: string): Promise<any[]> {
  const res = await scim(server, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(Value.Check(UserList, res.body as unknown), JSON.stringify(res.body));
  return res.body.Resources;
}

/** A delivery socket that records frames and its close code. */
function connect(server: TestServer, dev: Registered): Promise<{ frames: any[]; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/ws`, { headers: dev.auth });
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.once('open', () => resolve({ frames, closed }));
    ws.once('error', reject);
  });
}

/** Sends one envelope to every active device of `to` from `from` (whose user has no other active device). */
async function sendTo(server: TestServer, from: Registered, to: Registered): Promise<void> {
  const dir = await api(server.url, 'GET', `/v1/users/${to.userId}`, { auth: from.auth });
  const envelopes = dir.body.devices.map((d: any) => ({
    userId: to.userId, deviceId: d.deviceId, registrationId: d.registrationId, type: 1, content: Buffer.from('hello').toString('base64'),
  }));
  const res = await api(server.url, 'POST', '/v1/messages', { auth: from.auth, body: { recipient: to.userId, envelopes } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

function count(server: TestServer, sql: string, ...params: string[]): number {
  const db = new Database(join(server.dataDir, DB_FILE));
  try {
    const row = (params.length ? db.prepare(sql).get(params) : db.prepare(sql).get()) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

let server: TestServer;
before(async () => { server = await startTestServer({ scimToken: TOKEN }); });
after(async () => { await server.cleanup(); });

test('SCIM is disabled (404) when no token is configured', async () => {
  const plain = await startTestServer();
  try {
    for (const path of ['/Users', '/Groups', '/ServiceProviderConfig']) {
      const res = await scim(plain, 'GET', path);
      assert.equal(res.status, 404, path);
    }
    assert.equal((await scim(plain, 'POST', '/Users', { body: { schemas: [URN.user], userName: 'x@acme.test' } })).status, 404);
  } finally {
    await plain.cleanup();
  }
});

test('a missing or wrong bearer token is 401 in the SCIM error schema, whatever is sent', async () => {
  for (const token of [null, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1), '']) {
    for (const [method, path] of [['GET', '/Users'], ['GET', '/ServiceProviderConfig'], ['POST', '/Users'], ['DELETE', '/Users/x']] as const) {
      const res = await scim(server, method, path, { token, ...(method === 'POST' ? { raw: '{not json' } : {}) });
      assertScimError(res, 401);
    }
  }
  const basic = await fetch(`${server.url}/scim/v2/Users`, { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
  assert.equal(basic.status, 401);
  assert.equal(count(server, "SELECT count(*) AS n FROM scim_users WHERE user_name = 'x@acme.test'"), 0);
});

test('discovery: ServiceProviderConfig, ResourceTypes, Schemas', async () => {
  const spc = await scim(server, 'GET', '/ServiceProviderConfig');
  assert.equal(spc.status, 200);
  assert.match(spc.contentType ?? '', /^application\/scim\+json/);
  assert.deepEqual(spc.body.schemas, [URN.serviceProviderConfig]);
  assert.equal(spc.body.patch.supported, true);
  assert.equal(spc.body.filter.supported, true);
  assert.equal(spc.body.bulk.supported, false);
  assert.equal(spc.body.authenticationSchemes[0].type, 'oauthbearertoken');

  const rt = await scim(server, 'GET', '/ResourceTypes');
  assert.equal(rt.status, 200);
  assert.deepEqual(rt.body.Resources.map((r: any) => [r.id, r.endpoint, r.schema]), [['User', '/Users', URN.user], ['Group', '/Groups', URN.group]]);
  assert.deepEqual(rt.body.Resources[0].schemaExtensions, [{ schema: ENTERPRISE, required: false }]);
  assert.equal((await scim(server, 'GET', '/ResourceTypes/Group')).body.id, 'Group');

  const schemas = await scim(server, 'GET', '/Schemas');
  assert.deepEqual(schemas.body.Resources.map((s: any) => s.id), [URN.user, ENTERPRISE, URN.group]);
  const user = (await scim(server, 'GET', `/Schemas/${URN.user}`)).body;
  const userName = user.attributes.find((a: any) => a.name === 'userName');
  assert.equal(userName.required, true);
  assert.equal(userName.uniqueness, 'server');
  assertScimError(await scim(server, 'GET', '/Schemas/urn:nope'), 404);
  assertScimError(await scim(server, 'GET', '/Nope'), 404);
});

test('Entra ID sequence: create with enterprise extension, filter, PATCH quirks, active "False" wipes devices, reactivate, DELETE', async () => {
  // Entra's POST (https://learn.microsoft.com/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
  const created = await scim(server, 'POST', '/Users', {
    body: {
      schemas: [URN.user, ENTERPRISE],
      externalId: sub('alice'),
      userName: 'alice@acme.test',
      active: true,
      displayName: 'Alice Archer',
      emails: [{ primary: true, type: 'work', value: 'alice@acme.test' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Alice Archer', familyName: 'Archer', givenName: 'Alice' },
      title: 'Engineer',
      roles: [{ primary: 'False', type: 'WindowsAzureActiveDirectoryRole', value: 'User' }],
      [ENTERPRISE]: { department: 'R&D', employeeNumber: '1001' },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.ok(Value.Check(ScimUser, created.body as unknown), JSON.stringify(created.body));
  const id: string = created.body.id;
  assert.equal(created.body.externalId, sub('alice'));
  assert.deepEqual(created.body.schemas, [URN.user, ENTERPRISE]);
  assert.equal(created.body[ENTERPRISE].department, 'R&D');
  assert.equal(created.body.roles[0].primary, false, '"False" became a boolean');
  assert.equal(created.body.meta.location, `${server.url}/scim/v2/Users/${id}`);

  // Entra checks for an existing user first; the filter's attribute name is case-insensitive, the value too.
  const found = await findUser(server, 'ALICE@acme.test');
  assert.deepEqual(found.map((u) => u.id), [id]);
  const byExt = await scim(server, 'GET', `/Users?filter=${encodeURIComponent(`externalId eq "${sub('alice')}"`)}`);
  assert.deepEqual(byExt.body.Resources.map((u: any) => u.id), [id]);

  // The person signs in: linked by the `sub` claim (the default link claim) to the provisioned user.
  const bob = await activeDevice(server.url, 'bob');
  const alice1 = await activeDevice(server.url, 'alice');
  const alice2 = await registerDevice(server.url, 'alice'); // registered, keys never published
  assert.equal(alice2.userId, alice1.userId);
  let dir = await api(server.url, 'GET', '/v1/directory?email=alice@acme.test', { auth: bob.auth });
  assert.equal(dir.status, 200);
  assert.equal(dir.body.userId, alice1.userId);
  assert.equal(dir.body.name, 'Alice Archer');

  // PATCH as Entra sends it: capitalized ops, a path-less value object with attribute paths as keys.
  const patched = await scim(server, 'PATCH', `/Users/${id}`, {
    body: {
      schemas: [URN.patchOp],
      Operations: [
        { op: 'Replace', value: { displayName: 'Alice A. Archer', 'name.givenName': 'Alicia', 'emails[type eq "work"].value': 'alice@acme.test' } },
        { op: 'Add', path: `${ENTERPRISE}:department`, value: 'Security' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: 'mgr-42' },
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' },
        { op: 'Replace', path: 'title', value: 'Staff Engineer' },
      ],
    },
  });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  const got = (await scim(server, 'GET', `/Users/${id}`)).body;
  assert.equal(got.displayName, 'Alice A. Archer');
  assert.equal(got.name.givenName, 'Alicia');
  assert.equal(got.name.familyName, 'Archer');
  assert.equal(got[ENTERPRISE].department, 'Security');
  assert.deepEqual(got[ENTERPRISE].manager, { value: 'mgr-42' });
  assert.deepEqual(got.phoneNumbers, [{ type: 'mobile', value: '+1 555 0100' }]);
  assert.equal(got.title, 'Staff Engineer');
  assert.equal(got.active, true);
  dir = await api(server.url, 'GET', '/v1/directory?email=alice@acme.test', { auth: bob.auth });
  assert.equal(dir.body.name, 'Alice A. Archer', 'the directory follows SCIM');

  // A message waits in alice2's queue; alice1 is online.
  await sendTo(server, bob, alice1);
  const socket = await connect(server, alice1);
  assert.ok(count(server, 'SELECT count(*) AS n FROM envelopes WHERE dest_user = ?', alice1.userId) >= 1);

  // Leaver: Entra deactivates with the string "False".
  const off = await scim(server, 'PATCH', `/Users/${id}`, {
    body: { schemas: [URN.patchOp], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
  });
  assert.equal(off.status, 200, JSON.stringify(off.body));
  assert.equal(off.body.active, false);
  assert.equal(await socket.closed, CLOSE_WIPED);
  assert.ok(socket.frames.some((f) => f.type === 'wipe'), JSON.stringify(socket.frames));
  for (const dev of [alice1, alice2]) {
    const me = await api(server.url, 'GET', '/v1/devices/me', { auth: dev.auth });
    assert.equal(me.status, 401);
    assert.equal(me.error?.code, ErrorCode.device_wiped);
  }
  assert.equal(count(server, 'SELECT count(*) AS n FROM envelopes WHERE dest_user = ?', alice1.userId), 0, 'queued envelopes dropped');
  dir = await api(server.url, 'GET', '/v1/directory?email=alice@acme.test', { auth: bob.auth });
  assert.equal(dir.status, 404, 'a deactivated user is not in the directory');
  const search = await api(server.url, 'GET', '/v1/directory/search?q=alic', { auth: bob.auth });
  assert.deepEqual(search.body.results, []);
  const carol = await activeDevice(server.url, 'carol');
  const audit = await api(server.url, 'GET', '/v1/admin/audit', { auth: carol.auth });
  const scimEntries = audit.body.entries.filter((e: any) => e.actor.email === 'scim' && e.target.userId === alice1.userId);
  assert.deepEqual(scimEntries.map((e: any) => [e.action, e.reason, e.actor.userId, e.target.deviceId]).sort(),
    [['wipe requested', 'account deactivated', null, alice1.deviceId], ['wipe requested', 'account deactivated', null, alice2.deviceId]].sort());
  await assert.rejects(registerDevice(server.url, 'alice'), /HTTP 403 .*account_deactivated/);

  // Repeating the deactivation changes nothing and logs nothing more.
  const again = await scim(server, 'PATCH', `/Users/${id}`, { body: { schemas: [URN.patchOp], Operations: [{ op: 'replace', value: { active: false } }] } });
  assert.equal(again.status, 200);
  const audit2 = await api(server.url, 'GET', '/v1/admin/audit', { auth: carol.auth });
  assert.equal(audit2.body.entries.length, audit.body.entries.length);

  // Reactivation: new devices may register (same Parley user); old devices stay wiped.
  const on = await scim(server, 'PATCH', `/Users/${id}`, {
    body: { schemas: [URN.patchOp], Operations: [{ op: 'Replace', value: { active: 'True' } }] },
  });
  assert.equal(on.status, 200, JSON.stringify(on.body));
  assert.equal(on.body.active, true);
  const alice3 = await activeDevice(server.url, 'alice');
  assert.equal(alice3.userId, alice1.userId);
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: alice1.auth })).error?.code, ErrorCode.device_wiped);
  dir = await api(server.url, 'GET', '/v1/directory?email=alice@acme.test', { auth: bob.auth });
  assert.equal(dir.status, 200);
  assert.deepEqual(dir.body.devices.map((d: any) => d.deviceId), [alice3.deviceId]);

  // DELETE: gone from SCIM and the directory, devices wiped, no new registrations.
  const del = await scim(server, 'DELETE', `/Users/${id}`);
  assert.equal(del.status, 204);
  assertScimError(await scim(server, 'GET', `/Users/${id}`), 404);
  assertScimError(await scim(server, 'DELETE', `/Users/${id}`), 404);
  assert.deepEqual(await findUser(server, 'alice@acme.test'), []);
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: alice3.auth })).error?.code, ErrorCode.device_wiped);
  assert.equal((await api(server.url, 'GET', '/v1/directory?email=alice@acme.test', { auth: bob.auth })).status, 404);
  await assert.rejects(registerDevice(server.url, 'alice'), /HTTP 403 .*account_deactivated/);
});

test('Okta sequence: create, filter userName eq, PUT replace, PATCH active:false, group push with member add/remove', async () => {
  const okta = {
    schemas: [URN.user],
    userName: 'dave@acme.test',
    externalId: sub('dave'),
    name: { givenName: 'Dave', familyName: 'Diaz' },
    emails: [{ primary: true, value: 'dave@acme.test', type: 'work' }],
    displayName: 'Dave Diaz',
    locale: 'en-US',
    active: true,
    password: 'never-stored-1!',
    groups: [],
  };
  const created = await scim(server, 'POST', '/Users', { body: okta, contentType: 'application/json' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const id: string = created.body.id;
  assert.equal(created.body.password, undefined);
  assert.equal(count(server, "SELECT count(*) AS n FROM scim_users WHERE attrs_json LIKE '%never-stored%'"), 0);
  assertScimError(await scim(server, 'POST', '/Users', { body: okta }), 409, 'uniqueness');

  const list = await scim(server, 'GET', `/Users?filter=${encodeURIComponent('userName eq "dave@acme.test"')}&startIndex=1&count=100`);
  assert.equal(list.status, 200);
  assert.equal(list.body.totalResults, 1);
  assert.equal(list.body.startIndex, 1);
  assert.equal(list.body.Resources[0].id, id);

  const put = await scim(server, 'PUT', `/Users/${id}`, {
    body: { ...okta, id, name: { givenName: 'David', familyName: 'Diaz' }, displayName: 'David Diaz', locale: undefined },
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const got = (await scim(server, 'GET', `/Users/${id}`)).body;
  assert.deepEqual(got.name, { givenName: 'David', familyName: 'Diaz' });
  assert.equal(got.displayName, 'David Diaz');
  assert.equal(got.locale, undefined, 'PUT replaces: omitted attributes are cleared');

  const dave = await activeDevice(server.url, 'dave');
  const bob = await activeDevice(server.url, 'bob');
  let dir = await api(server.url, 'GET', '/v1/directory?email=dave@acme.test', { auth: bob.auth });
  assert.equal(dir.body.userId, dave.userId);
  assert.equal(dir.body.name, 'David Diaz');

  // Group push.
  const carolUser = (await findUser(server, 'carol@acme.test'))[0] ?? (await scim(server, 'POST', '/Users', {
    body: { schemas: [URN.user], userName: 'carol@acme.test', externalId: sub('carol'), displayName: 'Carol Chen' },
  })).body;
  const group = await scim(server, 'POST', '/Groups', { body: { schemas: [URN.group], displayName: 'Engineering', members: [] } });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  assert.ok(Value.Check(ScimGroup, group.body as unknown), JSON.stringify(group.body));
  const gid: string = group.body.id;
  assertScimError(await scim(server, 'POST', '/Groups', { body: { schemas: [URN.group], displayName: 'engineering' } }), 409, 'uniqueness');

  const add = await scim(server, 'PATCH', `/Groups/${gid}`, {
    body: { schemas: [URN.patchOp], Operations: [{ op: 'add', path: 'members', value: [{ value: id, display: 'dave@acme.test' }, { value: carolUser.id }] }] },
  });
  assert.equal(add.status, 200, JSON.stringify(add.body));
  let g = (await scim(server, 'GET', `/Groups/${gid}`)).body;
  assert.deepEqual(g.members.map((m: any) => m.value), [id, carolUser.id]);
  assert.equal(g.members[0].display, 'David Diaz');
  assert.equal(g.members[0].type, 'User');
  assert.deepEqual((await scim(server, 'GET', `/Users/${id}`)).body.groups.map((x: any) => [x.value, x.display]), [[gid, 'Engineering']]);
  // Adding again changes nothing.
  await scim(server, 'PATCH', `/Groups/${gid}`, { body: { schemas: [URN.patchOp], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] } });
  assert.equal((await scim(server, 'GET', `/Groups/${gid}`)).body.members.length, 2);

  // Okta: remove by value filter; Entra: Remove with a value list, and a path-less Replace carrying the group id.
  const remove = await scim(server, 'PATCH', `/Groups/${gid}`, {
    body: { schemas: [URN.patchOp], Operations: [{ op: 'remove', path: `members[value eq "${carolUser.id}"]` }] },
  });
  assert.equal(remove.status, 200, JSON.stringify(remove.body));
  g = (await scim(server, 'GET', `/Groups/${gid}`)).body;
  assert.deepEqual(g.members.map((m: any) => m.value), [id]);
  const entra = await scim(server, 'PATCH', `/Groups/${gid}`, {
    body: {
      schemas: [URN.patchOp],
      Operations: [
        { op: 'Remove', path: 'members', value: [{ value: id }] },
        { op: 'Replace', value: { id: gid, displayName: 'Engineering EU' } },
      ],
    },
  });
  assert.equal(entra.status, 200, JSON.stringify(entra.body));
  g = (await scim(server, 'GET', `/Groups/${gid}`)).body;
  assert.deepEqual(g.members, []);
  assert.equal(g.displayName, 'Engineering EU');

  const filtered = await scim(server, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "engineering eu"')}&excludedAttributes=members`);
  assert.equal(filtered.status, 200);
  assert.ok(Value.Check(GroupList, filtered.body as unknown), JSON.stringify(filtered.body));
  assert.deepEqual(filtered.body.Resources.map((x: any) => x.id), [gid]);
  assert.equal(filtered.body.Resources[0].members, undefined);

  const putGroup = await scim(server, 'PUT', `/Groups/${gid}`, { body: { schemas: [URN.group], displayName: 'Engineering', members: [{ value: id }] } });
  assert.equal(putGroup.status, 200, JSON.stringify(putGroup.body));
  assert.deepEqual(putGroup.body.members.map((m: any) => m.value), [id]);

  // Okta deactivates with a path-less boolean.
  const off = await scim(server, 'PATCH', `/Users/${id}`, { body: { schemas: [URN.patchOp], Operations: [{ op: 'replace', value: { active: false } }] } });
  assert.equal(off.status, 200, JSON.stringify(off.body));
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: dave.auth })).error?.code, ErrorCode.device_wiped);
  dir = await api(server.url, 'GET', '/v1/directory?email=dave@acme.test', { auth: bob.auth });
  assert.equal(dir.status, 404);
  const still = (await scim(server, 'GET', `/Users/${id}`)).body;
  assert.equal(still.active, false);
  assert.equal(still.displayName, 'David Diaz');

  // Deleting a user takes them out of their groups; deleting the group removes it.
  assert.equal((await scim(server, 'DELETE', `/Users/${id}`)).status, 204);
  assert.deepEqual((await scim(server, 'GET', `/Groups/${gid}`)).body.members, []);
  assert.equal((await scim(server, 'DELETE', `/Groups/${gid}`)).status, 204);
  assertScimError(await scim(server, 'GET', `/Groups/${gid}`), 404);
  assert.equal(count(server, 'SELECT count(*) AS n FROM scim_group_members WHERE group_id = ?', gid), 0);
});

test('users who signed in before being provisioned (just in time) are listed by SCIM, with userName = their email', async () => {
  const jitServer = await startTestServer({ scimToken: TOKEN });
  try {
    const bob = await activeDevice(jitServer.url, 'bob');
    const [u] = await findUser(jitServer, 'bob@acme.test');
    assert.ok(u);
    assert.equal(u.userName, 'bob@acme.test');
    assert.equal(u.displayName, 'Bob Baker');
    assert.equal(u.active, true);
    assert.equal(u.externalId, undefined);
    const all = await scim(jitServer, 'GET', '/Users');
    assert.equal(all.body.totalResults, 1);

    // Entra matches by userName, then sets externalId and attributes: the same Parley user, now managed.
    const patch = await scim(jitServer, 'PATCH', `/Users/${u.id}`, {
      body: { schemas: [URN.patchOp], Operations: [{ op: 'Add', path: 'externalId', value: sub('bob') }, { op: 'Replace', path: 'displayName', value: 'Robert Baker' }] },
    });
    assert.equal(patch.status, 200, JSON.stringify(patch.body));
    const again = await activeDevice(jitServer.url, 'bob');
    assert.equal(again.userId, bob.userId);
    const dir = await api(jitServer.url, 'GET', '/v1/directory?email=bob@acme.test', { auth: bob.auth });
    assert.equal(dir.body.name, 'Robert Baker');
    // …but never re-pointed at a different identity.
    assertScimError(await scim(jitServer, 'PATCH', `/Users/${u.id}`, {
      body: { schemas: [URN.patchOp], Operations: [{ op: 'replace', path: 'externalId', value: 'someone-else' }] },
    }), 400, 'mutability');

    // Paging.
    for (let i = 0; i < 3; i++) {
      assert.equal((await scim(jitServer, 'POST', '/Users', { body: { schemas: [URN.user], userName: `p${i}@acme.test` } })).status, 201);
    }
    const page = await scim(jitServer, 'GET', '/Users?startIndex=2&count=2');
    assert.equal(page.body.totalResults, 4);
    assert.equal(page.body.startIndex, 2);
    assert.deepEqual(page.body.Resources.map((r: any) => r.userName), ['p0@acme.test', 'p1@acme.test']);
    assert.equal((await scim(jitServer, 'GET', '/Users?count=0')).body.Resources.length, 0);
    assertScimError(await scim(jitServer, 'GET', '/Users?count=abc'), 400, 'invalidValue');
  } finally {
    await jitServer.cleanup();
  }
});

test('a recycled email is a different person: a new userId, nothing carried over', async () => {
  const s = await startTestServer({ scimToken: TOKEN });
  try {
    const first = await scim(s, 'POST', '/Users', { body: { schemas: [URN.user], userName: 'alice@acme.test', externalId: sub('alice'), displayName: 'Alice Archer' } });
    const oldAlice = await activeDevice(s.url, 'alice');
    const bob = await activeDevice(s.url, 'bob');
    assert.equal((await scim(s, 'DELETE', `/Users/${first.body.id}`)).status, 204);
    assert.equal((await api(s.url, 'GET', '/v1/directory?email=alice@acme.test', { auth: bob.auth })).status, 404);

    // A new hire gets the address; their IdP identity is different (here: the dev IdP's "dave" account).
    const second = await scim(s, 'POST', '/Users', {
      body: { schemas: [URN.user], userName: 'alice@acme.test', externalId: sub('dave'), displayName: 'Alice Newcomer', emails: [{ value: 'alice@acme.test', primary: true }] },
    });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.notEqual(second.body.id, first.body.id);
    const newAlice = await activeDevice(s.url, 'dave');
    assert.notEqual(newAlice.userId, oldAlice.userId);
    assert.equal(newAlice.email, 'alice@acme.test');
    const dir = await api(s.url, 'GET', '/v1/directory?email=alice@acme.test', { auth: bob.auth });
    assert.equal(dir.status, 200);
    assert.equal(dir.body.userId, newAlice.userId);
    assert.equal(dir.body.name, 'Alice Newcomer');
    assert.deepEqual(dir.body.devices.map((d: any) => d.deviceId), [newAlice.deviceId]);
    assert.equal((await api(s.url, 'GET', '/v1/devices/me', { auth: oldAlice.auth })).error?.code, ErrorCode.device_wiped);
    // The old person cannot come back in through sign-in.
    await assert.rejects(registerDevice(s.url, 'alice'), /HTTP 403 .*account_deactivated/);
  } finally {
    await s.cleanup();
  }
});

test('the link claim is configurable (Entra: oid); a token without it falls back to just-in-time by sub', async () => {
  const s = await startTestServer({ scimToken: TOKEN, scimLinkClaim: 'oid' });
  try {
    // The dev IdP issues no oid claim: a SCIM user whose externalId is the sub does not link.
    const u = await scim(s, 'POST', '/Users', { body: { schemas: [URN.user], userName: 'carol.scim@acme.test', externalId: sub('carol') } });
    assert.equal(u.status, 201);
    await activeDevice(s.url, 'carol');
    assert.equal((await findUser(s, 'carol@acme.test')).length, 1, 'carol is a just-in-time user');
    assert.equal((await scim(s, 'GET', `/Users/${u.body.id}`)).body.active, true);
    assert.equal(count(s, 'SELECT count(*) AS n FROM scim_users WHERE id = ? AND user_id IS NULL', u.body.id), 1);
  } finally {
    await s.cleanup();
  }
});

test('bad input is a 400 SCIM error and writes nothing', async () => {
  const snapshot = () => [
    count(server, 'SELECT count(*) AS n FROM scim_users'), count(server, 'SELECT count(*) AS n FROM users'),
    count(server, 'SELECT count(*) AS n FROM scim_groups'), count(server, 'SELECT count(*) AS n FROM scim_group_members'),
    count(server, 'SELECT coalesce(sum(version), 0) AS n FROM scim_users'), count(server, 'SELECT coalesce(sum(version), 0) AS n FROM scim_groups'),
  ];
  const target = await scim(server, 'POST', '/Users', { body: { schemas: [URN.user], userName: 'target@acme.test', displayName: 'Target' } });
  assert.equal(target.status, 201);
  const group = await scim(server, 'POST', '/Groups', { body: { schemas: [URN.group], displayName: 'Bad Input Group', members: [{ value: target.body.id }] } });
  assert.equal(group.status, 201);
  const before = snapshot();
  const tid = target.body.id;
  const patch = (...Operations: unknown[]) => ({ schemas: [URN.patchOp], Operations });

  const cases: Array<[string, string, { body?: unknown; raw?: string; contentType?: string }, number, string?]> = [
    ['POST', '/Users', { raw: '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": ' }, 400, 'invalidSyntax'],
    ['POST', '/Users', { raw: '{"schemas":[],"__proto__":{"x":1}}' }, 400],
    ['POST', '/Users', { raw: 'null' }, 400, 'invalidSyntax'],
    ['POST', '/Users', { body: { schemas: [URN.user], userName: 'new1@acme.test', favouriteColour: 'blue' } }, 400, 'invalidSyntax'],
    ['POST', '/Users', { body: { schemas: [URN.user], userName: 'new1@acme.test', name: { nickname2: 'x' } } }, 400, 'invalidSyntax'],
    ['POST', '/Users', { body: { schemas: [URN.user, 'urn:example:custom'], userName: 'new1@acme.test' } }, 400, 'invalidValue'],
    ['POST', '/Users', { body: { schemas: [URN.user, ENTERPRISE], userName: 'new1@acme.test', [ENTERPRISE]: { badge: 1 } } }, 400, 'invalidSyntax'],
    ['POST', '/Users', { body: { schemas: [URN.user], userName: 5 } }, 400, 'invalidValue'],
    ['POST', '/Users', { body: { schemas: [URN.user], userName: 'new1@acme.test', active: 'maybe' } }, 400, 'invalidValue'],
    ['POST', '/Users', { body: { schemas: [URN.user], userName: 'new1@acme.test', emails: { value: 'x' } } }, 400, 'invalidValue'],
    ['POST', '/Users', { body: { schemas: [URN.user], displayName: 'no userName' } }, 400, 'invalidValue'],
    ['POST', '/Users', { body: { userName: 'new1@acme.test' } }, 400, 'invalidSyntax'],
    ['POST', '/Users', { body: { schemas: [URN.user], userName: 'target@acme.test' } }, 409, 'uniqueness'],
    ['PUT', `/Users/${tid}`, { body: { schemas: [URN.user], userName: 'target@acme.test', displayName: 7 } }, 400, 'invalidValue'],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'replace', path: 'active', value: 'maybe' }) }, 400, 'invalidValue'],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'replace', path: 'displayName', value: 'Changed' }, { op: 'add', path: 'favouriteColour', value: 'x' }) }, 400, 'invalidPath'],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'replace', value: { displayName: 'Changed', shoeSize: 44 } }) }, 400, 'invalidPath'],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'add', path: '__proto__.polluted', value: 'yes' }) }, 400, 'invalidPath'],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'add', path: 'constructor.prototype.polluted', value: 'yes' }) }, 400, 'invalidPath'],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'replace', value: { 'name.__proto__': 'x' } }) }, 400, 'invalidPath'],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'delete', path: 'displayName' }) }, 400, 'invalidSyntax'],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'remove' }) }, 400, 'noTarget'],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'replace', path: 'emails[type eq "home"].value', value: 'x' }, { op: 'replace', path: 'userName', value: 9 }) }, 400],
    ['PATCH', `/Users/${tid}`, { body: patch({ op: 'replace', path: 'emails[type eq "work" or 1 eq 1].value', value: 'x' }) }, 400],
    ['PATCH', `/Users/${tid}`, { body: { Operations: [{ op: 'replace', path: 'displayName', value: 'Changed' }] } }, 400, 'invalidSyntax'],
    ['PATCH', `/Users/${tid}`, { body: { ...patch({ op: 'replace', path: 'displayName', value: 'Changed' }), extra: 1 } }, 400, 'invalidSyntax'],
    ['PATCH', `/Users/${tid}`, { raw: '{"schemas":' }, 400, 'invalidSyntax'],
    ['POST', '/Groups', { body: { schemas: [URN.group], displayName: 'G2', members: [{ value: 'no-such-user' }] } }, 400, 'invalidValue'],
    ['POST', '/Groups', { body: { schemas: [URN.group], displayName: 'G2', owner: 'x' } }, 400, 'invalidSyntax'],
    ['PATCH', `/Groups/${group.body.id}`, { body: patch({ op: 'replace', path: 'displayName', value: 'Renamed' }, { op: 'add', path: 'members', value: [{ value: 'no-such-user' }] }) }, 400, 'invalidValue'],
    ['PATCH', `/Groups/${group.body.id}`, { body: patch({ op: 'replace', path: 'displayName', value: 'Renamed' }, { op: 'remove', path: 'members[value eq "a"] or 1 eq 1' }) }, 400],
    ['POST', '/Users', { raw: '{}', contentType: 'text/plain' }, 415],
  ];
  for (const [method, path, opts, status, scimType] of cases) {
    const res = await scim(server, method, path, opts);
    assert.equal(res.status, status, `${method} ${path} ${opts.raw ?? JSON.stringify(opts.body)}: ${JSON.stringify(res.body)}`);
    assertScimError(res, status, scimType);
  }
  assert.equal(({} as any).polluted, undefined);

  // Filters: only `attr eq "string"` on supported attributes; everything else is invalidFilter.
  for (const f of [
    'userName eq "a" or 1 eq 1', 'userName eq "target@acme.test" or userName pr', 'userName ne "x"', 'userName co "a"', 'userName pr',
    'userName eq 1', 'userName eq true', `userName eq a'; DROP TABLE users;--`, 'userName eq "a"; DROP TABLE scim_users', 'userName eq "a") or (1 eq 1',
    'password eq "x"', 'emails[type eq "work"]', 'not (userName eq "a")', '"a" eq userName',
  ]) {
    assertScimError(await scim(server, 'GET', `/Users?filter=${encodeURIComponent(f)}`), 400, 'invalidFilter');
  }
  assertScimError(await scim(server, 'GET', `/Groups?filter=${encodeURIComponent('displayName eq "x" or 1 eq 1')}`), 400, 'invalidFilter');
  assertScimError(await scim(server, 'GET', `/Groups?filter=${encodeURIComponent('userName eq "x"')}`), 400, 'invalidFilter');
  // A quoted SQL-looking value is data: it matches nobody.
  const sqlish = await scim(server, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "x' OR '1'='1"`)}`);
  assert.equal(sqlish.status, 200);
  assert.equal(sqlish.body.totalResults, 0);

  assert.deepEqual(snapshot(), before, 'nothing was written');
  const t = (await scim(server, 'GET', `/Users/${tid}`)).body;
  assert.equal(t.displayName, 'Target');
  assert.equal((await scim(server, 'GET', `/Groups/${group.body.id}`)).body.displayName, 'Bad Input Group');
});

test('Entra ID group push: POST, filter displayName eq with excludedAttributes, PATCH Add/Remove members and Replace displayName, DELETE; a linked group follows', async () => {
  const s = await startTestServer({ scimToken: TOKEN });
  try {
    const mk = async (username: string) => {
      const r = await scim(s, 'POST', '/Users', { body: { schemas: [URN.user, ENTERPRISE], userName: `${username}@acme.test`, externalId: sub(username), active: true, displayName: username } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    };
    const ids = { alice: await mk('alice'), bob: await mk('bob') };
    const carol = await activeDevice(s.url, 'carol'); // org admin; links the Parley group
    const alice = await activeDevice(s.url, 'alice');
    const bob = await activeDevice(s.url, 'bob');

    // Entra creates the group empty, then adds members with PATCH (its documented order).
    const g = await scim(s, 'POST', '/Groups', { body: { schemas: [URN.group], externalId: 'entra-group-8f1', displayName: 'Sales EMEA', members: [] } });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    const found = await scim(s, 'GET', `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Sales EMEA"')}`);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal(found.body.totalResults, 1);
    assert.equal(found.body.Resources[0].id, g.body.id);
    assert.equal(found.body.Resources[0].members, undefined, 'members excluded as asked');

    const patch = (Operations: unknown[]) => scim(s, 'PATCH', `/Groups/${g.body.id}`, { body: { schemas: [URN.patchOp], Operations } });
    let res = await patch([{ op: 'Add', path: 'members', value: [{ value: ids.alice }, { value: ids.bob }] }]);
    assert.ok(res.status === 200 || res.status === 204, JSON.stringify(res.body));

    const linked = await api(s.url, 'POST', '/v1/groups', { auth: carol.auth, body: { name: 'Sales chat', members: [], scimGroupId: g.body.id } });
    assert.equal(linked.status, 201, JSON.stringify(linked.body));
    const memberIds = async () => (await api(s.url, 'GET', `/v1/groups/${linked.body.id}`, { auth: carol.auth })).body.members.map((m: any) => m.userId).sort();
    assert.deepEqual(await memberIds(), [alice.userId, bob.userId, carol.userId].sort());

    res = await patch([{ op: 'Remove', path: 'members', value: [{ value: ids.bob }] }]);
    assert.ok(res.status === 200 || res.status === 204, JSON.stringify(res.body));
    assert.deepEqual(await memberIds(), [alice.userId, carol.userId].sort(), 'bob left with the IdP group');

    res = await patch([{ op: 'Replace', path: 'displayName', value: 'Sales Europe' }]);
    assert.ok(res.status === 200 || res.status === 204, JSON.stringify(res.body));
    assert.equal((await scim(s, 'GET', `/Groups/${g.body.id}`)).body.displayName, 'Sales Europe');

    assert.equal((await scim(s, 'DELETE', `/Groups/${g.body.id}`)).status, 204);
    assert.equal((await scim(s, 'GET', `/Groups/${g.body.id}`)).status, 404);
    const after = await api(s.url, 'GET', `/v1/groups/${linked.body.id}`, { auth: carol.auth });
    assert.equal(after.body.scimGroupId, undefined, 'the Parley group is unlinked, not deleted');
    assert.deepEqual(after.body.members.map((m: any) => m.userId).sort(), [alice.userId, carol.userId].sort(), 'members stay');
  } finally {
    await s.cleanup();
  }
});
