// SecretVault on Electron safeStorage (OS keychain: macOS Keychain, Windows DPAPI, Linux libsecret/KWallet).
// Uses the asynchronous API of Electron ≥ 39 (isAsyncEncryptionAvailable / encryptStringAsync /
// decryptStringAsync) and falls back to the synchronous one only where the async one is absent. Each secret
// is a 0600 JSON file <dir>/<name>.safestorage.json holding the ciphertext and the backend that made it
// (see vault-policy.ts). safeStorage is passed in (main.ts passes Electron's), so this file has no runtime
// 'electron' import and is tested with a fake.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VaultError, type SecretVault } from '../core/store/vault.ts';
import { removeDurably, writeFileDurably } from '../core/store/durable-file.ts';
import {
  backendWarning, checkBackend, currentBackend, decodeRecord, encodeRecord, secretToText, textToSecret,
  VaultBackendError, type BackendPolicy, type SafeStorageLike,
} from './vault-policy.ts';

const SECRET_NAME = /^[a-z][a-z0-9-]{0,40}$/;

export class SafeStorageVault implements SecretVault {
  readonly kind = 'safeStorage';

  constructor(
    private readonly dir: string,
    private readonly storage: SafeStorageLike,
    private readonly policy: BackendPolicy,
  ) {}

  get warning(): string | undefined {
    try {
      return backendWarning(currentBackend(this.storage, this.policy));
    } catch {
      return undefined; // the error itself surfaces on load/save
    }
  }

  private get asyncApi(): boolean {
    const s = this.storage;
    return typeof s.isAsyncEncryptionAvailable === 'function' && typeof s.encryptStringAsync === 'function' &&
      typeof s.decryptStringAsync === 'function';
  }

  private path(name: string): string {
    if (!SECRET_NAME.test(name)) throw new VaultError(`invalid secret name: ${name}`);
    return join(this.dir, `${name}.safestorage.json`);
  }

  private async ensureAvailable(): Promise<void> {
    const available = this.asyncApi ? await this.storage.isAsyncEncryptionAvailable!() : this.storage.isEncryptionAvailable();
    if (!available) {
      throw new VaultBackendError('unavailable', 'the OS keychain is not available (locked or missing); unlock it and start Parley again');
    }
  }

  private async encrypt(text: string): Promise<Buffer> {
    return this.asyncApi ? this.storage.encryptStringAsync!(text) : this.storage.encryptString(text);
  }

  private async decrypt(data: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    if (this.asyncApi) return this.storage.decryptStringAsync!(data);
    return { result: this.storage.decryptString(data), shouldReEncrypt: false };
  }

  async load(name: string): Promise<Uint8Array | undefined> {
    const p = this.path(name);
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const record = decodeRecord(text);
    const backend = currentBackend(this.storage, this.policy);
    checkBackend(record, backend);
    await this.ensureAvailable();
    let plain: { result: string; shouldReEncrypt: boolean };
    try {
      plain = await this.decrypt(Buffer.from(record.ciphertext, 'base64'));
    } catch (err) {
      throw new VaultBackendError('decrypt-failed',
        `the OS keychain could not decrypt the store key (${(err as Error).message}); this device must be set up again`);
    }
    const secret = textToSecret(plain.result);
    if (plain.shouldReEncrypt) {
      // The keychain rotated its key: store the secret again under the new one (best effort; the old one works).
      try { await this.save(name, secret); } catch { /* keep the readable old record */ }
    }
    return secret;
  }

  async save(name: string, secret: Uint8Array): Promise<void> {
    const p = this.path(name);
    const backend = currentBackend(this.storage, this.policy);
    await this.ensureAvailable();
    const ciphertext = await this.encrypt(secretToText(secret));
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileDurably(p, encodeRecord(backend, ciphertext));
  }

  async destroy(name: string): Promise<void> {
    removeDurably(this.path(name));
  }
}
