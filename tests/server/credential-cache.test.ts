// The verified-credential cache (server/auth.ts): a request of a known device costs a hash, not a database read —
// and a device revoked or wiped is refused on its very next request, its cached credential notwithstanding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialCache } from '../../server/auth.ts';
import type { DeviceRecord } from '../../server/store/types.ts';
import { api, registerDevice, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
before(async () => { server = await startTestServer(); });
after(async () => { await server.cleanup(); });

test('a revoked device is refused at once although its credential was cached', async () => {
  const laptop = await registerDevice(server.url, 'carol');
  const phone = await registerDevice(server.url, 'carol');
  // Two requests: the second one is answered from the cache.
  for (let i = 0; i < 2; i++) assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: laptop.auth })).status, 200);
  const removed = await api(server.url, 'DELETE', `/v1/devices/${laptop.deviceId}`, { auth: phone.auth });
  assert.equal(removed.status, 200, JSON.stringify(removed.body));
  const after = await api(server.url, 'GET', '/v1/devices/me', { auth: laptop.auth });
  assert.equal(after.status, 401);
  assert.equal(after.body.error, 'device_revoked');
  // The other device is unaffected.
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: phone.auth })).status, 200);
});

test('signing out (DELETE /v1/devices/me) ends the cached credential too', async () => {
  const dev = await registerDevice(server.url, 'dave');
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: dev.auth })).status, 200);
  assert.equal((await api(server.url, 'DELETE', '/v1/devices/me', { auth: dev.auth })).status, 200);
  const again = await api(server.url, 'GET', '/v1/devices/me', { auth: dev.auth });
  assert.equal(again.status, 401);
  assert.equal(again.body.error, 'device_revoked');
});

test('a cached device with a wrong secret is 401, like an unknown one', async () => {
  const dev = await registerDevice(server.url, 'alice');
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: dev.auth })).status, 200);
  const secret = dev.credential.slice(dev.credential.lastIndexOf('.') + 1);
  const forged = `${dev.credential.slice(0, dev.credential.lastIndexOf('.') + 1)}${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
  const res = await api(server.url, 'GET', '/v1/devices/me', { auth: { authorization: `Bearer ${forged}` } });
  assert.equal(res.status, 401);
  assert.equal(res.body.error, 'unauthorized');
});

const record = (userId: string, deviceId: number, state: DeviceRecord['state'] = 'active'): DeviceRecord => ({
  userId, deviceId, registrationId: 1, name: 'x', credentialHash: new Uint8Array(32), identityKey: null, signedPreKey: null,
  createdAt: 0, lastSeen: 0, lifecycleKey: null, state, wipeRequestedAt: null, wipeReason: null, platform: '',
});

test('the cache is bounded, keeps only active devices, and drops what a lookup read before a revocation', () => {
  const cache = new CredentialCache(3);
  for (let d = 1; d <= 5; d++) cache.put(record('u_a', d), cache.epoch);
  assert.equal(cache.size, 3);
  assert.equal(cache.get('u_a', 1), undefined, 'the oldest went first');
  assert.ok(cache.get('u_a', 5));
  cache.put(record('u_b', 1, 'revoked'), cache.epoch);
  assert.equal(cache.get('u_b', 1), undefined);
  // A lookup that started before a revocation must not cache what it read.
  const epoch = cache.epoch;
  cache.forget('u_c', 1);
  cache.put(record('u_c', 1), epoch);
  assert.equal(cache.get('u_c', 1), undefined);
  cache.forget('u_a', 5);
  assert.equal(cache.get('u_a', 5), undefined);
});
