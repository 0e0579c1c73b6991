// Curve25519 for the protocol library on native code: X25519 on node:crypto (OpenSSL) with KeyObjects
// cached per key, XEdDSA verify as a plain Ed25519 verify on node:crypto after the Montgomery → Edwards
// conversion, XEdDSA sign with @noble/curves (signing is rare: only signed prekeys). Same bytes as the
// library's pure-JS curve (curve25519-donna + curve_sigs.c) and as @signalapp/libsignal-client: keys,
// shared secrets and signatures are interchangeable (tests/crypto/native-*.test.ts). Computation only.
import { createPrivateKey, createPublicKey, diffieHellman, hash, randomFillSync, verify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';

/** The library's AsyncCurve hook (from @privacyresearch/curve25519-typescript); `verify` is true when INVALID. */
export interface LibraryAsyncCurve {
  keyPair(privKey: ArrayBuffer): Promise<{ pubKey: ArrayBuffer; privKey: ArrayBuffer }>;
  sharedSecret(pubKey: ArrayBuffer, privKey: ArrayBuffer): Promise<ArrayBuffer>;
  sign(privKey: ArrayBuffer, message: ArrayBuffer): Promise<ArrayBuffer>;
  verify(pubKey: ArrayBuffer, message: ArrayBuffer, sig: ArrayBuffer): Promise<boolean>;
}

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');

type Bytes = ArrayBuffer | Uint8Array;
const view = (b: Bytes): Buffer => (b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
/** An ArrayBuffer holding exactly these bytes (Buffers may sit inside a larger pool). */
export const exactAB = (b: Uint8Array): ArrayBuffer =>
  (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) as ArrayBuffer;

/** A small LRU map: Map keeps insertion order, so a hit is re-inserted and the oldest entry goes first. */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) { this.map.delete(k); this.map.set(k, v); }
    return v;
  }
  set(k: string, v: V): V {
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
    return v;
  }
  clear(): void { this.map.clear(); }
}

// Keys recur: our identity key and the peer's, the current ratchet keys, the prekeys of one X3DH.
// Building a KeyObject from DER costs more than the agreement itself, so they are kept (bounded).
const privateKeys = new Lru<KeyObject>(256);
const publicKeys = new Lru<KeyObject>(1024);
const edwardsKeys = new Lru<KeyObject | null>(1024);

/** Forgets every cached KeyObject (tests; or after a wipe, so no private key outlives the store). */
export function clearKeyCaches(): void {
  privateKeys.clear();
  publicKeys.clear();
  edwardsKeys.clear();
}

function clamp(priv: Bytes): Buffer {
  const k = Buffer.from(view(priv)); // a copy: the caller's bytes stay as they were
  if (k.length !== 32) throw new Error('Invalid private key');
  k[0]! &= 248;
  k[31]! &= 127;
  k[31]! |= 64;
  return k;
}

// Keys go in as JWK: OpenSSL 3's DER decoder costs ~400 µs per private key and ~100 µs per public key
// here, the raw-key path behind JWK ~45 µs (it computes the public key) and ~8 µs.
function importPrivate(clamped: Buffer): KeyObject {
  try {
    // Node takes the key from `d` alone and only type-checks `x`, which is what we are about to compute.
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: clamped.toString('base64url'), x: '' }, format: 'jwk' });
  } catch {
    return createPrivateKey({ key: Buffer.concat([X25519_PKCS8, clamped]), format: 'der', type: 'pkcs8' });
  }
}

function privateKeyObject(clamped: Buffer): KeyObject {
  const id = clamped.toString('latin1');
  return privateKeys.get(id) ?? privateKeys.set(id, importPrivate(clamped));
}

function publicKeyObject(pub: Buffer): KeyObject {
  const id = pub.toString('latin1');
  return publicKeys.get(id) ?? publicKeys.set(id, createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: pub.toString('base64url') }, format: 'jwk' }));
}

/** Public key (32 bytes, no 0x05 prefix) of a private key; the private key is returned clamped, as donna does. */
export function x25519KeyPair(privKey: Bytes): { pubKey: Buffer; privKey: Buffer } {
  const priv = clamp(privKey);
  const pub = Buffer.from(createPublicKey(privateKeyObject(priv)).export({ format: 'jwk' }).x!, 'base64url');
  return { pubKey: pub, privKey: priv };
}

/**
 * X25519 agreement. Unlike the pure-JS curve, OpenSSL refuses a low-order peer key (all-zero secret):
 * that throws here, as it should — no honest peer sends one.
 */
export function x25519Agree(pubKey: Bytes, privKey: Bytes): Buffer {
  const pub = view(pubKey);
  if (pub.length !== 32) throw new Error('Invalid public key');
  return diffieHellman({ privateKey: privateKeyObject(clamp(privKey)), publicKey: publicKeyObject(pub) });
}

const Fp = ed25519.Point.Fp;
const Fn = ed25519.Point.Fn;
const P_MINUS_1 = Fp.ORDER - 1n;

/** The Ed25519 public key of a Curve25519 key u with the given sign bit: y = (u − 1)/(u + 1). */
function edwardsKey(mont: Buffer, signBit: number): KeyObject | null {
  const id = mont.toString('latin1') + String.fromCharCode(signBit);
  const cached = edwardsKeys.get(id);
  if (cached !== undefined) return cached;
  const m = Buffer.from(mont);
  m[31]! &= 0x7f; // as curve25519-donna and libsignal: the top bit of u is ignored
  const u = Fp.create(bytesToNumberLE(m));
  if (u === P_MINUS_1) return edwardsKeys.set(id, null); // no Edwards point (u + 1 = 0)
  const y = Fp.mul(Fp.sub(u, 1n), Fp.inv(Fp.add(u, 1n)));
  const enc = Buffer.from(numberToBytesLE(y, 32));
  enc[31]! |= signBit;
  let key: KeyObject | null;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: enc.toString('base64url') }, format: 'jwk' });
  } catch {
    key = null;
  }
  return edwardsKeys.set(id, key);
}

/**
 * XEdDSA verification (Signal's curve25519 signatures): the sign of the Edwards x travels in the top bit
 * of the signature; with it the Montgomery key gives the Ed25519 key, and the rest is a standard Ed25519
 * verify. Non-canonical S (≥ the group order) is rejected, as libsignal-client does.
 */
export function xeddsaVerify(pubKey: Bytes, message: Bytes, signature: Bytes): boolean {
  const pub = view(pubKey);
  const sig = Buffer.from(view(signature));
  if (pub.length !== 32 || sig.length !== 64) return false;
  const key = edwardsKey(pub, sig[63]! & 0x80);
  if (!key) return false;
  sig[63]! &= 0x7f;
  try {
    return verify(null, view(message), key, sig);
  } catch {
    return false;
  }
}

const NONCE_PREFIX = Buffer.from([0xfe, ...new Array<number>(31).fill(0xff)]);
const sha512 = (...parts: Uint8Array[]) => hash('sha512', Buffer.concat(parts), 'buffer');

/**
 * XEdDSA signature: A = aB (its sign bit goes into the top bit of S), R = rB, S = r + SHA-512(R ‖ A ‖ M)·a
 * mod L. The nonce r is, by default, libsignal's hedged one: SHA-512(0xFE‖0xFF×31 ‖ a ‖ M ‖ Z) mod L with 64
 * fresh random bytes Z (as @signalapp/libsignal-client signs). `'deterministic'` is the nonce of the pure-JS
 * curve the library ships (curve_sigs.c of 2014: SHA-512(a ‖ M)), used by tests to compare bytes with it.
 * Both verify the same way; `random` (64 bytes) is for tests of the hedged form.
 */
export function xeddsaSign(privKey: Bytes, message: Bytes, nonce: 'hedged' | 'deterministic' = 'hedged', random?: Uint8Array): Buffer {
  const priv = view(privKey);
  if (priv.length !== 32) throw new Error('Invalid private key');
  const msg = view(message);
  let rHash: Buffer;
  if (nonce === 'deterministic') rHash = sha512(priv, msg);
  else {
    const z = random ?? randomFillSync(Buffer.alloc(64));
    if (z.length !== 64) throw new Error('XEdDSA needs 64 random bytes');
    rHash = sha512(NONCE_PREFIX, priv, msg, z);
  }
  const a = Fn.create(bytesToNumberLE(priv));
  const A = ed25519.Point.BASE.multiply(a).toBytes();
  const r = Fn.create(bytesToNumberLE(rHash));
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  const h = Fn.create(bytesToNumberLE(sha512(R, A, msg)));
  const s = Fn.add(r, Fn.mul(h, a));
  const sig = Buffer.concat([R, numberToBytesLE(s, 32)]);
  sig[63]! |= A[31]! & 0x80;
  return sig;
}

/** The curve as the library's `setCurve` takes it (results as exact ArrayBuffers). */
export const nativeCurve: LibraryAsyncCurve = {
  async keyPair(privKey) {
    const kp = x25519KeyPair(privKey);
    return { pubKey: exactAB(kp.pubKey), privKey: exactAB(kp.privKey) };
  },
  async sharedSecret(pubKey, privKey) {
    return exactAB(x25519Agree(pubKey, privKey));
  },
  async sign(privKey, message) {
    return exactAB(xeddsaSign(privKey, message));
  },
  async verify(pubKey, message, sig) {
    return !xeddsaVerify(pubKey, message, sig);
  },
};
