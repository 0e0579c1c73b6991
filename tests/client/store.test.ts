import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore, StoreError, STORE_FILE } from '../../electron/core/store/local-store.ts';
import { FileVault, VaultError } from '../../electron/core/store/vault.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'parley-store-'));

/** LocalStore.openWithKey with a wrong key, in a child process whose stderr (SQLCipher's own log) is captured. */
function openWithWrongKey(file: string): { error: { name: string; code: string }; message: string; stderr: string } {
  const store = new URL('../../electron/core/store/local-store.ts', import.meta.url).href;
  const script = `import { LocalStore } from ${JSON.stringify(store)};
    try { LocalStore.openWithKey(${JSON.stringify(file)}, new Uint8Array(32).fill(7)); console.log('{"opened":true}'); }
    catch (e) { console.log(JSON.stringify({ error: { name: e.name, code: e.code }, message: e.message })); }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { ...JSON.parse(r.stdout), stderr: r.stderr };
}
const digest = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function addText(store: LocalStore, id: string, text: string) {
  store.ensureConversation({ id: 'dm_x', kind: 'direct', peerUserId: 'u_x', title: 'X' }, 1);
  return store.addMessage({ id, conversationId: 'dm_x', senderUserId: 'u_x', senderDeviceId: 1, direction: 'in', body: text, sentAt: 1, receivedAt: 2, status: 'received' });
}

test('store: 32-byte key made once, kept only in the vault; data survives reopen; file is ciphertext', async () => {
  const dir = tmp();
  try {
    const vault = new FileVault(join(dir, 'vault'));
    const s1 = await LocalStore.open(dir, vault);
    assert.equal(addText(s1, 'm1', 'SECRET-MARKER-quantum-giraffe'), true);
    assert.equal(addText(s1, 'm1', 'SECRET-MARKER-quantum-giraffe'), false, 'same id is not stored twice');
    s1.close();
    const key = await vault.load('store-key');
    assert.equal(key?.length, 32);
    const s2 = await LocalStore.open(dir, vault);
    assert.deepEqual(s2.messages('dm_x').map((m) => m.body), ['SECRET-MARKER-quantum-giraffe']);
    s2.close();
    for (const f of readdirSync(dir).filter((f) => f.startsWith(STORE_FILE))) {
      const bytes = readFileSync(join(dir, f));
      assert.equal(bytes.includes(Buffer.from('SECRET-MARKER')), false, `${f} holds plaintext`);
      assert.equal(bytes.includes(Buffer.from('SQLite format 3')), false, `${f} is a plain SQLite file`);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('store: wrong key is a clear error and changes nothing on disk', async () => {
  const dir = tmp();
  try {
    const vault = new FileVault(join(dir, 'vault'));
    const s = await LocalStore.open(dir, vault);
    addText(s, 'm1', 'hello');
    s.close();
    const before = digest(join(dir, STORE_FILE));
    const wrong = openWithWrongKey(join(dir, STORE_FILE));
    assert.deepEqual(wrong.error, { name: 'StoreError', code: 'wrong-key' });
    assert.match(wrong.message, /wrong key/);
    // SQLCipher logs the failed page HMAC from native code straight to fd 2; it is expected, so it is held here.
    assert.match(wrong.stderr, /ERROR CORE sqlcipher_page_cipher: hmac check failed for pgno=1/);
    assert.equal(digest(join(dir, STORE_FILE)), before);
    const again = await LocalStore.open(dir, vault);
    assert.equal(again.messages('dm_x').length, 1, 'the right key still opens it');
    again.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('store: a missing key with an existing store is an explained error, not a fresh empty store', async () => {
  const dir = tmp();
  try {
    const vault = new FileVault(join(dir, 'vault'));
    (await LocalStore.open(dir, vault)).close();
    const before = digest(join(dir, STORE_FILE));
    await vault.destroy('store-key');
    await assert.rejects(LocalStore.open(dir, vault), (e: unknown) => e instanceof StoreError && e.code === 'key-missing');
    assert.equal(await vault.load('store-key'), undefined, 'no new key was made');
    assert.equal(digest(join(dir, STORE_FILE)), before);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('vault: refuses a key file that other users can read', { skip: process.platform === 'win32' }, async () => {
  const dir = tmp();
  try {
    const vault = new FileVault(join(dir, 'vault'));
    await vault.save('store-key', new Uint8Array(32).fill(1));
    chmodSync(join(dir, 'vault', 'store-key.key'), 0o644);
    await assert.rejects(vault.load('store-key'), VaultError);
    await assert.rejects(vault.save('../evil', new Uint8Array(1)), VaultError);
    await vault.destroy('store-key');
    assert.equal(existsSync(join(dir, 'vault', 'store-key.key')), false);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('store: exclusive() rolls back everything when the step fails', async () => {
  const dir = tmp();
  try {
    const s = await LocalStore.open(dir, new FileVault(join(dir, 'vault')));
    await assert.rejects(s.exclusive(async () => {
      addText(s, 'm1', 'half-done');
      s.putSession('peer.1', 'state');
      throw new Error('crash in the middle');
    }), /crash/);
    assert.equal(s.countMessages(), 0);
    assert.equal(s.getSession('peer.1'), undefined);
    await s.exclusive(async () => { addText(s, 'm2', 'whole'); });
    assert.equal(s.countMessages(), 1);
    s.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('store: a delivery receipt marks only our own sent messages of the conversation it names', async () => {
  const dir = tmp();
  try {
    const s = await LocalStore.open(dir, new FileVault(join(dir, 'vault')));
    s.ensureConversation({ id: 'dm_x', kind: 'direct', peerUserId: 'u_x', title: 'X' }, 1);
    const out = (id: string, status: string) => s.addMessage({
      id, conversationId: 'dm_x', senderUserId: 'u_me', senderDeviceId: 1, direction: 'out', body: id, sentAt: 1, receivedAt: 1, status,
    });
    out('sent1', 'sent');
    out('failed1', 'failed');
    addText(s, 'in1', 'theirs');
    assert.deepEqual(s.markDelivered('dm_other', ['sent1']), [], 'a receipt naming another conversation changes nothing');
    assert.deepEqual(s.markDelivered('dm_x', ['sent1', 'failed1', 'in1', 'unknown']), ['sent1']);
    assert.deepEqual(s.messages('dm_x').map((m) => [m.id, m.status]), [['sent1', 'delivered'], ['failed1', 'failed'], ['in1', 'received']]);
    s.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('store: opening waits while another process holds the lock for a moment, instead of failing busy', async () => {
  const dir = tmp();
  try {
    const vault = new FileVault(join(dir, 'vault'));
    const s1 = await LocalStore.open(dir, vault);
    addText(s1, 'm1', 'hello');
    s1.close();
    const keyHex = Buffer.from((await vault.load('store-key'))!).toString('hex');
    // Another process takes an exclusive lock (as a closing connection's checkpoint does) and holds it ~1 s.
    const holder = (await import('node:child_process')).spawn(process.execPath, ['-e', `
      const Database = require('@signalapp/sqlcipher').default ?? require('@signalapp/sqlcipher');
      const db = new Database(${JSON.stringify(join(dir, STORE_FILE))});
      db.pragma("key = \\"x'${keyHex}'\\"");
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      process.stdout.write('locked\\n');
      setTimeout(() => { db.exec('COMMIT'); db.close(); process.exit(0); }, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const started = Date.now();
    const s2 = await LocalStore.open(dir, vault);
    assert.ok(Date.now() - started >= 300, 'it did wait for the lock');
    assert.deepEqual(s2.messages('dm_x').map((m) => m.body), ['hello']);
    s2.close();
    await new Promise((resolve) => holder.once('exit', resolve));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
