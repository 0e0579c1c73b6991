// Contract: the batched bundle fetch (keys.takeBundlesBatch, POST /v1/keys/bundles) — the same assertions on every
// backend (see harness.ts): per device one bundle and at most one one-time prekey, what is left, nothing for
// unknown users or devices, and a request without oneTime takes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeUser, key33, newDevice, sameBytes, type Backend } from './harness.ts';

export function keysContract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('keys: takeBundlesBatch serves many users in request order, one prekey per device, with what is left', async () => {
    const s = await b.fresh();
    const a = await activeUser(s, 'batch-a', [5, 4, 6]);
    const c = await activeUser(s, 'batch-c', [1]);
    const e = await activeUser(s, 'batch-e', []);
    // A second device of a, active, and a third without keys (never in a bundle).
    const a2 = await newDevice(s, a.user.userId, 2);
    const up = await s.keys.upload(a.user.userId, a2.deviceId, {
      identityKey: key33(8), signedPreKey: { keyId: 3, publicKey: key33(9), signature: new Uint8Array(64).fill(2) }, preKeys: [{ keyId: 70, publicKey: key33(70) }],
    });
    assert.ok(up.ok);
    await newDevice(s, a.user.userId, 3);

    const got = await s.keys.takeBundlesBatch([
      { userId: c.user.userId, oneTime: true },
      { userId: 'u_nobodyaaaaaaaaaaaaaaaaa', oneTime: true },
      { userId: a.user.userId, oneTime: true },
      { userId: e.user.userId, oneTime: true },
    ]);
    assert.deepEqual(got.map((x) => [x.userId, x.deviceId, x.preKey?.keyId, x.preKeysLeft]), [
      [c.user.userId, 1, 1, 0],
      [a.user.userId, 1, 4, 2],
      [a.user.userId, 2, 70, 0],
      [e.user.userId, 1, undefined, undefined],
    ]);
    assert.ok(sameBytes(got[1]!.preKey?.publicKey, key33(4)) && sameBytes(got[2]!.identityKey, key33(8)));
    assert.deepEqual([got[2]!.registrationId, got[2]!.signedPreKey.keyId], [100, 3]);
    assert.ok(sameBytes(got[2]!.signedPreKey.signature, new Uint8Array(64).fill(2)));
    assert.equal('preKey' in got[3]!, false);

    // Just the devices asked for; oneTime false takes nothing; a device asked twice gets one bundle, one prekey.
    const some = await s.keys.takeBundlesBatch([
      { userId: a.user.userId, deviceIds: [1, 3, 9], oneTime: true },
      { userId: a.user.userId, deviceIds: [1], oneTime: true },
      { userId: c.user.userId, oneTime: false },
    ]);
    assert.deepEqual(some.map((x) => [x.userId, x.deviceId, x.preKey?.keyId]), [[a.user.userId, 1, 5], [c.user.userId, 1, undefined]]);
    assert.deepEqual([await s.keys.countPreKeys(a.user.userId, 1), await s.keys.countPreKeys(c.user.userId, 1)], [1, 0]);
    assert.deepEqual(await s.keys.takeBundlesBatch([]), []);
  });

  it('keys: takeBundlesBatch and takeBundles never hand out the same one-time prekey twice', async () => {
    const s = await b.fresh();
    const ids = Array.from({ length: 12 }, (_, i) => i + 1);
    const t = await activeUser(s, 'target', ids);
    const all = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2
      ? s.keys.takeBundles(t.user.userId).then((bs) => bs.map((x) => x.preKey?.keyId))
      : s.keys.takeBundlesBatch([{ userId: t.user.userId, oneTime: true }]).then((bs) => bs.map((x) => x.preKey?.keyId)))));
    const keys = all.flat().filter((k) => k !== undefined);
    assert.deepEqual([...keys].sort((x, y) => x - y), ids, 'each of the 12 exactly once, then bundles without one');
    assert.equal(await s.keys.countPreKeys(t.user.userId, t.device.deviceId), 0);
  });
}
