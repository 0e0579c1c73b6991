// Finding 10 (files): the server's database and its WAL were 0644 — any local user could read every queued
// envelope, the directory and the audit log. Now the data directory is 0700 and every file in it 0600, whatever
// the umask, and a looser directory left by an older version is tightened when the server starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DB_FILE } from '../../server/store/sqlite.ts';
import { activeDevice, startTestServer } from '../server/helpers.ts';

const mode = (p: string) => statSync(p).mode & 0o777;
/** Files 0600; folders (blobs/, the attachment ciphertexts) 0700. */
const privateMode = (p: string) => (statSync(p).isDirectory() ? 0o700 : 0o600);
const posix = process.platform !== 'win32';

test('a fresh data directory is 0700 and the database, WAL, shared memory and lease key are 0600', { skip: !posix && 'POSIX modes' }, async () => {
  const old = process.umask(0o022);
  const dataDir = join(mkdtempSync(join(tmpdir(), 'parley-modes-')), 'data'); // does not exist yet
  try {
    const server = await startTestServer({ dataDir });
    try {
      await activeDevice(server.url, 'alice'); // writes: the WAL exists now
      assert.equal(mode(dataDir), 0o700);
      const files = readdirSync(dataDir);
      for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, 'lease-key.pem']) assert.ok(files.includes(f), `${f} in ${files.join()}`);
      for (const f of files) assert.equal(mode(join(dataDir, f)), privateMode(join(dataDir, f)), f);
    } finally {
      await server.cleanup();
    }
  } finally {
    process.umask(old);
  }
});

test('a data directory left 0755 with a 0644 database is tightened at start', { skip: !posix && 'POSIX modes' }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-modes-'));
  const first = await startTestServer({ dataDir });
  await activeDevice(first.url, 'bob');
  await first.close();
  chmodSync(dataDir, 0o755);
  for (const f of readdirSync(dataDir)) chmodSync(join(dataDir, f), 0o644);
  writeFileSync(join(dataDir, 'notes.txt'), 'left by an operator'); // not the server's file: left alone
  const server = await startTestServer({ dataDir });
  try {
    assert.equal(mode(dataDir), 0o700);
    for (const f of readdirSync(dataDir).filter((x) => x !== 'notes.txt')) assert.equal(mode(join(dataDir, f)), privateMode(join(dataDir, f)), f);
  } finally {
    await server.cleanup();
  }
});
