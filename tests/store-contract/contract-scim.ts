// Contract: the SCIM store — users with uniqueness and soft deletion, identity-linking primitives, groups and
// their members — the same assertions on every backend (see harness.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScimStoreError } from '../../server/store/types.ts';
import { claims, type Backend } from './harness.ts';

const attrs = (userName: string, extra: Record<string, unknown> = {}) => ({ userName, active: true, ...extra });

export function scimContract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('scim users: create, get, list with every filter and paging, in creation order', async () => {
    const s = await b.fresh();
    const a = await s.scim.createUser({ attrs: attrs('Ann', { emails: [{ value: 'Ann@Acme.test', primary: true }], name: { givenName: 'Ann' } }), externalId: 'x-ann' }, 10);
    const c = await s.scim.createUser({ attrs: attrs('cy', { active: false }), externalId: null }, 20);
    assert.match(a.id, /^[0-9a-f]{32}$/);
    assert.deepEqual({ ...a, id: '' }, {
      id: '', userId: null, externalId: 'x-ann', userName: 'Ann', active: true, managed: true, linkValue: null, version: 1, createdAt: 10, updatedAt: 10,
      attrs: { userName: 'Ann', active: true, emails: [{ value: 'Ann@Acme.test', primary: true }], name: { givenName: 'Ann' } },
    });
    assert.equal(c.active, false);
    assert.deepEqual(Object.keys(a.attrs), ['userName', 'active', 'emails', 'name'], 'attribute order is kept');
    assert.deepEqual(await s.scim.getUser(a.id), a);
    const ids = async (f: Parameters<typeof s.scim.listUsers>[0], offset = 0, limit = 10) => {
      const r = await s.scim.listUsers(f, offset, limit);
      return [r.total, r.rows.map((x) => x.id)];
    };
    assert.deepEqual(await ids(null), [2, [a.id, c.id]]);
    assert.deepEqual(await ids(null, 1, 1), [2, [c.id]]);
    assert.deepEqual(await ids({ attr: 'userName', value: 'ANN' }), [1, [a.id]]);
    assert.deepEqual(await ids({ attr: 'externalId', value: 'x-ann' }), [1, [a.id]]);
    assert.deepEqual(await ids({ attr: 'externalId', value: 'X-ANN' }), [0, []]);
    assert.deepEqual(await ids({ attr: 'id', value: c.id }), [1, [c.id]]);
    assert.deepEqual(await ids({ attr: 'emails', value: 'ann@acme.TEST' }), [1, [a.id]]);
    assert.deepEqual(await ids({ attr: 'emails', value: 'cy' }), [0, []]);
  });

  it('scim users: userName (case-insensitive) and externalId are unique among live rows', async () => {
    const s = await b.fresh();
    const a = await s.scim.createUser({ attrs: attrs('ann'), externalId: 'x1' }, 1);
    await assert.rejects(s.scim.createUser({ attrs: attrs('ANN'), externalId: null }, 2), (e) => e instanceof ScimStoreError && e.kind === 'uniqueness');
    await assert.rejects(s.scim.createUser({ attrs: attrs('other'), externalId: 'x1' }, 2), (e) => e instanceof ScimStoreError && /externalId/.test(e.message));
    const other = await s.scim.createUser({ attrs: attrs('other'), externalId: null }, 2);
    await assert.rejects(s.scim.updateUser(other.id, () => ({ attrs: attrs('Ann'), externalId: null }), 3), ScimStoreError);
    assert.equal((await s.scim.updateUser(a.id, () => ({ attrs: attrs('ann', { title: 'x' }), externalId: 'x1' }), 3))?.version, 2, 'a row may keep its own names');
    await s.scim.deleteUser(a.id, 4);
    assert.ok(await s.scim.createUser({ attrs: attrs('ann'), externalId: 'x1' }, 5), 'a deleted row frees its names');
  });

  it('scim users: update bumps the version, makes the row managed; a throwing update writes nothing; delete is soft', async () => {
    const s = await b.fresh();
    const u = await s.users.create(claims('jit'), 1);
    const row = await s.scim.createUnmanagedUser(u.userId, attrs('jit@acme.test'), 'link-1', 2);
    assert.deepEqual([row.managed, row.userId, row.linkValue, row.version], [false, u.userId, 'link-1', 1]);
    await assert.rejects(s.scim.updateUser(row.id, () => { throw new Error('invalid patch'); }, 3), /invalid patch/);
    assert.deepEqual(await s.scim.getUser(row.id), row);
    const updated = await s.scim.updateUser(row.id, (c) => ({ attrs: { ...c.attrs, active: false }, externalId: 'ext' }), 4);
    assert.deepEqual([updated?.managed, updated?.active, updated?.version, updated?.externalId, updated?.updatedAt], [true, false, 2, 'ext', 4]);
    assert.equal(await s.scim.updateUser('nope', (c) => ({ attrs: c.attrs, externalId: null }), 5), undefined);
    const g = await s.scim.createGroup({ displayName: 'G', externalId: null, members: [row.id] }, 5);
    const deleted = await s.scim.deleteUser(row.id, 6);
    assert.equal(deleted?.id, row.id);
    assert.equal(await s.scim.getUser(row.id), undefined);
    assert.equal(await s.scim.deleteUser(row.id, 7), undefined);
    assert.deepEqual((await s.scim.getGroup(g.id))?.members, [], 'removed from its groups');
    assert.ok((await s.scim.attrsOf([row.id])).has(row.id), 'attrsOf includes deleted rows');
    assert.equal(await s.users.isDeactivated(u.userId), true);
  });

  it('scim linking primitives: liveUserByExternalId, liveUserOf, refreshUnmanagedUser, linkUser', async () => {
    const s = await b.fresh();
    const u = await s.users.create(claims('p'), 1);
    const prov = await s.scim.createUser({ attrs: attrs('p@acme.test'), externalId: 'oid-1' }, 1);
    assert.equal((await s.scim.liveUserByExternalId('oid-1'))?.id, prov.id);
    assert.equal(await s.scim.liveUserOf(u.userId), undefined);
    await s.scim.linkUser(prov.id, u.userId, 'oid-1');
    assert.deepEqual([(await s.scim.liveUserOf(u.userId))?.id, (await s.scim.getUser(prov.id))?.linkValue], [prov.id, 'oid-1']);
    await s.scim.linkUser(prov.id, u.userId, 'other', { onlyIfUnset: true });
    assert.equal((await s.scim.getUser(prov.id))?.linkValue, 'oid-1', 'onlyIfUnset keeps the stored value');
    await s.scim.linkUser(prov.id, u.userId, null);
    await s.scim.linkUser(prov.id, u.userId, 'filled', { onlyIfUnset: true });
    assert.equal((await s.scim.getUser(prov.id))?.linkValue, 'filled');
    const v = await s.users.create(claims('q'), 1);
    const jit = await s.scim.createUnmanagedUser(v.userId, attrs('q@acme.test'), null, 1);
    await s.scim.refreshUnmanagedUser(jit.id, attrs('q2@acme.test', { displayName: 'Q' }), 'l', 9);
    const fresh = await s.scim.getUser(jit.id);
    assert.deepEqual([fresh?.userName, fresh?.attrs.displayName, fresh?.linkValue, fresh?.version, fresh?.updatedAt], ['q2@acme.test', 'Q', 'l', 1, 9]);
    await s.scim.refreshUnmanagedUser(prov.id, attrs('ignored'), null, 10);
    assert.equal((await s.scim.getUser(prov.id))?.userName, 'p@acme.test', 'a managed row is not refreshed from claims');
  });

  it('scim users: unlinkedMatching finds live, active, provisioned, unlinked rows with an externalId', async () => {
    const s = await b.fresh();
    const want = await s.scim.createUser({ attrs: attrs('dana@acme.test', { displayName: 'Dana 50%' }), externalId: 'e1' }, 1);
    await s.scim.createUser({ attrs: attrs('dan-no-ext@acme.test'), externalId: null }, 2);
    await s.scim.createUser({ attrs: attrs('dan-inactive@acme.test', { active: false }), externalId: 'e2' }, 3);
    const linked = await s.scim.createUser({ attrs: attrs('dan-linked@acme.test'), externalId: 'e3' }, 4);
    await s.scim.linkUser(linked.id, (await s.users.create(claims('dl'), 1)).userId, 'e3');
    const later = await s.scim.createUser({ attrs: attrs('daniel@acme.test'), externalId: 'e4' }, 5);
    assert.deepEqual((await s.scim.unlinkedMatching('DAN', 10)).map((r) => r.id), [want.id, later.id]);
    assert.deepEqual((await s.scim.unlinkedMatching('dan', 1)).map((r) => r.id), [want.id]);
    assert.deepEqual((await s.scim.unlinkedMatching('50%', 10)).map((r) => r.id), [want.id]);
    assert.deepEqual(await s.scim.unlinkedMatching('zz', 10), []);
  });

  it('scim groups: create, update, list with filters, members in order, groupsOf, delete', async () => {
    const s = await b.fresh();
    const [u1, u2, u3] = [await s.scim.createUser({ attrs: attrs('u1'), externalId: null }, 1), await s.scim.createUser({ attrs: attrs('u2'), externalId: null }, 1),
      await s.scim.createUser({ attrs: attrs('u3'), externalId: null }, 1)];
    const g = await s.scim.createGroup({ displayName: 'Sales', externalId: 'g-ext', members: [u2.id, u1.id, u2.id] }, 10);
    assert.deepEqual([g.displayName, g.externalId, g.members, g.version, g.createdAt], ['Sales', 'g-ext', [u2.id, u1.id], 1, 10]);
    await assert.rejects(s.scim.createGroup({ displayName: 'SALES', externalId: null, members: [] }, 11), (e) => e instanceof ScimStoreError && e.kind === 'uniqueness');
    await assert.rejects(s.scim.createGroup({ displayName: 'X', externalId: null, members: [u1.id, 'ghost'] }, 11), (e) => e instanceof ScimStoreError && e.kind === 'unknown_member' && /ghost/.test(e.message));
    assert.equal((await s.scim.listGroups(null, 0, 10)).total, 1, 'a refused create left nothing');
    const h = await s.scim.createGroup({ displayName: 'Ops', externalId: null, members: [] }, 12);
    const up = await s.scim.updateGroup(g.id, (c) => ({ displayName: 'Sales EU', externalId: c.externalId, members: [u1.id, u3.id] }), 13);
    assert.deepEqual([up?.displayName, up?.members, up?.version, up?.updatedAt], ['Sales EU', [u1.id, u3.id], 2, 13]);
    assert.equal(await s.scim.updateGroup('nope', (c) => c, 14), undefined);
    const list = async (f: Parameters<typeof s.scim.listGroups>[0], offset = 0, limit = 10) => {
      const r = await s.scim.listGroups(f, offset, limit);
      return [r.total, r.rows.map((x) => x.id)];
    };
    assert.deepEqual(await list(null), [2, [g.id, h.id]]);
    assert.deepEqual(await list(null, 1, 5), [2, [h.id]]);
    assert.deepEqual(await list({ attr: 'displayName', value: 'sales eu' }), [1, [g.id]]);
    assert.deepEqual(await list({ attr: 'externalId', value: 'g-ext' }), [1, [g.id]]);
    assert.deepEqual(await list({ attr: 'id', value: h.id }), [1, [h.id]]);
    await s.scim.updateGroup(h.id, () => ({ displayName: 'Ops', externalId: null, members: [u1.id] }), 15);
    assert.deepEqual(await s.scim.groupsOf(u1.id), [{ id: h.id, displayName: 'Ops' }, { id: g.id, displayName: 'Sales EU' }]);
    const attrsOf = await s.scim.attrsOf([u3.id, 'ghost', u1.id]);
    assert.deepEqual([...attrsOf.keys()], [u3.id, u1.id]);
    assert.equal(await s.scim.deleteGroup(g.id), true);
    assert.equal(await s.scim.deleteGroup(g.id), false);
    assert.equal(await s.scim.getGroup(g.id), undefined);
    assert.deepEqual(await s.scim.groupsOf(u1.id), [{ id: h.id, displayName: 'Ops' }]);
  });
}
