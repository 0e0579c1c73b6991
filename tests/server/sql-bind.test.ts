// BLOB parameters of the SQLite store (store/sqlite/sql.ts) are bound without a copy when they are views on an
// ArrayBuffer, such as the slices of Node's buffer pool that decodeBase64 returns: what is stored must be the
// view's bytes, never its neighbours in the pool, at any offset and length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeBase64 } from '../../server/base64.ts';
import { Sql } from '../../server/store/sqlite/sql.ts';

test('a view on a larger buffer is stored as exactly its own bytes (named and positional parameters)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-sql-bind-'));
  const q = new Sql(join(dir, 'bind.db'));
  try {
    q.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)');
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat(), (whole, a, b) => {
      const start = a % whole.length;
      const view = whole.subarray(start, start + 1 + (b % (whole.length - start)));
      const named = q.run('INSERT INTO t (b) VALUES ($b)', { b: view }).lastInsertRowid;
      const positional = q.run('INSERT INTO t (b) VALUES (?)', [view]).lastInsertRowid;
      for (const id of [named, positional]) {
        assert.deepEqual(new Uint8Array(q.get('SELECT b FROM t WHERE id = $id', { id })!.b as Uint8Array), new Uint8Array(view));
      }
    }), { numRuns: 200 });
    // What a send's content decodes to: a slice of the shared pool, stored as itself.
    const pooled = decodeBase64(Buffer.from('one envelope, one slice of the pool').toString('base64'))!;
    assert.notEqual(pooled.byteLength, pooled.buffer.byteLength, 'decodeBase64 returned a buffer of its own: this test no longer covers pool slices');
    const id = q.run('INSERT INTO t (b) VALUES (?)', [pooled]).lastInsertRowid;
    assert.equal(Buffer.from(q.get('SELECT b FROM t WHERE id = $id', { id })!.b as Uint8Array).toString(), 'one envelope, one slice of the pool');
  } finally {
    q.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('decodeBase64 refuses what is not canonical base64', () => {
  for (const bad of ['QQ', 'QR==', 'QQ==QQ==', 'Q Q==', 'QQ=', '!!!!', 'QUJD\n']) assert.equal(decodeBase64(bad), undefined, bad);
  assert.deepEqual([...decodeBase64('QUJD')!], [65, 66, 67]);
  assert.deepEqual([...decodeBase64('')!], []);
});
