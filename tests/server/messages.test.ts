import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { DeviceMismatch, DirectoryEntry } from '../../common/wire/schemas.ts';
import { activeDevice, api, registerDevice, startTestServer, type Registered, type TestServer } from './helpers.ts';
import { ErrorCode } from '../../common/errors.ts';

let server: TestServer;
let alice1: Registered, alice2: Registered, bob1: Registered, bob2: Registered;
before(async () => {
  server = await startTestServer();
  alice1 = await activeDevice(server.url, 'alice');
  alice2 = await activeDevice(server.url, 'alice');
  bob1 = await activeDevice(server.url, 'bob');
  bob2 = await activeDevice(server.url, 'bob');
  await registerDevice(server.url, 'bob'); // registered but never published keys: not active, not expected
});
after(async () => { await server.cleanup(); });

const env = (d: Registered, over: Record<string, unknown> = {}) => ({
  userId: d.userId, deviceId: d.deviceId, registrationId: d.registrationId, type: 1, content: Buffer.from(`for ${d.deviceId}`).toString('base64'), ...over,
});
const send = (from: Registered, recipient: string, envelopes: unknown[]) =>
  api(server.url, 'POST', '/v1/messages', { auth: from.auth, body: { recipient, envelopes } });

test('directory: lookup by email (case-insensitive), search, by id', async () => {
  const entry = await api(server.url, 'GET', '/v1/directory?email=BOB@Acme.Test', { auth: alice1.auth });
  assert.equal(entry.status, 200);
  assert.ok(Value.Check(DirectoryEntry, entry.body));
  const { devices, ...person } = entry.body;
  assert.deepEqual(person, { userId: bob1.userId, email: 'bob@acme.test', name: 'Bob Baker' });
  assert.deepEqual(devices.map(({ deviceId, registrationId }: { deviceId: number; registrationId: number }) => ({ deviceId, registrationId })),
    [{ deviceId: 1, registrationId: bob1.registrationId }, { deviceId: 2, registrationId: bob2.registrationId }]);
  // Each device's public identity key is listed (safety numbers need no prekey fetch).
  for (const d of devices) assert.equal(Buffer.from(d.identityKey, 'base64').length, 33);
  assert.deepEqual((await api(server.url, 'GET', `/v1/users/${bob1.userId}`, { auth: alice1.auth })).body, entry.body);
  const missing = await api(server.url, 'GET', '/v1/directory?email=nobody@acme.test', { auth: alice1.auth });
  assert.deepEqual([missing.status, missing.error?.code], [404, ErrorCode.unknown_user]);
  assert.equal((await api(server.url, 'GET', '/v1/users/u_AAAAAAAAAAAAAAAAAAAAAA', { auth: alice1.auth })).status, 404);

  const search = await api(server.url, 'GET', '/v1/directory/search?q=BAK', { auth: alice1.auth });
  assert.deepEqual(search.body.results.map((r: { email: string }) => r.email), ['bob@acme.test']);
  const all = await api(server.url, 'GET', '/v1/directory/search?q=acme.test', { auth: alice1.auth });
  // The dev IdP's demo users are in the directory before they sign in (server/identity/pending.ts).
  assert.deepEqual(all.body.results.map((r: { name: string }) => r.name), ['Alice Archer', 'Bob Baker', 'Carol Chen', 'Dave Diaz']);
  assert.deepEqual((await api(server.url, 'GET', '/v1/directory/search?q=%25', { auth: alice1.auth })).body, { results: [] });
  assert.equal((await api(server.url, 'GET', '/v1/directory?email=bob@acme.test')).status, 401);
});

test('send: missing and extra devices → 409 with device lists', async () => {
  const missing = await send(alice1, bob1.userId, [env(bob1), env(alice2)]);
  assert.equal(missing.status, 409);
  assert.ok(Value.Check(DeviceMismatch, missing.body));
  assert.equal(missing.error?.code, ErrorCode.mismatched_devices);
  assert.deepEqual(missing.body.missing, [{ userId: bob2.userId, deviceId: 2 }]);
  assert.deepEqual(missing.body.extra, []);
  assert.deepEqual(missing.body.stale, []);
  assert.deepEqual(missing.body.devices[bob1.userId], [
    { deviceId: 1, registrationId: bob1.registrationId }, { deviceId: 2, registrationId: bob2.registrationId }]);
  assert.deepEqual(missing.body.devices[alice1.userId], [
    { deviceId: 1, registrationId: alice1.registrationId }, { deviceId: 2, registrationId: alice2.registrationId }]);

  // The sending device itself, and bob's inactive device 3, are extra.
  const extra = await send(alice1, bob1.userId, [env(bob1), env(bob2), env(alice2), env(alice1), env(bob1, { deviceId: 3 })]);
  assert.equal(extra.status, 409);
  assert.deepEqual(extra.body.missing, []);
  assert.deepEqual(extra.body.extra, [{ userId: alice1.userId, deviceId: 1 }, { userId: bob1.userId, deviceId: 3 }]);

  const dup = await send(alice1, bob1.userId, [env(bob1), env(bob1), env(bob2), env(alice2)]);
  assert.equal(dup.status, 400);
  assert.equal(dup.error?.code, ErrorCode.duplicate_device);
});

test('send: stale registrationId → 410; unknown recipient → 404; correct → stored', async () => {
  const stale = await send(alice1, bob1.userId, [env(bob1), env(bob2, { registrationId: (bob2.registrationId % 16000) + 1 }), env(alice2)]);
  assert.equal(stale.status, 410);
  assert.ok(Value.Check(DeviceMismatch, stale.body));
  assert.equal(stale.error?.code, ErrorCode.stale_devices);
  assert.deepEqual(stale.body.stale, [{ userId: bob2.userId, deviceId: 2 }]);

  const unknown = await send(alice1, 'u_AAAAAAAAAAAAAAAAAAAAAA', [env(bob1)]);
  assert.deepEqual([unknown.status, unknown.error?.code], [404, ErrorCode.unknown_user]);

  const before = Date.now();
  const ok = await send(alice1, bob1.userId, [env(bob1), env(bob2, { type: 3 }), env(alice2)]);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.ok(ok.body.serverTimestamp >= before && ok.body.serverTimestamp <= Date.now());
});
