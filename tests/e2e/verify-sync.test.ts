// Everyday E10: a safety number verified on one of your devices is verified on your others — marked in the
// CLI, it shows as verified in the app (here: the client core the app runs on). The news travels
// end-to-end encrypted to your own devices, and a device applies it only when it comes from one of your
// devices and names exactly the keys that device has itself.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { DirectoryEntry } from '../../common/wire/schemas.ts';
import { ok } from './harness.ts';
import { attackerBundle, drain, startWorld, type World } from '../hostile/world.ts';

let world: World | undefined;
afterEach(async () => { await world?.close(); world = undefined; });

test('verified in the CLI → verified in the app; a later message from that contact is not held there', async () => {
  world = await startWorld('verify-sync');
  const w = world;
  const cli = join(w.root, 'alice-cli');
  await ok(['--profile', cli, 'login', '--server', w.server.url, '--user', 'alice']);
  const app = await w.device('alice', { direct: true });
  const bob = await w.device('bob', { direct: true });
  await bob.m.sendText('alice@acme.test', 'hello both of you');
  assert.deepEqual((await drain(app)).messages.map((x) => x.text), ['hello both of you']);

  assert.match(await ok(['--profile', cli, 'safety-number', 'bob@acme.test', '--mark-verified']), /status: verified/);
  assert.equal(app.m.verificationStatus(bob.userId), 'unverified');
  await drain(app);
  assert.equal(app.m.verificationStatus(bob.userId), 'verified');
  assert.ok(app.warnings.some((l) => /marked verified on your other device/.test(l)), app.warnings.join(' | '));
  assert.equal((await app.m.safetyNumber('bob@acme.test')).status, 'verified', 'the same safety number on both devices');

  await bob.m.sendText('alice@acme.test', 'now verified');
  assert.deepEqual((await drain(app)).messages.map((x) => [x.text, x.flag]), [['now verified', undefined]]);
});

test('a verification naming a key this device does not have for the contact is refused', async () => {
  world = await startWorld('verify-sync-mismatch');
  const w = world;
  const alice1 = await w.device('alice'); // through the hostile relay
  const alice2 = await w.device('alice', { direct: true });
  const bob = await w.device('bob', { direct: true });
  // The relay shows alice1 (only) a different key for bob's device.
  const fake = await attackerBundle(bob.deviceId, 1);
  w.proxy.afterResponse((x) => {
    // The device list comes from the user's entry or from a directory lookup by email (in the request body).
    const isBob = (x.method === 'GET' && x.path === `/v1/users/${bob.userId}`)
      || (x.method === 'POST' && x.path === '/v1/directory/lookup' && (x.requestBody as { email?: string } | undefined)?.email === 'bob@acme.test');
    if (!isBob || x.status !== 200 || x.from?.userId !== alice1.userId || x.from.deviceId !== alice1.deviceId) return undefined;
    const entry = x.body as DirectoryEntry;
    return { status: 200, body: { ...entry, devices: entry.devices.map((d) => ({ ...d, identityKey: fake.identityKey })) } };
  });
  await alice1.m.markVerified('bob@acme.test');
  assert.equal(alice1.m.verificationStatus(bob.userId), 'verified');

  const got = await drain(alice2);
  assert.equal(got.rejected.length, 1);
  assert.match(got.rejected[0]!.reason, /verified a key for bob@acme\.test's device \d+ that this device does not have/);
  assert.equal(alice2.m.verificationStatus(bob.userId), 'unverified');
});
