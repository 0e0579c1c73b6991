// Contract: devices and their lifecycle, published keys, the envelope queue and the audit chain — the same
// assertions on every backend (see harness.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAuditChain } from '../../server/audit.ts';
import { AccountDeactivatedError } from '../../server/store/types.ts';
import { activeUser, auditEntry, claims, envelopeTo, key33, newDevice, sameBytes, type Backend } from './harness.ts';

export function devicesContract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('devices: create numbers devices per user from 1; get, list, touch, describe', async () => {
    const s = await b.fresh();
    const u = await s.users.create(claims('d'), 1);
    const d1 = await newDevice(s, u.userId, 5);
    const d2 = await s.devices.create({ userId: u.userId, registrationId: 7, name: 'phone', credentialHash: new Uint8Array(32).fill(1), lifecycleKey: new Uint8Array(32).fill(2), platform: 'Linux' }, 6);
    assert.deepEqual([d1.deviceId, d2.deviceId], [1, 2]);
    assert.equal(d1.state, 'active');
    assert.deepEqual([d1.identityKey, d1.signedPreKey, d1.wipeRequestedAt, d1.wipeReason, d1.createdAt, d1.lastSeen], [null, null, null, null, 5, 5]);
    assert.ok(sameBytes(d2.credentialHash, new Uint8Array(32).fill(1)) && sameBytes(d2.lifecycleKey, new Uint8Array(32).fill(2)));
    assert.equal(d2.platform, 'Linux');
    assert.deepEqual(await s.devices.get(u.userId, 2), d2);
    assert.equal(await s.devices.get(u.userId, 3), undefined);
    await s.devices.touch(u.userId, 1, 50);
    assert.equal((await s.devices.get(u.userId, 1))?.lastSeen, 50);
    assert.deepEqual((await s.devices.list(u.userId)).map((d) => d.deviceId), [1, 2]);
    const renamed = await s.devices.describe(u.userId, 1, { name: 'work laptop' });
    assert.deepEqual([renamed?.name, renamed?.platform], ['work laptop', '']);
    assert.deepEqual([(await s.devices.describe(u.userId, 1, { platform: 'macOS' }))?.name, (await s.devices.get(u.userId, 1))?.platform], ['work laptop', 'macOS']);
    assert.equal(await s.devices.describe(u.userId, 9, { name: 'x' }), undefined);
  });

  it('devices: a deactivated user cannot register a device', async () => {
    const s = await b.fresh();
    const u = await s.users.create(claims('leaver'), 1);
    const row = await s.scim.createUnmanagedUser(u.userId, { userName: 'leaver' }, null, 1);
    await s.scim.deleteUser(row.id, 2);
    await assert.rejects(newDevice(s, u.userId), AccountDeactivatedError);
  });

  it('devices: active lists devices with published keys in state active only', async () => {
    const s = await b.fresh();
    const { user, device } = await activeUser(s, 'act');
    await newDevice(s, user.userId, 2); // no keys yet
    const active = await s.devices.active(user.userId);
    assert.deepEqual(active.map((d) => [d.deviceId, d.registrationId]), [[device.deviceId, 100]]);
    assert.ok(sameBytes(active[0]!.identityKey, key33(5)));
  });

  it('devices: changeState moves the state, purges queue and prekeys, and chains the audit entry, atomically', async () => {
    const s = await b.fresh();
    const { user, device } = await activeUser(s, 'wipe-me');
    const { user: other, device: od } = await activeUser(s, 'other');
    await s.envelopes.store([envelopeTo(user.userId, device.deviceId, { userId: other.userId, deviceId: od.deviceId }, 1)]);
    const r1 = await s.devices.changeState({ userId: user.userId, deviceId: device.deviceId, state: 'wipe-pending', at: 70, reason: 'lost', purge: true },
      auditEntry(70, user.userId));
    assert.deepEqual([r1.device.state, r1.device.wipeRequestedAt, r1.device.wipeReason, r1.audit.id], ['wipe-pending', 70, 'lost', 1]);
    assert.deepEqual(await s.envelopes.after(user.userId, device.deviceId, 0, 10), []);
    assert.equal(await s.keys.countPreKeys(user.userId, device.deviceId), 0);
    assert.deepEqual(await s.devices.active(user.userId), []);
    const r2 = await s.devices.changeState({ userId: other.userId, deviceId: od.deviceId, state: 'revoked', at: 80, purge: false }, auditEntry(80, other.userId));
    assert.deepEqual([r2.device.state, r2.device.wipeRequestedAt, r2.audit.id], ['revoked', null, 2]);
    assert.equal(await s.keys.countPreKeys(other.userId, od.deviceId), 3, 'no purge asked');
    assert.equal(verifyAuditChain([...await s.audit.list(10)].reverse()), null);
  });

  it('keys: upload validates before writing; identity key immutable; prekeys upserted and counted', async () => {
    const s = await b.fresh();
    const u = await s.users.create(claims('k'), 1);
    const d = await newDevice(s, u.userId);
    const spk = { keyId: 1, publicKey: key33(6), signature: new Uint8Array(64).fill(1) };
    assert.deepEqual(await s.keys.upload(u.userId, d.deviceId, { preKeys: [] }), { ok: false, reason: 'identity_required' });
    assert.deepEqual(await s.keys.upload(u.userId, d.deviceId, { identityKey: key33(5), preKeys: [] }), { ok: false, reason: 'identity_required' });
    assert.deepEqual(await s.keys.upload(u.userId, 99, { identityKey: key33(5), signedPreKey: spk, preKeys: [] }), { ok: false, reason: 'unknown_device' });
    assert.equal((await s.devices.get(u.userId, d.deviceId))?.identityKey, null, 'a refused upload wrote nothing');
    assert.deepEqual(await s.keys.upload(u.userId, d.deviceId, { identityKey: key33(5), signedPreKey: spk, preKeys: [{ keyId: 1, publicKey: key33(1) }, { keyId: 2, publicKey: key33(2) }] }),
      { ok: true, count: 2 });
    assert.deepEqual(await s.keys.upload(u.userId, d.deviceId, { identityKey: key33(8), preKeys: [{ keyId: 3, publicKey: key33(3) }] }), { ok: false, reason: 'identity_key_immutable' });
    assert.equal(await s.keys.countPreKeys(u.userId, d.deviceId), 2);
    assert.deepEqual(await s.keys.upload(u.userId, d.deviceId, { identityKey: key33(5), preKeys: [{ keyId: 2, publicKey: key33(22) }, { keyId: 3, publicKey: key33(3) }] }),
      { ok: true, count: 3 });
    const stored = await s.devices.get(u.userId, d.deviceId);
    assert.ok(sameBytes(stored?.identityKey, key33(5)) && sameBytes(stored?.signedPreKey?.publicKey, key33(6)));
    await s.devices.changeState({ userId: u.userId, deviceId: d.deviceId, state: 'revoked', at: 2, purge: false }, auditEntry(2, u.userId));
    assert.deepEqual(await s.keys.upload(u.userId, d.deviceId, { preKeys: [{ keyId: 9, publicKey: key33(9) }] }), { ok: false, reason: 'unknown_device' });
  });

  it('keys: takeBundles hands out each one-time prekey once, lowest id first, then bundles without one', async () => {
    const s = await b.fresh();
    const { user, device } = await activeUser(s, 'bundles', [7, 3]);
    await newDevice(s, user.userId, 2); // no keys: not in the bundles
    const first = await s.keys.takeBundles(user.userId);
    assert.equal(first.length, 1);
    assert.deepEqual([first[0]!.deviceId, first[0]!.registrationId, first[0]!.preKey?.keyId, first[0]!.signedPreKey.keyId], [device.deviceId, 100, 3, 1]);
    assert.ok(sameBytes(first[0]!.preKey?.publicKey, key33(3)) && sameBytes(first[0]!.identityKey, key33(5)));
    const without = await s.keys.takeBundles(user.userId, device.deviceId, { oneTime: false });
    assert.deepEqual([without.length, 'preKey' in without[0]!, await s.keys.countPreKeys(user.userId, device.deviceId)], [1, false, 1], 'oneTime: false consumes nothing');
    assert.equal((await s.keys.takeBundles(user.userId, device.deviceId))[0]!.preKey?.keyId, 7);
    const empty = await s.keys.takeBundles(user.userId);
    assert.equal(empty.length, 1);
    assert.equal('preKey' in empty[0]!, false);
    assert.deepEqual(await s.keys.takeBundles(user.userId, 2), []);
    assert.deepEqual(await s.keys.takeBundles('u_nobody'), []);
  });

  it('envelopes: stored in one go with increasing ids, read by device after an id, deleted only by their device', async () => {
    const s = await b.fresh();
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: bu, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    const stored = await s.envelopes.store([envelopeTo(bu.userId, bd.deviceId, from, 1), envelopeTo(a.userId, 2, from, 2, 'grp'), envelopeTo(bu.userId, bd.deviceId, from, 3)]);
    assert.equal(stored.length, 3);
    assert.ok(stored[0]!.id < stored[1]!.id && stored[1]!.id < stored[2]!.id);
    assert.deepEqual(stored.map((e) => e.content[0]), [1, 2, 3]);
    assert.equal(stored[1]!.groupId, 'grp');
    const queue = await s.envelopes.after(bu.userId, bd.deviceId, 0, 10);
    assert.deepEqual(queue.map((e) => e.id), [stored[0]!.id, stored[2]!.id]);
    assert.deepEqual({ ...queue[0]!, content: [...queue[0]!.content] }, { ...stored[0]!, content: [1] });
    assert.equal('groupId' in queue[0]!, false);
    assert.equal((await s.envelopes.after(a.userId, 2, 0, 10))[0]!.groupId, 'grp');
    assert.deepEqual((await s.envelopes.after(bu.userId, bd.deviceId, stored[0]!.id, 10)).map((e) => e.id), [stored[2]!.id]);
    assert.equal((await s.envelopes.after(bu.userId, bd.deviceId, 0, 1)).length, 1);
    assert.equal(await s.envelopes.delete(a.userId, ad.deviceId, stored[0]!.id), false, 'not addressed to that device');
    assert.equal(await s.envelopes.delete(bu.userId, bd.deviceId, stored[0]!.id), true);
    assert.equal(await s.envelopes.delete(bu.userId, bd.deviceId, stored[0]!.id), false);
    assert.deepEqual(await s.envelopes.store([]), []);
  });

  it('envelopes: aboutGroup is kept; storeOnce stores a send once per device and sendId until its record expires', async () => {
    const s = await b.fresh();
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: bu, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    const receipt = { ...envelopeTo(bu.userId, bd.deviceId, from, 1), aboutGroup: 'g_about' };
    const send = (ts: number, now: number) => ({ userId: a.userId, deviceId: ad.deviceId, sendId: 'send-1', serverTimestamp: ts, expiresAt: now + 100, now });
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'send-1', 10), undefined);
    const first = await s.envelopes.storeOnce([receipt], send(1000, 10));
    assert.ok('stored' in first && first.stored.length === 1 && first.stored[0]!.aboutGroup === 'g_about');
    assert.equal((await s.envelopes.after(bu.userId, bd.deviceId, 0, 10))[0]!.aboutGroup, 'g_about');
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'send-1', 20), 1000);
    assert.deepEqual(await s.envelopes.storeOnce([envelopeTo(bu.userId, bd.deviceId, from, 2)], send(2000, 20)), { duplicateOf: 1000 });
    assert.equal((await s.envelopes.after(bu.userId, bd.deviceId, 0, 10)).length, 1, 'the retry stored nothing');
    const other = await s.envelopes.storeOnce([envelopeTo(bu.userId, bd.deviceId, from, 3)], { ...send(3000, 20), sendId: 'send-2' });
    assert.ok('stored' in other);
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'send-1', 200), undefined, 'expired');
    const again = await s.envelopes.storeOnce([envelopeTo(bu.userId, bd.deviceId, from, 4)], send(4000, 200));
    assert.ok('stored' in again && again.stored.length === 1, 'an expired record no longer blocks the sendId');
    assert.equal(await s.envelopes.findSend(a.userId, ad.deviceId, 'send-1', 210), 4000);
  });

  it('envelopes: nothing is queued for a device that is no longer active', async () => {
    const s = await b.fresh();
    const { user: a, device: ad } = await activeUser(s, 'a');
    const { user: bu, device: bd } = await activeUser(s, 'b');
    const from = { userId: a.userId, deviceId: ad.deviceId };
    await s.devices.changeState({ userId: bu.userId, deviceId: bd.deviceId, state: 'revoked', at: 5, purge: true }, auditEntry(5, bu.userId));
    const stored = await s.envelopes.store([envelopeTo(bu.userId, bd.deviceId, from, 1), envelopeTo(a.userId, 9, from, 2)]);
    assert.deepEqual(stored.map((e) => [e.destUser, e.destDevice]), [[a.userId, 9]]);
    assert.deepEqual(await s.envelopes.after(bu.userId, bd.deviceId, 0, 10), []);
  });

  it('audit: append numbers and chains entries; list is newest first and limited', async () => {
    const s = await b.fresh();
    const u = await s.users.create(claims('t'), 1);
    const e1 = await s.audit.append(auditEntry(10, u.userId));
    const e2 = await s.audit.append({ ...auditEntry(20, u.userId, null), actor: { userId: u.userId, email: 'x@acme.test' }, action: 'device revoked' });
    assert.deepEqual([e1.id, e2.id], [1, 2]);
    assert.match(e1.hash, /^[0-9a-f]{64}$/);
    const listed = await s.audit.list(10);
    assert.deepEqual(listed, [e2, e1]);
    assert.deepEqual(await s.audit.list(1), [e2]);
    assert.equal(verifyAuditChain([e1, e2]), null);
    assert.equal(verifyAuditChain([e1, { ...e2, reason: 'edited' }]), 2);
  });
}
