// Signal's numeric fingerprint (version 0, as the library's FingerprintGenerator computes it) on native
// SHA-512. The library's generator hashes with its bundled pure-JS msrcrypto, not through the WebCrypto
// hook, so 2 × 5,200 iterations took ~200 ms; here they are one-shot node:crypto hashes. Same digits
// (tests/crypto/native-vectors.test.ts checks the library's own test vector and random inputs).
import { hash } from 'node:crypto';

function identifierBytes(identifier: string): Buffer {
  for (let i = 0; i < identifier.length; i++) {
    const c = identifier.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`illegal char code: ${c}`); // as the library's binaryStringToArrayBuffer
  }
  return Buffer.from(identifier, 'latin1');
}

/** Five digits from five big-endian bytes, as the library's getEncodedChunk. */
function chunk(h: Buffer, o: number): string {
  const n = (h[o]! * 2 ** 32 + h[o + 1]! * 2 ** 24 + h[o + 2]! * 2 ** 16 + h[o + 3]! * 2 ** 8 + h[o + 4]!) % 100000;
  return String(n).padStart(5, '0');
}

/** 30 digits for one side: SHA-512 iterated over (previous hash ‖ key), starting from (version ‖ key ‖ id). */
function displayString(identifier: string, key: Uint8Array, iterations: number): string {
  if (iterations < 1) throw new RangeError('at least one iteration');
  const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  let h = hash('sha512', Buffer.concat([Buffer.alloc(2), k, identifierBytes(identifier), k]), 'buffer');
  // Every later round hashes (64-byte hash ‖ key): one buffer, the key written once.
  const buf = Buffer.alloc(64 + k.length);
  k.copy(buf, 64);
  for (let i = 1; i < iterations; i++) {
    h.copy(buf, 0);
    h = hash('sha512', buf, 'buffer');
  }
  return chunk(h, 0) + chunk(h, 5) + chunk(h, 10) + chunk(h, 15) + chunk(h, 20) + chunk(h, 25);
}

/** The 60 digits for two identities: both sides' display strings, sorted, so both compute the same. */
export function fingerprintDigits(localId: string, localKey: Uint8Array, remoteId: string, remoteKey: Uint8Array, iterations: number): string {
  return [displayString(localId, localKey, iterations), displayString(remoteId, remoteKey, iterations)].sort().join('');
}
