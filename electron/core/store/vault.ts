// SecretVault: where the local store's key lives, wrapped. The desktop app uses Electron safeStorage
// (electron/main/, issue "Desktop app"); the CLI and tests use FileVault below, which is NOT an OS
// keychain: it relies on file permissions only, and says so.
import { chmodSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { removeDurably, writeFileDurably } from './durable-file.ts';

export interface SecretVault {
  /** 'file' | 'safeStorage' | …: recorded so a changed backend is detected rather than misread. */
  readonly kind: string;
  /** A sentence to show the user when the vault is weaker than an OS keychain. */
  readonly warning?: string;
  load(name: string): Promise<Uint8Array | undefined>;
  save(name: string, secret: Uint8Array): Promise<void>;
  /** Removes the secret for good (crypto-shredding whatever it protected). */
  destroy(name: string): Promise<void>;
}

export class VaultError extends Error {
  override name = 'VaultError';
}

const SECRET_NAME = /^[a-z][a-z0-9-]{0,40}$/;

export class FileVault implements SecretVault {
  readonly kind = 'file';
  readonly warning = 'the store key is kept in a file readable only by your user account; this is not an OS keychain';

  constructor(private readonly dir: string) {}

  private path(name: string): string {
    if (!SECRET_NAME.test(name)) throw new VaultError(`invalid secret name: ${name}`);
    return join(this.dir, `${name}.key`);
  }

  async load(name: string): Promise<Uint8Array | undefined> {
    const p = this.path(name);
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    // Refuse a key file others could have read or replaced: the key would no longer be secret.
    if (process.platform !== 'win32') {
      if ((st.mode & 0o077) !== 0) throw new VaultError(`${p} is readable by other users (mode ${(st.mode & 0o777).toString(8)}); refusing to use it`);
      if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new VaultError(`${p} is owned by another user; refusing to use it`);
    }
    const hex = readFileSync(p, 'utf8').trim();
    if (!/^([0-9a-f]{2})+$/.test(hex)) throw new VaultError(`${p} is corrupt`);
    return Uint8Array.from(Buffer.from(hex, 'hex'));
  }

  async save(name: string, secret: Uint8Array): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (process.platform !== 'win32') chmodSync(this.dir, 0o700); // an existing folder keeps its mode otherwise
    writeFileDurably(this.path(name), Buffer.from(secret).toString('hex'));
  }

  async destroy(name: string): Promise<void> {
    removeDurably(this.path(name));
  }
}
