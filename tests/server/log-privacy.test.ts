// Item 6 of issue #14: the server log carries no email, display name or group name. The real `parley-server`
// (its own logger configuration) runs a scripted session — sign-ins, directory lookups and searches (the new
// POST forms and the deprecated GET ones), an admin lookup by email, SCIM with a userName filter, a group with a
// telling name, 1:1 and group sends — and its whole pino output is searched for every name and address used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { activeDevice, api, type Registered } from './helpers.ts';

const launcher = fileURLToPath(new URL('../../server/cli/parley-server.js', import.meta.url));
const SCIM_TOKEN = 'log-privacy-scim-token-0123456789';
const GROUP_NAME = 'Merger Taskforce Zeta';
const SECRETS = [
  'alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'erin.quinn@acme.test', 'Alice Archer', 'Bob Baker', 'Carol Chen', 'Erin Quinn', GROUP_NAME,
];

async function send(url: string, from: Registered, to: Registered): Promise<void> {
  const dir = await api(url, 'GET', `/v1/users/${to.userId}`, { auth: from.auth });
  const envelopes = dir.body.devices.map((d: any) => ({
    userId: to.userId, deviceId: d.deviceId, registrationId: d.registrationId, type: 1, content: Buffer.from('hello').toString('base64'),
  }));
  const res = await api(url, 'POST', '/v1/messages', { auth: from.auth, body: { recipient: to.userId, envelopes } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

test('a scripted session leaves no email, display name or group name in the server log', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-log-privacy-'));
  const child = spawn(process.execPath, [launcher, '--data', dataDir, '--port', '0', '--dev-idp', '--scim-token', SCIM_TOKEN],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = /Parley server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
        if (m) resolve(m[1]!);
      };
      child.stdout.on('data', check);
      void exited.then((code) => reject(new Error(`exited ${code}: ${log}`)));
    });

    // Sign-ins through the dev IdP (an OIDC authorization with the person's account).
    const alice = await activeDevice(url, 'alice');
    const bob = await activeDevice(url, 'bob');
    const carol = await activeDevice(url, 'carol'); // org admin

    // Directory: lookups and searches, new (body) and deprecated (query string) forms.
    const lookup = await api(url, 'POST', '/v1/directory/lookup', { auth: alice.auth, body: { email: 'bob@acme.test' } });
    assert.equal(lookup.status, 200, JSON.stringify(lookup.body));
    assert.equal(lookup.body.userId, bob.userId);
    assert.equal((await api(url, 'POST', '/v1/directory/search', { auth: alice.auth, body: { q: 'Bob Baker' } })).body.results[0]?.userId, bob.userId);
    assert.equal((await api(url, 'GET', '/v1/directory?email=bob%40acme.test', { auth: alice.auth })).status, 200);
    assert.equal((await api(url, 'GET', `/v1/directory/search?q=${encodeURIComponent('Carol Chen')}`, { auth: alice.auth })).status, 200);
    assert.equal((await api(url, 'POST', '/v1/directory/lookup', { auth: alice.auth, body: { email: 'erin.quinn@acme.test' } })).status, 404);

    // An admin's lookup by email, and SCIM provisioning filtered by userName.
    assert.equal((await api(url, 'GET', '/v1/admin/users?email=bob%40acme.test', { auth: carol.auth })).status, 200);
    const scimHeaders = { authorization: `Bearer ${SCIM_TOKEN}`, 'content-type': 'application/scim+json' };
    const created = await fetch(`${url}/scim/v2/Users`, {
      method: 'POST', headers: scimHeaders,
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'erin.quinn@acme.test', displayName: 'Erin Quinn', active: true }),
    });
    assert.equal(created.status, 201);
    const filtered = await fetch(`${url}/scim/v2/Users?filter=${encodeURIComponent('userName eq "erin.quinn@acme.test"')}`, { headers: scimHeaders });
    assert.equal(((await filtered.json()) as { totalResults: number }).totalResults, 1);

    // A group with a telling name, a 1:1 send and a group send.
    const group = await api(url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: GROUP_NAME, members: [bob.userId] } });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    await send(url, alice, bob);
    const groupSend = await api(url, 'POST', `/v1/groups/${group.body.id}/messages`, {
      auth: alice.auth,
      body: { envelopes: [{ userId: bob.userId, deviceId: bob.deviceId, registrationId: bob.registrationId, type: 1, content: Buffer.from('hi').toString('base64') }] },
    });
    assert.equal(groupSend.status, 200, JSON.stringify(groupSend.body));
    // A refused request too (its error path logs as well).
    assert.equal((await api(url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: GROUP_NAME, members: ['not-a-user'] } })).status, 400);

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }

  // The capture worked: the session's requests are there, by path and opaque id.
  assert.match(log, /"url":"\/v1\/directory\/lookup"/);
  assert.match(log, /"url":"\/v1\/admin\/users\?email=\[redacted\]"/);
  assert.match(log, /"url":"\/scim\/v2\/Users\?filter=\[redacted\]"/);
  assert.match(log, /"msg":"group created"/);
  const lower = log.toLowerCase();
  for (const secret of SECRETS) {
    for (const form of new Set([secret, encodeURIComponent(secret), secret.replace(/ /g, '+'), encodeURIComponent(`"${secret}"`)])) {
      assert.ok(!lower.includes(form.toLowerCase()), `the server log contains "${form}":\n${log.split('\n').filter((l) => l.toLowerCase().includes(form.toLowerCase())).slice(0, 3).join('\n')}`);
    }
  }
});
