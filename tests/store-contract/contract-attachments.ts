// Contract: attachment blobs and grants — the same assertions on every backend (see harness.ts). A blob of
// several chunks (PostgreSQL keeps 1 MiB rows) comes back byte for byte; a short or long upload keeps nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { ServerStore } from '../../server/store/types.ts';
import type { Backend } from './harness.ts';

async function* pieces(data: Buffer, size = 300_000): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(s: ServerStore, id: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of s.attachments.readBlob(id)) parts.push(c);
  return Buffer.concat(parts);
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const rec = (id: string, size: number, ownerUser = 'u_owner') => ({ id, ownerUser, ownerDevice: 1, size, createdAt: 10, expiresAt: 1000 });
const id = (n: number) => `att_${String(n).padStart(16, '0')}`;

export function attachmentsContract(b: Backend): void {
  const it = (name: string, fn: () => Promise<void>) => test(`${b.name}: ${name}`, { skip: b.skip }, fn);

  it('attachments: reserve within quota, write a multi-chunk blob, read it back byte for byte', async () => {
    const s = await b.fresh();
    const data = randomBytes(2 * 1024 * 1024 + 12_345);
    assert.equal(await s.attachments.reserve(rec(id(1), data.length), 10 * 1024 * 1024), true);
    assert.deepEqual(await s.attachments.get(id(1)), { ...rec(id(1), data.length), complete: false, granted: false });
    await s.attachments.writeBlob(id(1), pieces(data));
    assert.equal((await s.attachments.get(id(1)))?.complete, true);
    assert.equal(sha(await readAll(s, id(1))), sha(data));
    assert.equal(await s.attachments.usage('u_owner'), data.length);
    // A second upload that would pass the quota is refused and leaves nothing.
    assert.equal(await s.attachments.reserve(rec(id(2), 10 * 1024 * 1024 - data.length + 1), 10 * 1024 * 1024), false);
    assert.equal(await s.attachments.get(id(2)), undefined);
    assert.equal(await s.attachments.reserve(rec(id(3), 5, 'u_other'), 10), true, 'the quota is per user');
  });

  it('attachments: an upload shorter or longer than announced keeps no blob and stays incomplete', async () => {
    const s = await b.fresh();
    await s.attachments.reserve(rec(id(1), 100), 1000);
    await assert.rejects(s.attachments.writeBlob(id(1), pieces(randomBytes(99))), /ended after 99 of 100/);
    assert.equal((await s.attachments.get(id(1)))?.complete, false);
    await assert.rejects(s.attachments.writeBlob(id(1), pieces(randomBytes(101))), /longer than the 100 bytes/);
    assert.equal((await s.attachments.get(id(1)))?.complete, false);
    await s.attachments.writeBlob(id(1), pieces(randomBytes(100)));
    await assert.rejects(s.attachments.writeBlob(id(1), pieces(randomBytes(100))), /no upload reserved/, 'a complete blob is never overwritten');
    await assert.rejects(s.attachments.writeBlob(id(9), pieces(randomBytes(1))), /no upload reserved/);
  });

  it('attachments: grants, fetch bookkeeping, expiry and delete', async () => {
    const s = await b.fresh();
    await s.attachments.reserve(rec(id(1), 3), 1000);
    await s.attachments.writeBlob(id(1), pieces(Buffer.from('abc')));
    assert.equal(await s.attachments.grant(id(9), [], 5), false);
    assert.equal(await s.attachments.grant(id(1), [{ userId: 'u_b', deviceId: 1 }, { userId: 'u_b', deviceId: 2 }], 5000), true);
    assert.equal(await s.attachments.grant(id(1), [{ userId: 'u_b', deviceId: 2 }], 5000), true, 'granting again is harmless');
    const got = await s.attachments.get(id(1));
    assert.deepEqual([got?.granted, got?.expiresAt], [true, 5000]);
    assert.equal(await s.attachments.isGranted(id(1), 'u_b', 1), true);
    assert.equal(await s.attachments.isGranted(id(1), 'u_b', 3), false);
    assert.equal(await s.attachments.isGranted(id(1), 'u_c', 1), false);
    assert.equal(await s.attachments.markFetched(id(1), 'u_b', 1, 20), false);
    assert.equal(await s.attachments.markFetched(id(1), 'u_b', 1, 21), false, 'the same device twice does not count twice');
    assert.equal(await s.attachments.markFetched(id(1), 'u_c', 1, 21), false, 'an ungranted device does not count');
    assert.equal(await s.attachments.markFetched(id(1), 'u_b', 2, 22), true);
    assert.deepEqual(await s.attachments.expired(4999, 10), []);
    assert.deepEqual(await s.attachments.expired(5000, 10), [id(1)]);
    assert.equal(await s.attachments.delete(id(1)), true);
    assert.equal(await s.attachments.delete(id(1)), false);
    assert.equal(await s.attachments.get(id(1)), undefined);
    assert.equal(await s.attachments.isGranted(id(1), 'u_b', 1), false);
    assert.equal(await s.attachments.usage('u_owner'), 0);
    assert.equal((await readAll(s, id(1)).catch(() => Buffer.alloc(0))).length, 0, 'no bytes remain');
  });
}
