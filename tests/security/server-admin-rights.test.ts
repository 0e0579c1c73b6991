// Finding 10 (admin rights): org-admin rights came from the IdP `groups` claim as of the last registration, so a
// demoted admin kept wipe power for as long as their device lived. Now:
//   - when SCIM manages the admin group (a SCIM group whose displayName is the admin group exists), membership
//     in it decides, at every request — a demotion in the IdP takes effect at its next push;
//   - otherwise the claim counts only while it is fresh (a sign-in within 12 hours); an older one gets 403
//     admin_reauth_required, and POST /v1/devices/me/claims with a new ID token renews it without a new device.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../common/errors.ts';
import { URN } from '../../common/wire/scim.ts';
import { activeDevice, api, devLogin, startTestServer, type TestServer } from '../server/helpers.ts';
import { scim, sub, TOKEN } from '../server/scim-helpers.ts';

const HOUR = 3_600_000;
const servers: TestServer[] = [];
after(async () => { for (const s of servers) await s.cleanup(); });

test('claim-based: an admin claim older than 12 hours stops working until a fresh sign-in renews it', async () => {
  // The server's clock starts 13 hours back (the dev IdP's tokens use the real one): carol signs in "then", and
  // when the clock is put right her claim is 13 hours old.
  let skew = -13 * HOUR;
  const server = await startTestServer({ now: () => Date.now() + skew });
  servers.push(server);
  const carol = await activeDevice(server.url, 'carol'); // the dev IdP puts carol in parley-admins
  const alice = await activeDevice(server.url, 'alice');
  assert.equal((await api(server.url, 'GET', '/v1/admin/users', { auth: carol.auth })).status, 200);

  skew = 0;
  const stale = await api(server.url, 'GET', '/v1/admin/users', { auth: carol.auth });
  assert.deepEqual([stale.status, stale.error?.code], [403, ErrorCode.admin_reauth_required]);
  const wipe = await api(server.url, 'POST', '/v1/admin/wipe', { auth: carol.auth, body: { email: 'alice@acme.test' } });
  assert.equal(wipe.error?.code, ErrorCode.admin_reauth_required);
  // Org-admin powers over groups lapse the same way: carol may not manage a group she is not in.
  const g = await api(server.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: 'Private', members: [] } });
  assert.equal((await api(server.url, 'GET', `/v1/groups/${g.body.id}`, { auth: carol.auth })).error?.code, ErrorCode.not_a_member);
  // whoami still says what the directory claims, so the app can ask for a sign-in.
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: carol.auth })).body.orgAdmin, true);

  // A fresh ID token for the same person renews the claim (the device stays the same).
  const { idToken } = await devLogin(server.url, 'carol');
  const renewed = await api(server.url, 'POST', '/v1/devices/me/claims', { auth: carol.auth, body: { idToken } });
  assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
  assert.equal(renewed.body.orgAdmin, true);
  assert.equal(renewed.body.deviceId, carol.deviceId);
  assert.equal((await api(server.url, 'GET', '/v1/admin/users', { auth: carol.auth })).status, 200);
  // The token is single use, and someone else's token does not renew carol.
  assert.equal((await api(server.url, 'POST', '/v1/devices/me/claims', { auth: carol.auth, body: { idToken } })).error?.code, ErrorCode.invalid_token);
  const other = await devLogin(server.url, 'alice');
  const foreign = await api(server.url, 'POST', '/v1/devices/me/claims', { auth: carol.auth, body: { idToken: other.idToken } });
  assert.deepEqual([foreign.status, foreign.error?.code], [403, ErrorCode.forbidden]);
});

test('SCIM-managed: membership of the SCIM admin group decides, and a removal takes effect at once', async () => {
  const server = await startTestServer({ scimToken: TOKEN });
  servers.push(server);
  const ids: Record<string, string> = {};
  for (const who of ['alice', 'carol']) {
    const r = await scim(server, 'POST', '/Users', { body: { schemas: [URN.user], userName: `${who}@acme.test`, externalId: sub(who), active: true } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids[who] = r.body.id;
  }
  const group = await scim(server, 'POST', '/Groups', { body: { schemas: [URN.group], displayName: 'parley-admins', members: [{ value: ids.alice }] } });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const alice = await activeDevice(server.url, 'alice'); // no admin claim, but in the SCIM admin group
  const carol = await activeDevice(server.url, 'carol'); // admin claim, but not in the SCIM admin group
  assert.equal((await api(server.url, 'GET', '/v1/admin/users', { auth: alice.auth })).status, 200);
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: alice.auth })).body.orgAdmin, true);
  const refused = await api(server.url, 'GET', '/v1/admin/users', { auth: carol.auth });
  assert.deepEqual([refused.status, refused.error?.code], [403, ErrorCode.forbidden]);
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: carol.auth })).body.orgAdmin, false);

  // The IdP removes alice from the group: her very next admin request is refused.
  const patch = await scim(server, 'PATCH', `/Groups/${group.body.id}`, {
    body: { schemas: [URN.patchOp], Operations: [{ op: 'Remove', path: 'members', value: [{ value: ids.alice }] }] },
  });
  assert.ok(patch.status === 200 || patch.status === 204, JSON.stringify(patch.body));
  const demoted = await api(server.url, 'POST', '/v1/admin/wipe', { auth: alice.auth, body: { email: 'carol@acme.test' } });
  assert.deepEqual([demoted.status, demoted.error?.code], [403, ErrorCode.forbidden]);
});
