// FakeSafeStorage: a TEST DOUBLE for Electron's safeStorage. It does NOT encrypt anything (it tags and
// base64-encodes); it only lets tests drive the vault's logic without Electron. Never use it outside tests.
import type { SafeStorageLike } from '../../electron/main/vault-policy.ts';

export type FakeBackend = 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown';

export class FakeSafeStorage implements SafeStorageLike {
  available = true;
  backend: FakeBackend = 'gnome_libsecret';
  /** Makes the next decryptStringAsync ask for re-encryption (key rotation). */
  rotate = false;
  calls: string[] = [];

  constructor(opts: { async?: boolean } = {}) {
    if (opts.async === false) {
      // Simulate an Electron without the async API: the vault must fall back to the sync one.
      this.isAsyncEncryptionAvailable = undefined;
      this.encryptStringAsync = undefined;
      this.decryptStringAsync = undefined;
    }
  }

  private seal(plain: string): Buffer {
    return Buffer.from(`FAKE-SEALED[${this.backend}]:${Buffer.from(plain).toString('base64')}`);
  }

  private open(data: Buffer): string {
    const m = /^FAKE-SEALED\[([a-z_0-9]+)\]:(.*)$/.exec(data.toString());
    if (!m || m[1] !== this.backend) throw new Error('fake: cannot decrypt (other backend or not fake-sealed)');
    return Buffer.from(m[2]!, 'base64').toString();
  }

  isAsyncEncryptionAvailable: (() => Promise<boolean>) | undefined = async () => { this.calls.push('isAsyncEncryptionAvailable'); return this.available; };
  encryptStringAsync: ((s: string) => Promise<Buffer>) | undefined = async (s) => { this.calls.push('encryptStringAsync'); return this.seal(s); };
  decryptStringAsync: ((b: Buffer) => Promise<{ result: string; shouldReEncrypt: boolean }>) | undefined = async (b) => {
    this.calls.push('decryptStringAsync');
    const shouldReEncrypt = this.rotate;
    this.rotate = false;
    return { result: this.open(b), shouldReEncrypt };
  };

  isEncryptionAvailable(): boolean { this.calls.push('isEncryptionAvailable'); return this.available; }
  encryptString(s: string): Buffer { this.calls.push('encryptString'); return this.seal(s); }
  decryptString(b: Buffer): string { this.calls.push('decryptString'); return this.open(b); }
  getSelectedStorageBackend(): FakeBackend { return this.backend; }
}
