// SafeStorageVault + vault-policy, driven by FakeSafeStorage (a test double that does not encrypt).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafeStorageVault } from '../../electron/main/safe-storage-vault.ts';
import {
  BASIC_TEXT_WARNING, checkBackend, currentBackend, decodeRecord, encodeRecord, RECORD_FORMAT,
  VaultBackendChangedError, VaultBackendError,
} from '../../electron/main/vault-policy.ts';
import { VaultError } from '../../electron/core/store/vault.ts';
import { FakeSafeStorage } from './fake-safe-storage.ts';

const LINUX = { platform: 'linux' as const, allowBasicText: false };
const secret = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);

function tempDir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'parley-vault-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return join(d, 'vault');
}

test('policy: basic_text refused on Linux unless explicitly allowed', () => {
  const fake = new FakeSafeStorage();
  fake.backend = 'basic_text';
  assert.throws(() => currentBackend(fake, LINUX), (e: unknown) =>
    e instanceof VaultBackendError && e instanceof VaultError && e.code === 'basic-text' && /basic_text/.test(e.message) && /keyring/.test(e.message));
  assert.equal(currentBackend(fake, { platform: 'linux', allowBasicText: true }), 'linux:basic_text');
  fake.backend = 'kwallet6';
  assert.equal(currentBackend(fake, LINUX), 'linux:kwallet6');
  fake.backend = 'unknown';
  assert.throws(() => currentBackend(fake, LINUX), (e: unknown) => e instanceof VaultBackendError && e.code === 'unknown-backend');
  assert.equal(currentBackend(fake, { platform: 'darwin', allowBasicText: false }), 'darwin:keychain');
  assert.equal(currentBackend(fake, { platform: 'win32', allowBasicText: false }), 'win32:dpapi');
});

test('policy: record format round trip; damaged records and a changed backend are typed errors', () => {
  const rec = decodeRecord(encodeRecord('linux:kwallet5', Buffer.from('abc')));
  assert.deepEqual(rec, { format: RECORD_FORMAT, backend: 'linux:kwallet5', ciphertext: Buffer.from('abc').toString('base64') });
  for (const bad of ['', '{', 'null', '{"format":"x","backend":"a","ciphertext":"YQ=="}', `{"format":"${RECORD_FORMAT}","backend":"a","ciphertext":"!!"}`]) {
    assert.throws(() => decodeRecord(bad), (e: unknown) => e instanceof VaultBackendError && e.code === 'corrupt', bad);
  }
  checkBackend(rec, 'linux:kwallet5');
  assert.throws(() => checkBackend(rec, 'linux:gnome_libsecret'), (e: unknown) =>
    e instanceof VaultBackendChangedError && e.recorded === 'linux:kwallet5' && e.current === 'linux:gnome_libsecret' &&
    /must be set up again/.test(e.message));
});

test('vault: round trip with the async API; file is 0600 JSON with the backend; kind and no warning', async (t) => {
  const dir = tempDir(t);
  const fake = new FakeSafeStorage();
  const vault = new SafeStorageVault(dir, fake, LINUX);
  assert.equal(vault.kind, 'safeStorage');
  assert.equal(vault.warning, undefined);
  assert.equal(await vault.load('store-key'), undefined);
  await vault.save('store-key', secret);
  assert.deepEqual(await vault.load('store-key'), secret);
  const file = join(dir, 'store-key.safestorage.json');
  if (process.platform !== 'win32') {
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  }
  const rec = JSON.parse(readFileSync(file, 'utf8')) as { backend: string; ciphertext: string };
  assert.equal(rec.backend, 'linux:gnome_libsecret');
  assert.ok(!readFileSync(file, 'utf8').includes(Buffer.from(secret).toString('hex')), 'no plaintext secret on disk');
  assert.ok(fake.calls.includes('encryptStringAsync') && fake.calls.includes('decryptStringAsync'));
  assert.ok(!fake.calls.includes('encryptString') && !fake.calls.includes('decryptString'), 'sync API unused when async exists');
  await vault.destroy('store-key');
  assert.equal(await vault.load('store-key'), undefined);
  await assert.rejects(vault.load('../x'), VaultError);
});

test('vault: falls back to the sync API only when the async one is absent', async (t) => {
  const fake = new FakeSafeStorage({ async: false });
  const vault = new SafeStorageVault(tempDir(t), fake, LINUX);
  await vault.save('store-key', secret);
  assert.deepEqual(await vault.load('store-key'), secret);
  assert.deepEqual([...new Set(fake.calls)].sort(), ['decryptString', 'encryptString', 'isEncryptionAvailable']);
});

test('vault: basic_text refused (save and load) unless allowed; allowed → works with a warning', async (t) => {
  const dir = tempDir(t);
  const fake = new FakeSafeStorage();
  fake.backend = 'basic_text';
  const strict = new SafeStorageVault(dir, fake, LINUX);
  await assert.rejects(strict.save('store-key', secret), (e: unknown) => e instanceof VaultBackendError && e.code === 'basic-text');
  const lenient = new SafeStorageVault(dir, fake, { platform: 'linux', allowBasicText: true });
  assert.equal(lenient.warning, BASIC_TEXT_WARNING);
  await lenient.save('store-key', secret);
  assert.deepEqual(await lenient.load('store-key'), secret);
  await assert.rejects(strict.load('store-key'), (e: unknown) => e instanceof VaultBackendError && e.code === 'basic-text');
});

test('vault: a changed backend is VaultBackendChangedError (explained), not a crash or a silent new key', async (t) => {
  const dir = tempDir(t);
  const fake = new FakeSafeStorage();
  fake.backend = 'kwallet5';
  await new SafeStorageVault(dir, fake, LINUX).save('store-key', secret);
  fake.backend = 'gnome_libsecret';
  const vault = new SafeStorageVault(dir, fake, LINUX);
  await assert.rejects(vault.load('store-key'), (e: unknown) =>
    e instanceof VaultBackendChangedError && e instanceof VaultError && /this device must be set up again/.test((e as Error).message));
  assert.ok(!fake.calls.includes('decryptStringAsync'), 'no decryption attempted with the wrong backend');
});

test('vault: keychain unavailable, decrypt failure and damaged file are typed errors', async (t) => {
  const dir = tempDir(t);
  const fake = new FakeSafeStorage();
  const vault = new SafeStorageVault(dir, fake, LINUX);
  fake.available = false;
  await assert.rejects(vault.save('store-key', secret), (e: unknown) => e instanceof VaultBackendError && e.code === 'unavailable');
  fake.available = true;
  await vault.save('store-key', secret);
  const file = join(dir, 'store-key.safestorage.json');
  const rec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  writeFileSync(file, JSON.stringify({ ...rec, ciphertext: Buffer.from('garbage').toString('base64') }));
  await assert.rejects(vault.load('store-key'), (e: unknown) => e instanceof VaultBackendError && e.code === 'decrypt-failed');
  writeFileSync(file, 'not json');
  await assert.rejects(vault.load('store-key'), (e: unknown) => e instanceof VaultBackendError && e.code === 'corrupt');
});

test('vault: shouldReEncrypt rewrites the record; the secret stays the same', async (t) => {
  const dir = tempDir(t);
  const fake = new FakeSafeStorage();
  const vault = new SafeStorageVault(dir, fake, LINUX);
  await vault.save('store-key', secret);
  fake.rotate = true;
  fake.calls = [];
  assert.deepEqual(await vault.load('store-key'), secret);
  assert.ok(fake.calls.includes('encryptStringAsync'), 're-encrypted');
  assert.deepEqual(await vault.load('store-key'), secret);
});
