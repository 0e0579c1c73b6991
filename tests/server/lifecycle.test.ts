// The device side of the lifecycle: lifecycle keys at registration, signed status checks, offline leases
// signed by the server's persistent lease key, and the offline policy options.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Value } from 'typebox/value';
import { RegisterDeviceResponse } from '../../common/wire/schemas.ts';
import { DeviceStatusResponse, signedText, type Lease } from '../../common/wire/lifecycle.ts';
import {
  activeDevice, api, devLogin, lifecycleKeyPair, registerDevice, startTestServer, type Registered, type TestServer,
} from './helpers.ts';
import { ErrorCode } from '../../common/errors.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let skewMs = 0;
let server: TestServer;
let alice: Registered;
before(async () => {
  server = await startTestServer({ now: () => Date.now() + skewMs });
  alice = await activeDevice(server.url, 'alice');
});
after(async () => { await server.cleanup(); });

function statusRequest(dev: Registered, opts: { timestamp?: number; sign?: (text: string) => string } = {}) {
  const timestamp = opts.timestamp ?? Date.now();
  const signature = (opts.sign ?? dev.lifecycle.sign)(signedText.status(dev.userId, dev.deviceId, timestamp));
  return { userId: dev.userId, deviceId: dev.deviceId, timestamp, signature };
}
const checkStatus = (dev: Registered, opts: Parameters<typeof statusRequest>[1] = {}, url = server.url) =>
  api(url, 'POST', '/v1/lifecycle/status', { body: statusRequest(dev, opts) });

/** Verifies a lease the way a device does: Ed25519 over signedText.lease with the pinned leasePublicKey. */
function leaseVerifies(leasePublicKey: string, dev: Registered, lease: Lease): boolean {
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(leasePublicKey, 'base64').toString('base64url') }, format: 'jwk' });
  const text = signedText.lease(dev.userId, dev.deviceId, lease.issuedAt, lease.lockAfter, lease.wipeAfter);
  return verify(null, Buffer.from(text), key, Buffer.from(lease.signature, 'base64'));
}

test('registration stores the lifecycle key and answers with the lease key and the offline policy', async () => {
  assert.ok(Value.Check(RegisterDeviceResponse, alice));
  assert.equal(Buffer.from(alice.leasePublicKey, 'base64').length, 32);
  assert.equal(alice.offlineLockHours, 72);
  assert.equal(alice.offlineWipeDays, null);
  const bob = await registerDevice(server.url, 'bob');
  assert.equal(bob.leasePublicKey, alice.leasePublicKey, 'one lease key per server');
  // The private half sits in the data dir, readable by the server's user only.
  const mode = (await stat(join(server.dataDir, 'lease-key.pem'))).mode & 0o777;
  assert.equal(mode, 0o600);
});

test('a lifecycleKey that is not 32 bytes: 400 invalid_key, and the sign-in is not burnt', async () => {
  const { idToken } = await devLogin(server.url, 'dave');
  const short = Buffer.alloc(31, 7).toString('base64');
  const long = Buffer.alloc(33, 7).toString('base64');
  for (const lifecycleKey of [short, long]) {
    const res = await api(server.url, 'POST', '/v1/devices', { body: { idToken, registrationId: 5, name: 'pc', lifecycleKey } });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.error?.code, ErrorCode.invalid_key);
  }
  const missing = await api(server.url, 'POST', '/v1/devices', { body: { idToken, registrationId: 5, name: 'pc' } });
  assert.equal(missing.status, 400);
  const ok = await api(server.url, 'POST', '/v1/devices', { body: { idToken, registrationId: 5, name: 'pc', lifecycleKey: lifecycleKeyPair().publicKey } });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});

test('status check of an active device: a fresh lease that verifies with the pinned key, lockAfter = issuedAt + 72 h', async () => {
  const before = Date.now();
  const res = await checkStatus(alice);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.ok(Value.Check(DeviceStatusResponse, res.body));
  assert.equal(res.body.status, 'active');
  assert.equal(res.body.organization, 'Acme Corp');
  assert.equal(res.body.wipe, undefined);
  const lease = res.body.lease as Lease;
  assert.ok(lease.issuedAt >= before && lease.issuedAt <= Date.now());
  assert.equal(res.body.serverTime, lease.issuedAt);
  assert.equal(lease.lockAfter, lease.issuedAt + 72 * HOUR);
  assert.equal(lease.wipeAfter, null);
  assert.ok(leaseVerifies(alice.leasePublicKey, alice, lease));
  // Any change to the lease breaks the signature.
  assert.equal(leaseVerifies(alice.leasePublicKey, alice, { ...lease, lockAfter: lease.lockAfter + DAY }), false);
  assert.equal(leaseVerifies(alice.leasePublicKey, alice, { ...lease, wipeAfter: lease.lockAfter }), false);
});

test('status check updates lastSeen', async () => {
  const carol = await activeDevice(server.url, 'carol');
  const lastSeen = async () => {
    const res = await api(server.url, 'GET', `/v1/admin/users?email=alice@acme.test`, { auth: carol.auth });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.users[0].devices.find((d: any) => d.deviceId === alice.deviceId).lastSeen as number;
  };
  skewMs = 10 * 60_000; // both clocks 10 minutes on, so the new lastSeen cannot be an old value
  try {
    const res = await checkStatus(alice, { timestamp: Date.now() + skewMs });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(await lastSeen(), res.body.lease.issuedAt);
  } finally {
    skewMs = 0;
  }
});

test('status check refusals: bad signature, wrong key, other kind of signed text → 401 invalid_signature; stale → 401 stale_request; unknown → 404', async () => {
  const other = lifecycleKeyPair();
  const wrongKey = await checkStatus(alice, { sign: other.sign });
  assert.equal(wrongKey.status, 401);
  assert.equal(wrongKey.error?.code, ErrorCode.invalid_signature);
  assert.equal(typeof wrongKey.body.message, 'string');

  const req = statusRequest(alice);
  const tampered = await api(server.url, 'POST', '/v1/lifecycle/status', { body: { ...req, timestamp: req.timestamp + 1 } });
  assert.equal(tampered.status, 401);
  assert.equal(tampered.error?.code, ErrorCode.invalid_signature);

  // A wipe-receipt signature cannot pass as a status check (fixed prefixes).
  const t = Date.now();
  const asReceipt = alice.lifecycle.sign(signedText.receipt(alice.userId, alice.deviceId, t, ['x']));
  const crossKind = await api(server.url, 'POST', '/v1/lifecycle/status', {
    body: { userId: alice.userId, deviceId: alice.deviceId, timestamp: t, signature: asReceipt },
  });
  assert.equal(crossKind.status, 401);

  for (const offset of [-6 * 60_000, 6 * 60_000]) {
    const stale = await checkStatus(alice, { timestamp: Date.now() + offset });
    assert.equal(stale.status, 401, `offset ${offset}`);
    assert.equal(stale.error?.code, ErrorCode.stale_request);
  }
  // Within the ±5 minute window is fine.
  assert.equal((await checkStatus(alice, { timestamp: Date.now() - 4 * 60_000 })).status, 200);

  const unknown = await api(server.url, 'POST', '/v1/lifecycle/status', { body: { ...statusRequest(alice), deviceId: 999 } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.error?.code, ErrorCode.unknown_device);

  const malformed = await api(server.url, 'POST', '/v1/lifecycle/status', { body: { ...statusRequest(alice), extra: 1 } });
  assert.equal(malformed.status, 400);
});

test('wipe receipt for a device nobody asked to wipe: 409 no_wipe_requested', async () => {
  const wipedAt = Date.now();
  const steps = ['key-destroyed', 'files-deleted'];
  const res = await api(server.url, 'POST', '/v1/lifecycle/wipe-receipt', {
    body: { userId: alice.userId, deviceId: alice.deviceId, wipedAt, steps, signature: alice.lifecycle.sign(signedText.receipt(alice.userId, alice.deviceId, wipedAt, steps)) },
  });
  assert.equal(res.status, 409);
  assert.equal(res.error?.code, ErrorCode.no_wipe_requested);
  assert.equal((await api(server.url, 'GET', '/v1/devices/me', { auth: alice.auth })).status, 200, 'the device is untouched');
});

test('org offline policy options: lockAfter and wipeAfter follow them', async () => {
  const custom = await startTestServer({ offlineLockHours: 24, offlineWipeDays: 30 });
  try {
    const dev = await activeDevice(custom.url, 'bob');
    assert.equal(dev.offlineLockHours, 24);
    assert.equal(dev.offlineWipeDays, 30);
    const res = await checkStatus(dev, {}, custom.url);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const lease = res.body.lease as Lease;
    assert.equal(lease.lockAfter, lease.issuedAt + 24 * HOUR);
    assert.equal(lease.wipeAfter, lease.issuedAt + 30 * DAY);
    assert.ok(leaseVerifies(dev.leasePublicKey, dev, lease));
  } finally {
    await custom.cleanup();
  }
  await assert.rejects(startTestServer({ offlineLockHours: 0 }), /offlineLockHours/);
  await assert.rejects(startTestServer({ offlineWipeDays: 1.5 }), /offlineWipeDays/);
});

test('the lease key survives a restart on the same dataDir; leases issued before still verify', async () => {
  const first = await startTestServer();
  let dev: Registered;
  let lease: Lease;
  try {
    dev = await activeDevice(first.url, 'alice');
    lease = (await checkStatus(dev, {}, first.url)).body.lease;
  } finally {
    await first.close();
  }
  const second = await startTestServer({ dataDir: first.dataDir });
  try {
    const again = await registerDevice(second.url, 'bob');
    assert.equal(again.leasePublicKey, dev.leasePublicKey);
    assert.ok(leaseVerifies(again.leasePublicKey, dev, lease));
    // The device registered before the restart still gets leases under the same key.
    const res = await checkStatus(dev, {}, second.url);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(leaseVerifies(dev.leasePublicKey, dev, res.body.lease));
  } finally {
    await second.cleanup();
  }
});
