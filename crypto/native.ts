// Native primitives under @privacyresearch/libsignal-protocol-typescript, installed through its own hooks:
// `setCurve` (X25519 and XEdDSA, crypto/native-curve.ts) and `setWebCrypto` (HMAC-SHA256, AES-256-CBC,
// SHA-512 and so HKDF, synchronous on node:crypto). The protocol logic stays the library's.
// Computation only (node:crypto is OpenSSL, no I/O); loaded by the client core, never by the renderer.
import { createCipheriv, createDecipheriv, createHmac, hash, randomFillSync } from 'node:crypto';
import { setCurve, setWebCrypto } from '@privacyresearch/libsignal-protocol-typescript';
import { exactAB, nativeCurve } from './native-curve.ts';

type Bytes = ArrayBuffer | ArrayBufferView;
const view = (b: Bytes): Buffer => (b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** What the library's `importKey('raw', …)` gives back here: the raw bytes and the algorithm they are for. */
interface RawKey { algorithm: 'AES-CBC' | 'HMAC'; raw: Buffer }
type Algorithm = string | { name: string; iv?: Bytes; hash?: string | { name: string } };
const algName = (a: Algorithm) => (typeof a === 'string' ? a : a.name).toUpperCase();

function rawKey(k: unknown, algorithm: RawKey['algorithm']): Buffer {
  const key = k as RawKey;
  if (!key || key.algorithm !== algorithm) throw new Error(`native crypto: expected an ${algorithm} key`);
  return key.raw;
}

/**
 * The part of WebCrypto the library calls (crypto/internal/crypto.js: importKey raw, AES-CBC encrypt and
 * decrypt, HMAC SHA-256 sign, SHA-512 digest, getRandomValues), done synchronously with node:crypto.
 * Node's WebCrypto runs every call as a job on the libuv thread pool; a message needs about ten of them
 * (HKDF alone is four HMACs), and the hops cost more than the work. The library `await`s every result, so
 * plain values serve as well as promises and save one promise per call. `random` replaces the random
 * source (tests that replay the library's recorded sessions with fixed keys).
 */
export function createNativeWebCrypto(random?: (out: Uint8Array) => void): Crypto {
  const subtle = {
    importKey(format: string, keyData: Bytes, algorithm: Algorithm) {
      const name = algName(algorithm);
      if (format !== 'raw' || (name !== 'AES-CBC' && name !== 'HMAC')) throw new Error(`native crypto: unsupported key import ${format}/${name}`);
      if (name === 'HMAC') {
        const h = typeof algorithm === 'string' ? undefined : algorithm.hash;
        if ((typeof h === 'string' ? h : h?.name)?.toUpperCase() !== 'SHA-256') throw new Error('native crypto: HMAC is SHA-256 only');
      }
      // No copy: the library imports a key right before its one use and never changes the bytes.
      return { algorithm: name, raw: view(keyData) } satisfies RawKey;
    },
    encrypt(algorithm: Algorithm, key: unknown, data: Bytes) {
      if (algName(algorithm) !== 'AES-CBC' || typeof algorithm === 'string' || !algorithm.iv) throw new Error('native crypto: AES-CBC with an IV only');
      const c = createCipheriv('aes-256-cbc', rawKey(key, 'AES-CBC'), view(algorithm.iv));
      return exactAB(Buffer.concat([c.update(view(data)), c.final()]));
    },
    decrypt(algorithm: Algorithm, key: unknown, data: Bytes) {
      if (algName(algorithm) !== 'AES-CBC' || typeof algorithm === 'string' || !algorithm.iv) throw new Error('native crypto: AES-CBC with an IV only');
      const d = createDecipheriv('aes-256-cbc', rawKey(key, 'AES-CBC'), view(algorithm.iv));
      return exactAB(Buffer.concat([d.update(view(data)), d.final()]));
    },
    sign(algorithm: Algorithm, key: unknown, data: Bytes) {
      if (algName(algorithm) !== 'HMAC') throw new Error('native crypto: HMAC signatures only');
      return exactAB(createHmac('sha256', rawKey(key, 'HMAC')).update(view(data)).digest());
    },
    digest(algorithm: Algorithm, data: Bytes) {
      if (algName(algorithm) !== 'SHA-512') throw new Error('native crypto: SHA-512 digests only');
      return exactAB(hash('sha512', view(data), 'buffer'));
    },
  };
  const getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
    if (array) {
      const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
      if (random) random(bytes); else randomFillSync(bytes);
    }
    return array;
  };
  return { subtle, getRandomValues } as unknown as Crypto;
}

/** Puts native primitives under the protocol library (cheap; crypto/signal.ts calls it on load). */
export function useNativePrimitives(): void {
  setCurve(nativeCurve);
  setWebCrypto(createNativeWebCrypto());
}
