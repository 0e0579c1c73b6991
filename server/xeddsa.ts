// XEdDSA verification of signed prekeys (finding 6): the server refuses a signed prekey whose signature does not
// verify with the device's identity key, so no device with a broken bundle ever becomes active (one such device
// used to fail every group send to its owner's groups).
//
// Why not import crypto/native-curve.ts, which has the same function: the layer rules keep server/ away from
// crypto/ (rule "server-not-client"), and rightly — crypto/ is the client's protocol wrapper, shaped by the
// library it wraps and changed with it. The server needs only this one verification, so it has its own ~20
// lines on node:crypto and @noble/curves' field arithmetic; tests/server/xeddsa.test.ts checks it against
// signatures made by crypto/ (both nonce forms) and by @signalapp/libsignal-client.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';

const Fp = ed25519.Point.Fp;

/** The Ed25519 key of a Curve25519 u-coordinate with the given sign bit: y = (u − 1)/(u + 1); null if none. */
function edwardsKey(u32: Uint8Array, signBit: number): KeyObject | null {
  const m = Uint8Array.from(u32);
  m[31]! &= 0x7f; // the top bit of u is ignored, as libsignal does
  const u = Fp.create(bytesToNumberLE(m));
  if (u === Fp.ORDER - 1n) return null; // u + 1 = 0: no Edwards point
  const enc = Buffer.from(numberToBytesLE(Fp.mul(Fp.sub(u, 1n), Fp.inv(Fp.add(u, 1n))), 32));
  enc[31]! |= signBit;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: enc.toString('base64url') }, format: 'jwk' });
  } catch {
    return null;
  }
}

/**
 * Signal's signature check: `identityKey` as libsignal serializes it (0x05 + 32 bytes), `message` the signed
 * bytes (for a signed prekey: its serialized 33-byte public key), `signature` 64 bytes whose top bit carries the
 * sign of the Edwards x. Non-canonical S is refused by node:crypto's Ed25519 verify, as libsignal-client does.
 */
export function xeddsaVerify(identityKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (identityKey.length !== 33 || identityKey[0] !== 0x05 || signature.length !== 64) return false;
  const key = edwardsKey(identityKey.subarray(1), signature[63]! & 0x80);
  if (!key) return false;
  const sig = Buffer.from(signature);
  sig[63]! &= 0x7f;
  try {
    return verify(null, message, key, sig);
  } catch {
    return false;
  }
}
