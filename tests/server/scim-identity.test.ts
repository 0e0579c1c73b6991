// SCIM 2.0 users end to end: the Entra ID and Okta sequences, and how provisioned users are linked to the people
// who sign in. The dev IdP's `sub` of each demo user is fixed (server/dev-idp.ts), so a SCIM user whose
// externalId is that sub IS that person once they register a device.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { ScimGroup, ScimUser, URN } from '../../common/wire/scim.ts';
import { CLOSE_WIPED } from '../../common/close-codes.ts';
import { ErrorCode } from '../../common/errors.ts';
import { activeDevice, api, registerDevice, startTestServer, type TestServer } from './helpers.ts';
import {
  assertScimError, connect, count, ENTERPRISE, findUser, GroupList, scim, sendTo, sub, TOKEN,
} from './scim-helpers.ts';

let server: TestServer;
before(async () => { server = await startTestServer({ scimToken: TOKEN }); });
after(async () => { await server.cleanup(); });

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
  const scimEntries = audit.body.entries.filter((e: any) => e.actor.email === 'scim' && e.target.userId === alice1.userId && e.action === 'wipe requested');
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

