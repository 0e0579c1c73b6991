import { ApiError } from './errors.ts';

/**
 * Strict decoding: the wire schemas already check the alphabet and padding, but Buffer.from is
 * lenient about the final bits, so we require that re-encoding gives back the same text.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  // A slice of Node's buffer pool (a buffer of its own per envelope cost ~1 µs more); the SQLite driver binds
  // views as they are (store/sqlite/sql.ts). The round trip refuses what Node would decode leniently.
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** A Curve25519 public key as libsignal serializes it: 0x05 type byte + 32 bytes. */
export function decodePublicKey(text: string, what: string): Uint8Array {
  const key = decodeBase64(text);
  if (!key || key.length !== 33 || key[0] !== 0x05) {
    throw new ApiError('invalid_key', `${what} must be a 33-byte Curve25519 public key starting with 0x05.`);
  }
  return key;
}

export function decodeSignature(text: string, what: string): Uint8Array {
  const sig = decodeBase64(text);
  if (!sig || sig.length !== 64) throw new ApiError('invalid_key', `${what} must be a 64-byte signature.`);
  return sig;
}
