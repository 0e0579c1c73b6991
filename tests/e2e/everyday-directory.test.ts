// People are in the directory before their first sign-in: the dev IdP's demo users from the start, and people
// provisioned by SCIM (server/identity/pending.ts). Real server, real dev IdP, real SCIM requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { URN } from '../../common/wire/scim.ts';
import { activeDevice, api, registerDevice, startTestServer, type Registered, type TestServer } from '../server/helpers.ts';
import { scim, sub, TOKEN } from '../server/scim-helpers.ts';

let server: TestServer;
let alice: Registered;
before(async () => {
  server = await startTestServer({ scimToken: TOKEN });
  alice = await registerDevice(server.url, 'alice');
});
after(async () => { await server.cleanup(); });

const search = async (q: string) => {
  const res = await api(server.url, 'GET', `/v1/directory/search?q=${encodeURIComponent(q)}`, { auth: alice.auth });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.results as Array<{ userId: string; email: string; name: string; devices: unknown[] }>;
};

test('dev IdP: a demo user who never signed in is found by search and by email, with no device; signing in keeps that user', async () => {
  const [bob, ...rest] = await search('bob');
  assert.equal(rest.length, 0);
  assert.equal(bob?.email, 'bob@acme.test');
  assert.equal(bob?.name, 'Bob Baker');
  assert.deepEqual(bob?.devices, [], 'no device yet');
  const dave = await api(server.url, 'GET', '/v1/directory?email=DAVE@acme.test', { auth: alice.auth });
  assert.equal(dave.status, 200, JSON.stringify(dave.body));
  assert.deepEqual(dave.body.devices, []);

  const bobDevice = await activeDevice(server.url, 'bob');
  assert.equal(bobDevice.userId, bob!.userId, 'the first sign-in is the user the directory already showed');
  const [after] = await search('bob');
  assert.equal(after?.devices.length, 1);
  assert.deepEqual((await search('nobody-here')), []);
});

test('SCIM: a provisioned person is found before signing in, and becomes that user at sign-in; inactive and unlinkable rows are not listed', async () => {
  const create = async (userName: string, extra: Record<string, unknown>) => {
    const res = await scim(server, 'POST', '/Users', { body: { schemas: [URN.user], userName, ...extra } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  };
  // Carol's demo account links by her sub; her company address differs from the demo one, so only SCIM lists her.
  await create('c.chen@corp.test', { externalId: sub('carol'), displayName: 'Carol Chen (Finance)', emails: [{ value: 'c.chen@corp.test', primary: true }] });
  await create('gone@corp.test', { externalId: 'ext-gone', active: false, displayName: 'Gone Person' });
  await create('nolink@corp.test', { displayName: 'No Link' }); // no externalId: no sign-in could ever link it

  const hits = await search('corp.test');
  assert.deepEqual(hits.map((h) => [h.email, h.name, h.devices.length]), [['c.chen@corp.test', 'Carol Chen (Finance)', 0]]);
  assert.deepEqual(await search('corp.test'), hits, 'a second search finds the same user (nothing created twice)');

  const carol = await activeDevice(server.url, 'carol');
  assert.equal(carol.userId, hits[0]!.userId);
  assert.equal(carol.email, 'c.chen@corp.test', 'the directory entry follows SCIM');
  const [listed] = await search('c.chen');
  assert.equal(listed?.devices.length, 1);
});
