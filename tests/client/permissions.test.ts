// Finding 10 (client): the profile's files are the user's alone — the folder 0700 and parley.db with its
// -wal and -shm 0600 — also when the folder already existed with looser permissions, whatever the umask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, STORE_FILE } from '../../electron/core/store/local-store.ts';
import { FileVault } from '../../electron/core/store/vault.ts';

const mode = (p: string) => statSync(p).mode & 0o777;

test('a profile folder that already existed (0755, umask 022) ends up 0700 with 0600 store files', { skip: process.platform === 'win32' && 'POSIX modes' }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'parley-perm-'));
  const dir = join(root, 'profile');
  const old = process.umask(0o022);
  try {
    mkdirSync(dir, { mode: 0o755 });
    mkdirSync(join(dir, 'vault'), { mode: 0o755 });
    chmodSync(dir, 0o755);
    const store = await LocalStore.open(dir, new FileVault(join(dir, 'vault')));
    store.setMeta('x', 'y'); // a write: the -wal file exists now
    const files = readdirSync(dir).filter((f) => f.startsWith(STORE_FILE));
    assert.ok(files.includes(`${STORE_FILE}-wal`), files.join(', '));
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, 'vault')), 0o700);
    for (const f of files) assert.equal(mode(join(dir, f)), 0o600, f);
    store.close();

    // A store left 0644 by an older version is tightened when opened.
    chmodSync(join(dir, STORE_FILE), 0o644);
    (await LocalStore.open(dir, new FileVault(join(dir, 'vault')))).close();
    assert.equal(mode(join(dir, STORE_FILE)), 0o600);
  } finally {
    process.umask(old);
    rmSync(root, { recursive: true, force: true });
  }
});
