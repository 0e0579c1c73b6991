// The server's own XEdDSA verification (server/xeddsa.ts) against signatures made by the client's curve
// (crypto/native-curve.ts, both nonce forms) and by @signalapp/libsignal-client, and its refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PrivateKey } from '@signalapp/libsignal-client';
import { x25519KeyPair, xeddsaSign } from '../../crypto/native-curve.ts';
import { xeddsaVerify } from '../../server/xeddsa.ts';

const prefixed = (pub: Uint8Array) => Buffer.concat([Buffer.from([5]), pub]);

test('verifies what crypto/ and libsignal-client sign, and nothing else', () => {
  for (let i = 0; i < 20; i++) {
    const { pubKey, privKey } = x25519KeyPair(randomBytes(32));
    const msg = prefixed(randomBytes(32));
    for (const sig of [xeddsaSign(privKey, msg), xeddsaSign(privKey, msg, 'deterministic')]) {
      assert.ok(xeddsaVerify(prefixed(pubKey), msg, sig));
      const flipped = Buffer.from(sig);
      flipped[i % 64]! ^= 1 << (i % 8);
      assert.ok(!xeddsaVerify(prefixed(pubKey), msg, flipped), 'a flipped bit');
      assert.ok(!xeddsaVerify(prefixed(pubKey), prefixed(randomBytes(32)), sig), 'another message');
      assert.ok(!xeddsaVerify(prefixed(x25519KeyPair(randomBytes(32)).pubKey), msg, sig), 'another key');
    }
    const lib = PrivateKey.generate();
    const libSig = lib.sign(msg);
    assert.ok(xeddsaVerify(lib.getPublicKey().serialize(), msg, libSig));
  }
});

test('malformed keys and signatures are false, never a throw', () => {
  const { pubKey, privKey } = x25519KeyPair(randomBytes(32));
  const msg = randomBytes(33);
  const sig = xeddsaSign(privKey, msg);
  assert.ok(!xeddsaVerify(pubKey, msg, sig), 'no 0x05 prefix');
  assert.ok(!xeddsaVerify(Buffer.concat([Buffer.from([6]), pubKey]), msg, sig), 'wrong type byte');
  assert.ok(!xeddsaVerify(prefixed(pubKey), msg, sig.subarray(0, 63)), 'short signature');
  // u = p − 1 has no Edwards point; all-ones bytes are not a canonical key either.
  const pMinus1 = Buffer.from('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex');
  assert.ok(!xeddsaVerify(prefixed(pMinus1), msg, sig));
  assert.ok(!xeddsaVerify(prefixed(Buffer.alloc(32, 0xff)), msg, sig));
  assert.ok(!xeddsaVerify(prefixed(Buffer.alloc(32)), msg, Buffer.alloc(64)));
});
