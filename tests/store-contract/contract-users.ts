// Contract: registration nonces and single-use tokens, users and the directory queries, and
// ServerStore.transaction — the same assertions on every backend (see harness.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeUser, claims, newDevice, type Backend } from './harness.ts';

export function usersContract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('registration: a nonce is consumed once and only before it expires; expired ones are swept', async () => {
    const s = await b.fresh();
    await s.registration.createNonce('n1', 100);
    await s.registration.createNonce('n2', 50);
    assert.equal(await s.registration.consumeNonce('n1', 10), true);
    assert.equal(await s.registration.consumeNonce('n1', 10), false, 'single use');
    assert.equal(await s.registration.consumeNonce('n2', 60), false, 'expired');
    await s.registration.createNonce('n2', 200); // the swept nonce's value is free again
    assert.equal(await s.registration.consumeNonce('unknown', 10), false);
  });

  it('registration: with a limit, expired nonces are swept first and no more than max are outstanding', async () => {
    const s = await b.fresh();
    assert.equal(await s.registration.createNonce('old', 50), true);
    assert.equal(await s.registration.createNonce('a', 500, { now: 100, max: 2 }), true);
    assert.equal(await s.registration.createNonce('b', 500, { now: 100, max: 2 }), true, 'the expired one does not count');
    assert.equal(await s.registration.createNonce('c', 500, { now: 100, max: 2 }), false);
    assert.equal(await s.registration.consumeNonce('c', 100), false, 'a refused nonce is not stored');
    assert.equal(await s.registration.consumeNonce('a', 100), true);
    assert.equal(await s.registration.createNonce('c', 500, { now: 100, max: 2 }), true);
  });

  it('registration: a token hash is accepted once until it expires, then again', async () => {
    const s = await b.fresh();
    const hash = new Uint8Array(32).fill(3);
    assert.equal(await s.registration.useTokenOnce(hash, 100, 10), true);
    assert.equal(await s.registration.useTokenOnce(hash, 100, 20), false, 'a replay');
    assert.equal(await s.registration.useTokenOnce(new Uint8Array(32).fill(4), 100, 20), true);
    assert.equal(await s.registration.useTokenOnce(hash, 300, 150), true, 'the record expired');
  });

  it('users: create, get, bySubject, setProfile (with and without groups)', async () => {
    const s = await b.fresh();
    const u = await s.users.create(claims('alice', { groups: ['g1', 'g2'] }), 10);
    assert.match(u.userId, /^u_[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(u, { userId: u.userId, issuer: 'https://idp.test', sub: 'alice', email: 'alice@acme.test', name: 'alice', groups: ['g1', 'g2'], groupsAt: 10, createdAt: 10, updatedAt: 10 });
    assert.deepEqual(await s.users.get(u.userId), u);
    assert.deepEqual(await s.users.bySubject('https://idp.test', 'alice'), u);
    assert.equal(await s.users.bySubject('https://other.test', 'alice'), undefined);
    assert.equal(await s.users.get('u_nobody'), undefined);
    await s.users.setProfile(u.userId, { email: 'a@acme.test', name: 'Alice' }, 20);
    assert.deepEqual(await s.users.get(u.userId), { ...u, email: 'a@acme.test', name: 'Alice', updatedAt: 20 });
    await s.users.setProfile(u.userId, { email: 'a@acme.test', name: 'Alice', groups: [] }, 30);
    assert.deepEqual([(await s.users.get(u.userId))?.groups, (await s.users.get(u.userId))?.groupsAt], [[], 30], 'groups from a sign-in are stamped');
    await assert.rejects(s.users.create(claims('alice'), 40), 'one user per (issuer, sub)');
  });

  it('users: findByEmail is case-insensitive, skips the deactivated, prefers the most recently updated', async () => {
    const s = await b.fresh();
    const old = await s.users.create(claims('old', { email: 'Shared@Acme.test' }), 10);
    const recent = await s.users.create(claims('recent', { email: 'shared@acme.test' }), 20);
    assert.equal((await s.users.findByEmail('SHARED@acme.TEST'))?.userId, recent.userId);
    await s.users.setProfile(old.userId, { email: 'shared@acme.test', name: 'old' }, 30);
    assert.equal((await s.users.findByEmail('shared@acme.test'))?.userId, old.userId);
    const row = await s.scim.createUnmanagedUser(old.userId, { userName: 'shared@acme.test', active: true }, null, 40);
    await s.scim.updateUser(row.id, (c) => ({ attrs: { ...c.attrs, active: false }, externalId: null }), 50);
    assert.equal((await s.users.findByEmail('shared@acme.test'))?.userId, recent.userId, 'the deactivated user is skipped');
    assert.equal(await s.users.findByEmail('nobody@acme.test'), undefined);
  });

  it('users: search matches email or name literally (% and _ too), sorted by name, limited, deactivated left out', async () => {
    const s = await b.fresh();
    const zed = await s.users.create(claims('zed', { name: 'Zed 100%' }), 1);
    const amy = await s.users.create(claims('amy', { name: 'amy_b' }), 1);
    const bob = await s.users.create(claims('bob', { name: 'Bob' }), 1);
    assert.deepEqual((await s.users.search('ACME', 10)).map((u) => u.userId), [amy.userId, bob.userId, zed.userId]);
    assert.deepEqual((await s.users.search('ACME', 2)).map((u) => u.userId), [amy.userId, bob.userId]);
    assert.deepEqual((await s.users.search('%', 10)).map((u) => u.userId), [zed.userId]);
    assert.deepEqual((await s.users.search('_', 10)).map((u) => u.userId), [amy.userId]);
    const row = await s.scim.createUnmanagedUser(bob.userId, { userName: 'bob@acme.test' }, null, 2);
    await s.scim.deleteUser(row.id, 3);
    assert.deepEqual((await s.users.search('bob', 10)).map((u) => u.userId), []);
  });

  it('users: isDeactivated and provisioningStates follow the SCIM rows', async () => {
    const s = await b.fresh();
    const jit = await s.users.create(claims('jit'), 1);
    const prov = await s.users.create(claims('prov'), 1);
    const gone = await s.users.create(claims('gone'), 1);
    const bare = await s.users.create(claims('bare'), 1);
    await s.scim.createUnmanagedUser(jit.userId, { userName: 'jit' }, null, 1);
    const p = await s.scim.createUser({ attrs: { userName: 'prov', active: true }, externalId: 'ext-prov' }, 1);
    await s.scim.linkUser(p.id, prov.userId, 'ext-prov');
    const g = await s.scim.createUser({ attrs: { userName: 'gone', active: false }, externalId: null }, 1);
    await s.scim.linkUser(g.id, gone.userId, null);
    assert.deepEqual([await s.users.isDeactivated(jit.userId), await s.users.isDeactivated(prov.userId), await s.users.isDeactivated(gone.userId),
      await s.users.isDeactivated(bare.userId)], [false, false, true, false]);
    const states = await s.users.provisioningStates();
    assert.deepEqual([states.get(jit.userId), states.get(prov.userId), states.get(gone.userId), states.get(bare.userId)],
      ['just-in-time', 'provisioned', 'deactivated', 'just-in-time']);
  });

  it('users: listWithDevices gives every user (or those of one email) with all their devices', async () => {
    const s = await b.fresh();
    const { user: a } = await activeUser(s, 'a');
    await newDevice(s, a.userId, 2, 'second');
    const bUser = await s.users.create(claims('b', { email: 'B@acme.test' }), 1);
    const all = await s.users.listWithDevices();
    assert.deepEqual(all.map((r) => [r.user.userId, r.devices.map((d) => [d.deviceId, d.name])]),
      [[a.userId, [[1, 'laptop'], [2, 'second']]], [bUser.userId, []]]);
    const one = await s.users.listWithDevices('b@ACME.test');
    assert.deepEqual(one.map((r) => r.user.userId), [bUser.userId]);
    assert.deepEqual(await s.users.listWithDevices('nobody@acme.test'), []);
  });

  it('transaction: commits everything it did, or (when it throws) nothing, nested calls included', async () => {
    const s = await b.fresh();
    const id = await s.transaction(async () => {
      const u = await s.users.create(claims('commit'), 1);
      await s.transaction(async () => { await s.users.setProfile(u.userId, { email: 'c@acme.test', name: 'Committed' }, 2); });
      return u.userId;
    });
    assert.equal((await s.users.get(id))?.name, 'Committed');
    await assert.rejects(s.transaction(async () => {
      await s.users.create(claims('rolled-back'), 1);
      await s.transaction(async () => { await s.users.create(claims('nested'), 1); });
      throw new Error('changed my mind');
    }), /changed my mind/);
    assert.equal(await s.users.bySubject('https://idp.test', 'rolled-back'), undefined);
    assert.equal(await s.users.bySubject('https://idp.test', 'nested'), undefined);
    assert.ok(await s.users.create(claims('after'), 1), 'usable afterwards');
  });

  it('transaction: a write that fails inside it undoes only itself; the rest commits', async () => {
    const s = await b.fresh();
    await s.scim.createUser({ attrs: { userName: 'taken' }, externalId: null }, 1);
    const made = await s.transaction(async () => {
      const u = await s.users.create(claims('survivor'), 1);
      await assert.rejects(s.scim.createUser({ attrs: { userName: 'TAKEN' }, externalId: null }, 2), { name: 'ScimStoreError' });
      await assert.rejects(s.scim.updateUser((await s.scim.listUsers(null, 0, 1)).rows[0]!.id, () => { throw new Error('bad patch'); }, 3), /bad patch/);
      return u.userId;
    });
    assert.ok(await s.users.get(made));
    assert.equal((await s.scim.listUsers(null, 0, 10)).total, 1);
    assert.equal((await s.scim.listUsers(null, 0, 1)).rows[0]!.version, 1, 'the failed update changed nothing');
  });

  it('transaction: others never see or join its uncommitted writes, and a write outside waits for it', async () => {
    const s = await b.fresh();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let inside!: () => void;
    const started = new Promise<void>((r) => { inside = r; });
    const events: string[] = [];
    const tx = s.transaction(async () => {
      await s.users.create(claims('slow'), 1);
      inside();
      await gate;
      events.push('tx done');
    });
    await started;
    // A reader either waits for the commit (SQLite: one connection) or sees the last committed state
    // (PostgreSQL: its own snapshot) — never the uncommitted row.
    const read = s.users.bySubject('https://idp.test', 'slow').then((u) => { events.push('read'); return { u, afterCommit: events.includes('tx done') }; });
    const write = s.scim.createUser({ attrs: { userName: 'queued' }, externalId: null }, 1).then(() => events.push('write'));
    const seen = await Promise.race([read, new Promise<undefined>((r) => setTimeout(r, 300))]);
    assert.ok(!events.includes('write'), 'the write outside waits for the transaction');
    release();
    await tx;
    await write;
    const r = seen ?? await read;
    assert.equal(r.u !== undefined, r.afterCommit, 'the row is seen exactly when the read came after the commit');
    assert.ok(events.indexOf('write') > events.indexOf('tx done'));
    assert.ok(await s.users.bySubject('https://idp.test', 'slow'), 'committed');
  });
}
