// Contract: the workplace store (server/store/workplace.ts) — own working hours, consent records, and held
// delivery (envelopes with deliverAfter stay out of the queue until released, under a fresh id, exactly once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeUser, envelopeTo, type Backend } from './harness.ts';

export function workplaceContract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('workplace: own working hours are set, replaced and cleared', async () => {
    const s = await b.fresh();
    const { user } = await activeUser(s, 'hours');
    assert.equal(await s.workplace.hours(user.userId), undefined);
    await s.workplace.setHours(user.userId, { timeZone: 'Europe/Berlin', days: ['mon', 'tue'], start: '09:00', end: '17:00' }, 10);
    await s.workplace.setHours(user.userId, { timeZone: 'Asia/Tokyo', days: ['wed'], start: '22:00', end: '06:00' }, 20);
    assert.deepEqual(await s.workplace.hours(user.userId), { timeZone: 'Asia/Tokyo', days: ['wed'], start: '22:00', end: '06:00', updatedAt: 20 });
    await s.workplace.setHours(user.userId, null, 30);
    assert.equal(await s.workplace.hours(user.userId), undefined);
  });

  it('workplace: a consent is recorded once per version; the newest per person is listed', async () => {
    const s = await b.fresh();
    const { user } = await activeUser(s, 'consent');
    assert.equal(await s.workplace.recordConsent({ userId: user.userId, version: 'v1', acceptedAt: 10, deviceId: 1 }), true);
    assert.equal(await s.workplace.recordConsent({ userId: user.userId, version: 'v1', acceptedAt: 20, deviceId: 2 }), false);
    assert.deepEqual(await s.workplace.consent(user.userId, 'v1'), { userId: user.userId, version: 'v1', acceptedAt: 10, deviceId: 1 });
    assert.equal(await s.workplace.consent(user.userId, 'v2'), undefined);
    await s.workplace.recordConsent({ userId: user.userId, version: 'v2', acceptedAt: 30, deviceId: 1 });
    assert.equal((await s.workplace.latestConsents()).get(user.userId)?.version, 'v2');
  });

  it('workplace: held envelopes are neither fetched nor acked until released under a fresh id, exactly once', async () => {
    const s = await b.fresh();
    const a = await activeUser(s, 'sender');
    const r = await activeUser(s, 'recipient');
    const from = { userId: a.user.userId, deviceId: a.device.deviceId };
    const [held] = await s.envelopes.store([{ ...envelopeTo(r.user.userId, r.device.deviceId, from, 1), deliverAfter: 1000 }]);
    const [live] = await s.envelopes.store([envelopeTo(r.user.userId, r.device.deviceId, from, 2)]);
    assert.deepEqual((await s.envelopes.after(r.user.userId, r.device.deviceId, 0, 10)).map((e) => e.id), [live!.id]);
    assert.equal(await s.envelopes.delete(r.user.userId, r.device.deviceId, held!.id), false, 'a held envelope cannot be acked away');
    assert.equal(await s.workplace.heldUntil(r.user.userId), 1000);
    assert.deepEqual(await s.workplace.releaseDue(999, 10), []);

    // Two releasers at once (two nodes): the envelope moves once.
    const [x, y] = await Promise.all([s.workplace.releaseDue(1000, 10), s.workplace.releaseDue(1000, 10)]);
    const moved = [...x!, ...y!];
    assert.equal(moved.length, 1);
    assert.ok(moved[0]!.id > live!.id, 'a fresh id, after everything already queued');
    assert.deepEqual(Array.from(moved[0]!.content), [1]);
    const queue = await s.envelopes.after(r.user.userId, r.device.deviceId, live!.id, 10);
    assert.deepEqual(queue.map((e) => [e.id, e.serverTimestamp]), [[moved[0]!.id, held!.serverTimestamp]]);
    assert.equal(await s.workplace.heldUntil(r.user.userId), undefined);
  });

  it('workplace: rehold re-times a person\'s held envelopes or releases them', async () => {
    const s = await b.fresh();
    const a = await activeUser(s, 'sender2');
    const r = await activeUser(s, 'recipient2');
    const other = await activeUser(s, 'other');
    const from = { userId: a.user.userId, deviceId: a.device.deviceId };
    await s.envelopes.store([
      { ...envelopeTo(r.user.userId, r.device.deviceId, from, 1), deliverAfter: 5000 },
      { ...envelopeTo(other.user.userId, other.device.deviceId, from, 2), deliverAfter: 5000 },
    ]);
    assert.deepEqual(await s.workplace.rehold(r.user.userId, 9000), []);
    assert.equal(await s.workplace.heldUntil(r.user.userId), 9000);
    assert.equal(await s.workplace.heldUntil(other.user.userId), 5000, 'only that person\'s');
    const released = await s.workplace.rehold(r.user.userId, null);
    assert.deepEqual(released.map((e) => e.destUser), [r.user.userId]);
    assert.equal((await s.envelopes.after(r.user.userId, r.device.deviceId, 0, 10)).length, 1);
    assert.equal((await s.envelopes.after(other.user.userId, other.device.deviceId, 0, 10)).length, 0);
  });
}
