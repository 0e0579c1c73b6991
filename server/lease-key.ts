// Ed25519 keys of the device lifecycle.
// - The server's lease key signs offline leases. Generated on first start and kept in `<dataDir>/lease-key.pem`
//   (PKCS#8, mode 0600) so leases issued before a restart stay verifiable by devices that pinned the public key.
// - Devices' lifecycle keys (raw 32-byte public keys) verify status checks and wipe receipts.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBase64 } from './base64.ts';
import { secureDataDir } from './data-dir.ts';

const LEASE_KEY_FILE = 'lease-key.pem';

export interface LeaseKey {
  /** Raw 32-byte public key, standard base64 (RegisterDeviceResponse.leasePublicKey). */
  publicKey: string;
  sign(text: string): string;
}

function rawPublic(key: KeyObject): string {
  const x = createPublicKey(key).export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('not an Ed25519 key');
  return Buffer.from(x, 'base64url').toString('base64');
}

/** Loads the lease key from the data dir, creating it (exclusively, 0600) if there is none. */
export function loadOrCreateLeaseKey(dataDir: string): LeaseKey {
  secureDataDir(dataDir); // it may be the first thing the server writes there
  const file = join(dataDir, LEASE_KEY_FILE);
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const { privateKey } = generateKeyPairSync('ed25519');
    pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    try {
      writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      // Another server process on the same data dir won the race: use its key.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      pem = readFileSync(file, 'utf8');
    }
  }
  // Whatever the umask or a careless copy did: the private key is for the server's user only.
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return leaseKeyFromPem(pem, file);
}

/**
 * The lease key from a PKCS#8 PEM given by configuration (parley-server --lease-key FILE): every node of a
 * cluster signs with the same key, so a lease from any node verifies on the device that pinned it.
 */
export function leaseKeyFromPem(pem: string, where: string): LeaseKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new Error(`${where} does not hold a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${where} does not hold an Ed25519 private key`);
  return {
    publicKey: rawPublic(privateKey),
    sign: (text) => sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64'),
  };
}

/** Raw 32-byte Ed25519 public key from canonical base64, or undefined if it is not one. */
export function decodeEd25519PublicKey(text: string): Uint8Array | undefined {
  const raw = decodeBase64(text);
  return raw && raw.length === 32 ? raw : undefined;
}

/** Verifies an Ed25519 signature (base64) over `text`; false for any malformed key or signature. */
export function verifyEd25519(rawPublicKey: Uint8Array, text: string, signature: string): boolean {
  const sig = decodeBase64(signature);
  if (!sig || sig.length !== 64 || rawPublicKey.length !== 32) return false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(rawPublicKey).toString('base64url') }, format: 'jwk' });
    return verify(null, Buffer.from(text, 'utf8'), key, sig);
  } catch {
    return false;
  }
}
