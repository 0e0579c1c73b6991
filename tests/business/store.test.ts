// BusinessStore (server/store/*/business.ts) on both backends, the same assertions: profile and logo, welcome
// message, away status, and the daily counters — totals add up, distinct sets count once, and closing a day
// turns its set into numbers and deletes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresBackend, sameBytes, sqliteBackend, type Backend } from '../store-contract/harness.ts';

function contract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('profile: set, keep the logo when not given, remove it with null', async () => {
    const s = await b.fresh();
    assert.equal(await s.business.profile(), undefined);
    const logo = { contentType: 'image/png', data: new Uint8Array([1, 2, 3]), sha256: 'a'.repeat(64) };
    await s.business.setProfile({ name: 'Acme', description: 'd', website: 'https://acme.test', support: 's', officeHours: 'o', logo, updatedAt: 5, updatedBy: 'u1' });
    const kept = await s.business.setProfile({ name: 'Acme 2', description: '', website: '', support: '', officeHours: '', updatedAt: 6, updatedBy: 'u2' });
    assert.equal(kept.name, 'Acme 2');
    assert.ok(sameBytes(kept.logo?.data, logo.data));
    assert.deepEqual([kept.logo?.contentType, kept.logo?.sha256, kept.updatedAt, kept.updatedBy], ['image/png', 'a'.repeat(64), 6, 'u2']);
    const removed = await s.business.setProfile({ name: 'Acme 3', description: '', website: '', support: '', officeHours: '', logo: null, updatedAt: 7, updatedBy: 'u2' });
    assert.equal(removed.logo, null);
    assert.deepEqual(await s.business.profile(), removed);
  });

  it('welcome and away', async () => {
    const s = await b.fresh();
    assert.deepEqual(await s.business.welcome(), { text: null, updatedAt: 0 });
    await s.business.setWelcome('Hello', 3);
    assert.deepEqual(await s.business.welcome(), { text: 'Hello', updatedAt: 3 });
    await s.business.setWelcome(null, 4);
    assert.deepEqual(await s.business.welcome(), { text: null, updatedAt: 4 });
    assert.equal(await s.business.away('u1'), undefined);
    await s.business.setAway('u1', { text: 'On leave', until: 99, outsideWorkingHours: false, updatedAt: 1 });
    await s.business.setAway('u1', { text: 'Back Monday', until: null, outsideWorkingHours: true, updatedAt: 2 });
    assert.deepEqual(await s.business.away('u1'), { text: 'Back Monday', until: null, outsideWorkingHours: true, updatedAt: 2 });
    await s.business.clearAway('u1');
    assert.equal(await s.business.away('u1'), undefined);
  });

  it('counters: totals add, members count once per day, closing a day keeps numbers and drops the set', async () => {
    const s = await b.fresh();
    await s.business.count('2026-01-01', 3, [{ kind: 'u', id: 'u1' }, { kind: 'd', id: 'u1.1' }]);
    await s.business.count('2026-01-01', 2, [{ kind: 'u', id: 'u1' }, { kind: 'u', id: 'u2' }, { kind: 'd', id: 'u2.1' }, { kind: 'g', id: 'g1' }]);
    await s.business.count('2026-01-02', 1, [{ kind: 'u', id: 'u1' }]);
    const open = await s.business.daily('2026-01-01', '2026-01-02');
    assert.deepEqual(open, [
      { day: '2026-01-01', messagesRelayed: 5, activeDevices: 2, activeUsers: 2, groups: 1 },
      { day: '2026-01-02', messagesRelayed: 1, activeDevices: 0, activeUsers: 1, groups: 0 },
    ]);
    await s.business.closeDaysBefore('2026-01-02');
    assert.deepEqual(await s.business.daily('2026-01-01', '2026-01-02'), open, 'closing changes no figure');
    // The closed day's set is gone: a late count for it (another node's buffer at midnight) adds to the numbers —
    // there is no trace of the closed day's members left to dedupe against.
    await s.business.count('2026-01-01', 0, [{ kind: 'u', id: 'u1' }]);
    assert.equal((await s.business.daily('2026-01-01', '2026-01-01'))[0]!.activeUsers, 3);
    await s.business.closeDaysBefore('2026-01-02');
    assert.equal((await s.business.daily('2026-01-01', '2026-01-01'))[0]!.activeUsers, 3);
    assert.deepEqual(await s.business.daily('2025-01-01', '2025-12-31'), []);
  });
}

contract(sqliteBackend());
contract(postgresBackend());
