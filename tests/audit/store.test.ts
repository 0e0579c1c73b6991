// The audit store on both backends (SQLite file, real PostgreSQL): the general entry shape (target kind and id,
// details) reads back exactly as it was hashed, so the chain verifies; paging (before), since, latest(action);
// an append inside a transaction that fails is rolled back with the act; concurrent appends chain one after another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyAuditChain } from '../../server/audit.ts';
import type { NewAuditRecord } from '../../server/store/types.ts';
import { postgresBackend, sqliteBackend, type Backend } from '../store-contract/harness.ts';

const entry = (at: number, over: Partial<NewAuditRecord> = {}): NewAuditRecord => ({
  at, actor: { userId: null, email: 'scim' }, action: 'scim group updated',
  target: { kind: 'scim-group', id: `sg-${at}`, userId: '', email: '', deviceId: null }, reason: '', outcome: 'done',
  details: { displayName: 'Finance — EMEA "core"', members: 3, active: true, externalId: null, tags: ['a', 'b'] },
  ...over,
});

function auditContract(b: Backend): void {
  const opts = { skip: b.skip };

  test(`${b.name}: new-shape and person entries read back as hashed; the chain verifies`, opts, async () => {
    const s = await b.fresh();
    const a = await s.audit.append(entry(10));
    const p = await s.audit.append(entry(11, {
      actor: { userId: 'u_AAAAAAAAAAAAAAAAAAAAAA', email: 'carol@acme.test' }, action: 'wipe requested',
      target: { userId: 'u_BBBBBBBBBBBBBBBBBBBBBB', email: 'bob@acme.test', deviceId: 2 }, reason: 'lost', outcome: 'pending', details: undefined,
    }));
    const listed = await s.audit.list(10);
    assert.deepEqual(listed, [p, a]);
    assert.equal('details' in listed[0]!, false, 'absent details stay absent');
    assert.equal('kind' in listed[0]!.target, false);
    assert.deepEqual(listed[1]!.details, entry(10).details);
    assert.equal(verifyAuditChain([...listed].reverse()), null);
    assert.deepEqual(await s.audit.page(0, 10), [a, p]);
  });

  test(`${b.name}: since, before (paging) and latest(action)`, opts, async () => {
    const s = await b.fresh();
    for (let i = 1; i <= 7; i++) await s.audit.append(entry(i * 100, { action: i % 2 ? 'scim group updated' : 'policy changed' }));
    assert.deepEqual((await s.audit.list(3)).map((e) => e.id), [7, 6, 5]);
    assert.deepEqual((await s.audit.list(3, { beforeId: 5 })).map((e) => e.id), [4, 3, 2]);
    assert.deepEqual((await s.audit.list(10, { since: 500 })).map((e) => e.id), [7, 6, 5]);
    assert.deepEqual((await s.audit.list(10, { since: 300, beforeId: 6 })).map((e) => e.id), [5, 4, 3]);
    assert.deepEqual((await s.audit.page(5, 10)).map((e) => e.id), [6, 7]);
    assert.equal((await s.audit.latest('policy changed'))?.id, 6);
    assert.equal(await s.audit.latest('consent accepted'), undefined);
  });

  test(`${b.name}: an entry appended in a transaction that fails is not kept; concurrent appends form one chain`, opts, async () => {
    const s = await b.fresh();
    await assert.rejects(s.transaction(async () => {
      await s.audit.append(entry(1));
      throw new Error('the act failed');
    }), /the act failed/);
    assert.deepEqual(await s.audit.list(10), []);
    await Promise.all(Array.from({ length: 12 }, (_, i) => s.audit.append(entry(100 + i))));
    const all = await s.audit.page(0, 100);
    assert.deepEqual(all.map((e) => e.id), Array.from({ length: 12 }, (_, i) => i + 1));
    assert.equal(verifyAuditChain(all), null);
  });
}

auditContract(sqliteBackend());
auditContract(postgresBackend());
