// Finding 5: a hostile server must not be able to swap a device's identity key silently. It answers a
// send with a fabricated 409 naming carol's device as "extra" (so the client drops what it knew), then
// hands out a bundle with its own identity key for that device. A changed key is always a "safety number
// changed" event; for a verified contact, nothing is encrypted to the new key.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceBundle } from '../../common/wire/schemas.ts';
import { SafetyNumberChangedError } from '../../electron/core/messenger.ts';
import { attackerBundle, drain, readStore, rewriteBundles, startWorld, type Device, type World } from './world.ts';

let world: World | undefined;
afterEach(async () => { await world?.close(); world = undefined; });

/** Arms the attack against sends from `victim` to `target`: one fabricated 409, then swapped bundles. */
async function armKeySwap(w: World, victim: Device, target: Device): Promise<{ bundle: DeviceBundle; posted: () => number }> {
  const registrationId = await readStore(target, (s) => s.getJson<{ registrationId: number }>('identity')!.registrationId);
  const bundle = await attackerBundle(target.deviceId, registrationId);
  const ref = { deviceId: target.deviceId, registrationId };
  let fabricated = false;
  w.proxy.beforeRequest((x) => {
    if (fabricated || x.method !== 'POST' || x.path !== '/v1/messages' || x.from?.userId !== victim.userId) return undefined;
    fabricated = true;
    return {
      status: 409,
      body: {
        error: 'mismatched_devices', message: 'Device list mismatch.', missing: [], stale: [],
        extra: [{ userId: target.userId, deviceId: target.deviceId }], devices: { [target.userId]: [ref] },
      },
    };
  });
  rewriteBundles(w.proxy, target.userId, (devices) => devices.map((d) => (d.deviceId === target.deviceId ? bundle : d)));
  // Envelopes posted for the target after the swap: encrypted to the attacker's key.
  const start = w.proxy.exchanges.length;
  const posted = () => w.proxy.exchanges.slice(start).filter((x) => x.method === 'POST' && x.path === '/v1/messages' && x.from?.userId === victim.userId).length;
  return { bundle, posted };
}

test('a fabricated 409 "extra" then a swapped bundle is reported as a safety-number change, not accepted as first contact', async () => {
  world = await startWorld('swap');
  const alice = await world.device('alice');
  const carol = await world.device('carol', { direct: true });
  await alice.m.sendText('carol@acme.test', 'hello carol');
  await drain(carol);
  const before = await readStore(alice, (s) => Buffer.from(s.getPeerIdentity(carol.userId, carol.deviceId)!).toString('base64'));

  const { bundle } = await armKeySwap(world, alice, carol);
  const sent = await alice.m.sendText('carol@acme.test', 'are you still you?');

  // The client still knows carol's real key: removing a device never forgets its identity.
  assert.ok(alice.warnings.some((l) => /safety number with Carol Chen <carol@acme\.test> changed/.test(l)), `warnings: ${alice.warnings.join(' | ')}`);
  const system = alice.m.messages(sent.conversationId).filter((x) => x.direction === 'system').map((x) => x.body);
  assert.deepEqual(system, ['Your safety number with Carol Chen changed.']);
  const now = await readStore(alice, (s) => Buffer.from(s.getPeerIdentity(carol.userId, carol.deviceId)!).toString('base64'));
  assert.notEqual(before, now);
  assert.equal(now, bundle.identityKey, 'the new key is on record, and it was reported');
});

test('for a verified contact, the swapped key is refused: nothing is encrypted to it and the verified key stays on record', async () => {
  world = await startWorld('swap-verified');
  const alice = await world.device('alice');
  const carol = await world.device('carol', { direct: true });
  await alice.m.sendText('carol@acme.test', 'hello carol');
  await drain(carol);
  await alice.m.markVerified('carol@acme.test');

  const { posted } = await armKeySwap(world, alice, carol);
  await assert.rejects(alice.m.sendText('carol@acme.test', 'secret'), SafetyNumberChangedError);
  assert.equal(posted(), 1, 'only the request the attacker answered itself; no envelope for the attacker\'s key');
  assert.equal(alice.m.verificationStatus(carol.userId), 'verified', 'the verified key is still the one on record');
  const known = await readStore(alice, (s) => s.getPeerIdentity(carol.userId, carol.deviceId));
  assert.ok(known, 'the verified identity of carol\'s device is kept');
});
