// The decisions of the safeStorage vault, PURE (no 'electron', no I/O): which keychain backend is
// acceptable, what the on-disk record looks like, and what a changed backend means. safe-storage-vault.ts
// does the I/O; tests drive both with a fake safeStorage.
import { VaultError } from '../core/store/vault.ts';

/** What the vault needs of Electron's safeStorage (a structural subset, so a fake can stand in). */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable?(): Promise<boolean>;
  encryptStringAsync?(plainText: string): Promise<Buffer>;
  decryptStringAsync?(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

/** The keychain is unusable or too weak under the current policy. The user can act (unlock the keyring …). */
export class VaultBackendError extends VaultError {
  override name = 'VaultBackendError';
  readonly code: 'unavailable' | 'basic-text' | 'unknown-backend' | 'corrupt' | 'decrypt-failed';
  constructor(code: VaultBackendError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** The secret was protected by another keychain backend than the current one: set the device up again. */
export class VaultBackendChangedError extends VaultError {
  override name = 'VaultBackendChangedError';
  constructor(readonly recorded: string, readonly current: string) {
    super(
      `the store key was protected by the keychain "${recorded}", but this session uses "${current}"; ` +
      'the key cannot be read with a different keychain, so this device must be set up again ' +
      `(or start Parley again in a session that uses "${recorded}")`,
    );
  }
}

export const RECORD_FORMAT = 'parley-safestorage-1';

/** One secret as stored on disk (JSON). The ciphertext is safeStorage's output, base64. */
export interface VaultRecord {
  format: typeof RECORD_FORMAT;
  /** `${platform}:${backend}`, e.g. linux:gnome_libsecret, darwin:keychain, win32:dpapi. */
  backend: string;
  ciphertext: string;
}

export interface BackendPolicy {
  platform: NodeJS.Platform;
  /** Explicit admin/user choice to accept Linux `basic_text` (a hard-coded key: not an OS keychain). */
  allowBasicText: boolean;
}

export const BASIC_TEXT_WARNING =
  'the store key is protected by Electron\'s "basic_text" fallback, not by an OS keychain; anyone who can read your files can read it';

/**
 * The backend id to record for the current session, or a VaultBackendError. Linux names the backend
 * (getSelectedStorageBackend); macOS always uses the Keychain, Windows DPAPI.
 */
export function currentBackend(storage: SafeStorageLike, policy: BackendPolicy): string {
  if (policy.platform !== 'linux') return `${policy.platform}:${policy.platform === 'darwin' ? 'keychain' : policy.platform === 'win32' ? 'dpapi' : 'os'}`;
  const b = storage.getSelectedStorageBackend?.() ?? 'unknown';
  if (b === 'unknown') {
    throw new VaultBackendError('unknown-backend', 'the OS keychain backend is not known yet (the vault was used before the app was ready)');
  }
  if (b === 'basic_text' && !policy.allowBasicText) {
    throw new VaultBackendError(
      'basic-text',
      'no OS keychain (GNOME Keyring/libsecret or KWallet) is available in this session, only Electron\'s "basic_text" ' +
      'fallback, which does not protect the store key; start Parley in a desktop session with a keyring, or have your ' +
      'administrator allow it explicitly (--allow-basic-text-keyring)',
    );
  }
  return `linux:${b}`;
}

/** The vault's warning for the user when its protection is weaker than an OS keychain. */
export function backendWarning(backend: string): string | undefined {
  return backend === 'linux:basic_text' ? BASIC_TEXT_WARNING : undefined;
}

export function encodeRecord(backend: string, ciphertext: Uint8Array): string {
  const record: VaultRecord = { format: RECORD_FORMAT, backend, ciphertext: Buffer.from(ciphertext).toString('base64') };
  return `${JSON.stringify(record)}\n`;
}

export function decodeRecord(text: string): VaultRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new VaultBackendError('corrupt', 'the vault record is not valid JSON');
  }
  const r = v as Partial<VaultRecord> | null;
  if (r === null || typeof r !== 'object' || r.format !== RECORD_FORMAT || typeof r.backend !== 'string' ||
      typeof r.ciphertext !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(r.ciphertext) || r.ciphertext.length === 0) {
    throw new VaultBackendError('corrupt', 'the vault record is damaged or of an unknown format');
  }
  return { format: RECORD_FORMAT, backend: r.backend, ciphertext: r.ciphertext };
}

/** A record made under another backend cannot be decrypted here: an explained, recoverable state. */
export function checkBackend(record: VaultRecord, current: string): void {
  if (record.backend !== current) throw new VaultBackendChangedError(record.backend, current);
}

/** Secrets are bytes; safeStorage encrypts strings: hex in between. */
export const secretToText = (secret: Uint8Array): string => Buffer.from(secret).toString('hex');
export function textToSecret(text: string): Uint8Array {
  if (!/^([0-9a-f]{2})+$/.test(text)) throw new VaultBackendError('corrupt', 'the decrypted vault secret is damaged');
  return Uint8Array.from(Buffer.from(text, 'hex'));
}
