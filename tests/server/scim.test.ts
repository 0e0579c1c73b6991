// SCIM 2.0 provisioning end to end: a real server on a socket, real dev-IdP sign-ins, and the requests
// Microsoft Entra ID and Okta actually send: discovery, authentication, bad input, group push.
// (Users and identity linking: scim-identity.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { URN } from '../../common/wire/scim.ts';
import { activeDevice, api, startTestServer, type TestServer } from './helpers.ts';
import {
  assertScimError, count, ENTERPRISE, scim, sub, TOKEN,
} from './scim-helpers.ts';

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
    ['POST', '/Users', { body: { schemas: ['urn:example:custom'], userName: 'new1@acme.test' } }, 400, 'invalidValue'],
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
