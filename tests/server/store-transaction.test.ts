// ServerStore.transaction on the SQLite store (server/store/sqlite/sql.ts): the calls made inside commit
// together or not at all, nested calls join, and other callers wait until it ends instead of slipping their
// statements into it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../server/store/sqlite.ts';

let dir: string;
let store: SqliteStore;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-store-tx-'));
  store = new SqliteStore(dir);
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const claims = (sub: string) => ({ issuer: 'https://idp.test', sub, email: `${sub}@acme.test`, name: sub, groups: [] });

test('a transaction commits everything it did', async () => {
  const id = await store.transaction(async () => {
    const u = await store.users.create(claims('commit'), 1);
    await store.users.setProfile(u.userId, { email: 'c@acme.test', name: 'Committed' }, 2);
    return u.userId;
  });
  const u = await store.users.get(id);
  assert.deepEqual([u?.email, u?.name], ['c@acme.test', 'Committed']);
});

test('a transaction that throws leaves nothing behind, nested ones included', async () => {
  await assert.rejects(store.transaction(async () => {
    await store.users.create(claims('rolled-back'), 1);
    await store.transaction(async () => { await store.users.create(claims('nested'), 1); });
    throw new Error('changed my mind');
  }), /changed my mind/);
  assert.equal(await store.users.bySubject('https://idp.test', 'rolled-back'), undefined);
  assert.equal(await store.users.bySubject('https://idp.test', 'nested'), undefined);
  // The connection is usable afterwards.
  assert.ok(await store.users.create(claims('after'), 1));
});

test('other callers wait for an open transaction: they never see or join its uncommitted writes', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const events: string[] = [];
  let inside!: () => void;
  const started = new Promise<void>((r) => { inside = r; });
  const tx = store.transaction(async () => {
    await store.users.create(claims('slow'), 1);
    inside();
    await gate;
    events.push('tx done');
  });
  await started;
  const outside = store.users.bySubject('https://idp.test', 'slow').then((u) => { events.push('read'); return u; });
  const write = store.users.create(claims('queued'), 1).then(() => events.push('write'));
  // Let everything that could run, run: the outside calls must still be waiting.
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, []);
  release();
  await tx;
  const seen = await outside;
  await write;
  assert.equal(events[0], 'tx done');
  assert.ok(seen, 'the read ran after the commit and saw it');
});

test('work a finished transaction left running is an outsider to the next one (the context is off between transactions)', async () => {
  // A continuation created inside transaction A that runs only while transaction B is open must wait for B,
  // not slip into it: the store tracks "inside" with AsyncLocalStorage, which it turns off between transactions.
  let resumeLeftover!: () => void;
  const leftoverGate = new Promise<void>((r) => { resumeLeftover = r; });
  let leftover!: Promise<unknown>;
  await store.transaction(async () => {
    leftover = leftoverGate.then(() => store.users.create(claims('leftover'), 1));
  });
  let releaseB!: () => void;
  const gateB = new Promise<void>((r) => { releaseB = r; });
  let insideB!: () => void;
  const startedB = new Promise<void>((r) => { insideB = r; });
  const b = store.transaction(async () => {
    await store.users.create(claims('in-b'), 1);
    insideB();
    await gateB;
    throw new Error('B rolls back');
  });
  await startedB;
  resumeLeftover();
  await new Promise((r) => setImmediate(r));
  releaseB();
  await assert.rejects(b, /B rolls back/);
  await leftover;
  assert.equal(await store.users.bySubject('https://idp.test', 'in-b'), undefined, 'B rolled back');
  assert.ok(await store.users.bySubject('https://idp.test', 'leftover'), 'the left-over write waited for B and was not rolled back with it');
  // And plain calls outside any transaction still work with the context off.
  assert.ok(await store.users.create(claims('outside-any'), 1));
});
