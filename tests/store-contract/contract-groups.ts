// Contract: admin-governed chat groups — members with roles, the per-group event log, and the directory
// (SCIM) link — the same assertions on every backend (see harness.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerStore } from '../../server/store/types.ts';
import { claims, type Backend } from './harness.ts';

const group = (id: string, createdBy: string, at: number, extra: Partial<{ scimGroupId: string | null; name: string }> = {}) => ({
  id, name: `group ${id}`, announcement: false, confidential: false, scimGroupId: null, createdAt: at, createdBy, ...extra,
});

async function users(s: ServerStore, ...subs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const sub of subs) out.push((await s.users.create(claims(sub), 1)).userId);
  return out;
}

const log = async (s: ServerStore, id: string, after = 0) => (await s.groups.events(id, after, 100)).map((e) => [e.seq, e.kind, e.actor, e.subject]);

export function groupsContract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('groups: create logs created and added; get, members, listOf and listAll', async () => {
    const s = await b.fresh();
    const [owner, m1, m2] = await users(s, 'owner', 'm1', 'm2');
    const g = await s.groups.create(group('g1', owner!, 10), [
      { userId: owner!, role: 'owner', viaScim: false }, { userId: m1!, role: 'admin', viaScim: false }, { userId: m2!, role: 'member', viaScim: true },
    ]);
    assert.deepEqual(g, { ...group('g1', owner!, 10), updatedAt: 10 });
    assert.deepEqual(await s.groups.get('g1'), g);
    assert.equal(await s.groups.get('nope'), undefined);
    assert.deepEqual(await log(s, 'g1'), [[1, 'created', owner, null], [2, 'added', owner, m1], [3, 'added', 'scim', m2]]);
    assert.deepEqual((await s.groups.members('g1')).map((m) => [m.userId, m.role, m.viaScim, m.addedAt]),
      [[owner, 'owner', false, 10], [m1, 'admin', false, 10], [m2, 'member', true, 10]]);
    await s.groups.create(group('g2', m1!, 20), [{ userId: m1!, role: 'owner', viaScim: false }]);
    assert.deepEqual((await s.groups.listOf(m1!)).map((x) => [x.id, x.role]), [['g2', 'owner'], ['g1', 'admin']]);
    assert.deepEqual((await s.groups.listAll()).map((x) => [x.id, x.memberCount]), [['g2', 1], ['g1', 3]]);
    assert.deepEqual(await log(s, 'g1', 2), [[3, 'added', 'scim', m2]]);
    assert.deepEqual((await s.groups.events('g1', 0, 1)).length, 1);
  });

  it('groups: addMember, removeMember, setRole log once and report no-ops', async () => {
    const s = await b.fresh();
    const [owner, x] = await users(s, 'owner', 'x');
    await s.groups.create(group('g', owner!, 1), [{ userId: owner!, role: 'owner', viaScim: false }]);
    assert.equal(await s.groups.addMember('g', { userId: x!, role: 'member', viaScim: false }, owner!, 2), true);
    assert.equal(await s.groups.addMember('g', { userId: x!, role: 'member', viaScim: false }, owner!, 3), false);
    assert.equal(await s.groups.setRole('g', x!, 'admin', owner!, 4), 'promoted');
    assert.equal(await s.groups.setRole('g', x!, 'admin', owner!, 5), 'unchanged');
    assert.equal(await s.groups.setRole('g', owner!, 'admin', owner!, 5), 'unchanged', 'an owner already counts as admin');
    assert.equal(await s.groups.setRole('g', x!, 'member', owner!, 6), 'demoted');
    assert.equal(await s.groups.setRole('g', 'u_nobody', 'admin', owner!, 6), 'not_member');
    assert.equal(await s.groups.removeMember('g', x!, 'left', x!, 7), true);
    assert.equal(await s.groups.removeMember('g', x!, 'removed', owner!, 8), false);
    assert.deepEqual(await log(s, 'g'), [[1, 'created', owner, null], [2, 'added', owner, x], [3, 'promoted', owner, x], [4, 'demoted', owner, x], [5, 'left', x, x]]);
  });

  it('groups: update logs settings only on a change; unlinking makes directory members ordinary', async () => {
    const s = await b.fresh();
    const [owner, d] = await users(s, 'owner', 'd');
    await s.groups.create(group('g', owner!, 1, { scimGroupId: 'sg' }), [{ userId: owner!, role: 'owner', viaScim: false }, { userId: d!, role: 'member', viaScim: true }]);
    const same = await s.groups.update('g', { name: 'group g' }, owner!, 2);
    assert.equal(same?.updatedAt, 1);
    const changed = await s.groups.update('g', { announcement: true, confidential: true }, owner!, 3);
    assert.deepEqual([changed?.announcement, changed?.confidential, changed?.updatedAt, (await s.groups.get('g'))?.announcement], [true, true, 3, true]);
    assert.deepEqual((await s.groups.linkedTo('sg')).map((g) => g.id), ['g']);
    await s.groups.update('g', { scimGroupId: null }, 'scim', 4);
    assert.deepEqual((await s.groups.members('g')).map((m) => m.viaScim), [false, false]);
    assert.deepEqual(await s.groups.linkedTo('sg'), []);
    assert.deepEqual((await log(s, 'g')).slice(-2), [[3, 'settings', owner, null], [4, 'settings', 'scim', null]]);
    assert.equal(await s.groups.update('nope', { name: 'x' }, owner!, 5), undefined);
  });

  it('groups: removeEverywhere takes a leaver out of every group with a deactivated event', async () => {
    const s = await b.fresh();
    const [owner, leaver] = await users(s, 'owner', 'leaver');
    for (const id of ['b', 'a', 'c']) {
      await s.groups.create(group(id, owner!, 1), [{ userId: owner!, role: 'owner', viaScim: false }, ...(id === 'c' ? [] : [{ userId: leaver!, role: 'member' as const, viaScim: false }])]);
    }
    assert.deepEqual(await s.groups.removeEverywhere(leaver!, 'scim', 9), ['a', 'b']);
    assert.deepEqual((await log(s, 'a')).at(-1), [3, 'deactivated', 'scim', leaver]);
    assert.deepEqual(await s.groups.listOf(leaver!), []);
    assert.deepEqual(await s.groups.removeEverywhere(leaver!, 'scim', 10), []);
  });

  it('groups: directoryMembers, syncDirectory and pendingDirectoryGroups follow the SCIM group', async () => {
    const s = await b.fresh();
    const [owner, p1, p2, hand] = await users(s, 'owner', 'p1', 'p2', 'hand');
    const r1 = await s.scim.createUser({ attrs: { userName: 'p1' }, externalId: 'e1' }, 1);
    const r2 = await s.scim.createUser({ attrs: { userName: 'p2' }, externalId: 'e2' }, 1);
    const r3 = await s.scim.createUser({ attrs: { userName: 'unlinked' }, externalId: 'e3' }, 1);
    await s.scim.linkUser(r1.id, p1!, 'e1');
    await s.scim.linkUser(r2.id, p2!, 'e2');
    const sg = await s.scim.createGroup({ displayName: 'Dir', externalId: null, members: [r2.id, r1.id, r3.id] }, 2);
    assert.equal(await s.groups.directoryMembers('ghost'), undefined);
    assert.deepEqual(await s.groups.directoryMembers(sg.id), [p2, p1]);
    await s.groups.create(group('g', owner!, 3, { scimGroupId: sg.id }), [{ userId: owner!, role: 'owner', viaScim: false }, { userId: hand!, role: 'member', viaScim: false }]);
    assert.deepEqual((await s.groups.pendingDirectoryGroups(p1!)).sort(), ['g']);
    assert.deepEqual(await s.groups.syncDirectory('g', [p2!, p1!], 'scim', 4), { added: [p2, p1], removed: [] });
    assert.deepEqual(await s.groups.pendingDirectoryGroups(p1!), []);
    await s.scim.updateUser(r2.id, (c) => ({ attrs: { ...c.attrs, active: false }, externalId: 'e2' }), 5);
    const desired = await s.groups.directoryMembers(sg.id);
    assert.deepEqual(desired, [p1]);
    assert.deepEqual(await s.groups.syncDirectory('g', desired!, 'scim', 6), { added: [], removed: [p2] });
    assert.deepEqual((await s.groups.members('g')).map((m) => m.userId).sort(), [owner, hand, p1].sort(), 'people added by hand stay');
    assert.deepEqual((await log(s, 'g')).slice(-3), [[3, 'added', 'scim', p2], [4, 'added', 'scim', p1], [5, 'removed', 'scim', p2]]);
  });
}
