// The native primitives byte for byte against the pure-JS curve the library ships (curve25519-donna and
// curve_sigs.c compiled to JS) on random inputs, against @signalapp/libsignal-client's curve, and the
// synchronous node:crypto WebCrypto stand-in against Node's own WebCrypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt, webcrypto } from 'node:crypto';
import { Curve25519Wrapper } from '@privacyresearch/curve25519-typescript';
import { FingerprintGenerator } from '@privacyresearch/libsignal-protocol-typescript';
import { PrivateKey, PublicKey } from '@signalapp/libsignal-client';
import { fingerprintDigits } from '../../crypto/fingerprint.ts';
import { createNativeWebCrypto } from '../../crypto/native.ts';
import { x25519Agree, x25519KeyPair, xeddsaSign, xeddsaVerify } from '../../crypto/native-curve.ts';

const N = 150;
const js = await Curve25519Wrapper.create();
/** A fresh ArrayBuffer of exactly these bytes (Buffer#slice is a view into a shared pool, so copy). */
const ab = (u: Uint8Array): ArrayBuffer => new Uint8Array(u).buffer as ArrayBuffer;
const hex = (u: Uint8Array | ArrayBuffer) => Buffer.from(u instanceof ArrayBuffer ? new Uint8Array(u) : u).toString('hex');
const u8 = (b: Buffer) => new Uint8Array(b);
/** pure-JS verify answers "invalid?" */
const jsValid = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array) => !js.verify(ab(pub), ab(msg), ab(sig));

test('key pairs: same clamped private key and public key as the pure-JS curve, for random private keys', () => {
  for (let i = 0; i < N; i++) {
    const priv = randomBytes(32);
    const n = x25519KeyPair(priv);
    const j = js.keyPair(ab(priv));
    assert.equal(hex(n.privKey), hex(j.privKey), `private key ${hex(priv)}`);
    assert.equal(hex(n.pubKey), hex(j.pubKey), `public key of ${hex(priv)}`);
  }
});

test('agreement: same shared secret as the pure-JS curve, for random key pairs and random peer u (twist, top bit set)', () => {
  for (let i = 0; i < N; i++) {
    // Private keys as the library holds them: made by keyPair, so clamped. (The pure-JS sharedSecret does not
    // clamp; OpenSSL, libsignal-client and RFC 7748 do, so an unclamped key would differ. None reaches it.)
    const priv = x25519KeyPair(randomBytes(32)).privKey;
    const peer = i % 2 === 0 ? x25519KeyPair(randomBytes(32)).pubKey : randomBytes(32); // any u, also ≥ 2^255
    if (i % 4 === 1) peer[31]! |= 0x80;
    assert.equal(hex(x25519Agree(peer, priv)), hex(js.sharedSecret(ab(peer), ab(priv))), `agree(${hex(peer)}, ${hex(priv)})`);
  }
});

test('agreement with a low-order peer key is refused natively (the pure-JS curve returns all zeros)', () => {
  const zero = new Uint8Array(32);
  assert.equal(hex(js.sharedSecret(ab(zero), ab(randomBytes(32)))), '00'.repeat(32));
  assert.throws(() => x25519Agree(zero, randomBytes(32)));
});

test('XEdDSA sign: the deterministic nonce gives the pure-JS signature byte for byte on random keys and messages', () => {
  for (let i = 0; i < N; i++) {
    const priv = x25519KeyPair(randomBytes(32)).privKey;
    const msg = u8(randomBytes(randomInt(0, 200)));
    assert.equal(hex(xeddsaSign(priv, msg, 'deterministic')), hex(js.sign(ab(priv), ab(msg))), `sign with ${hex(priv)}`);
  }
});

test('XEdDSA verify: same verdict as the pure-JS curve on valid, altered and random signatures', () => {
  let valid = 0;
  for (let i = 0; i < N; i++) {
    const kp = x25519KeyPair(randomBytes(32));
    const msg = u8(randomBytes(randomInt(1, 100)));
    const good = u8(xeddsaSign(kp.privKey, msg));
    const flipped = good.slice();
    const at = randomInt(0, 64);
    flipped[at] = flipped[at]! ^ (1 << randomInt(0, 8));
    const otherMsg = msg.slice();
    otherMsg[0] = otherMsg[0]! ^ 1;
    const cases: [string, Uint8Array, Uint8Array, Uint8Array][] = [
      ['valid', kp.pubKey, msg, good],
      [`bit flipped at ${at}`, kp.pubKey, msg, flipped],
      ['other message', kp.pubKey, otherMsg, good],
      ['random signature', kp.pubKey, msg, randomBytes(64)],
      ['other key', x25519KeyPair(randomBytes(32)).pubKey, msg, good],
    ];
    for (const [what, pub, m, sig] of cases) {
      const native = xeddsaVerify(pub, m, sig);
      assert.equal(native, jsValid(pub, m, sig), `${what}: native and pure-JS disagree`);
      if (native) valid++;
    }
  }
  assert.equal(valid, N, 'exactly the genuine signatures verify');
});

test('libsignal-client: same public keys and shared secrets; its signatures verify natively and ours verify there', () => {
  for (let i = 0; i < 40; i++) {
    const priv = x25519KeyPair(randomBytes(32)).privKey;
    const theirs = PrivateKey.deserialize(u8(priv));
    const ours = x25519KeyPair(priv);
    assert.equal(hex(theirs.getPublicKey().serialize()), '05' + hex(ours.pubKey));
    const peer = PrivateKey.generate();
    const peerPub = peer.getPublicKey().serialize().subarray(1);
    assert.equal(hex(theirs.agree(peer.getPublicKey())), hex(x25519Agree(peerPub, priv)));
    const msg = u8(randomBytes(randomInt(1, 100)));
    assert.equal(xeddsaVerify(ours.pubKey, msg, theirs.sign(msg)), true, 'libsignal-client signature, native verify');
    const sig = u8(xeddsaSign(priv, msg));
    assert.equal(PublicKey.deserialize(theirs.getPublicKey().serialize()).verify(msg, sig), true, 'native signature, libsignal-client verify');
    assert.equal(jsValid(ours.pubKey, msg, sig), true, 'native (hedged) signature, pure-JS verify');
  }
});

test('WebCrypto stand-in: HMAC-SHA256, AES-256-CBC and SHA-512 equal Node WebCrypto on random inputs', async () => {
  const native = createNativeWebCrypto().subtle as unknown as {
    importKey(f: string, k: ArrayBuffer, a: unknown): unknown;
    sign(a: unknown, k: unknown, d: ArrayBuffer): ArrayBuffer;
    encrypt(a: unknown, k: unknown, d: ArrayBuffer): ArrayBuffer;
    decrypt(a: unknown, k: unknown, d: ArrayBuffer): ArrayBuffer;
    digest(a: unknown, d: ArrayBuffer): ArrayBuffer;
  };
  const subtle = webcrypto.subtle;
  for (let i = 0; i < 60; i++) {
    const key = ab(randomBytes(32));
    const data = ab(randomBytes(randomInt(0, 400)));
    const iv = new Uint8Array(randomBytes(16));
    const hmacAlg = { name: 'HMAC', hash: { name: 'SHA-256' } };
    const mk = await subtle.importKey('raw', key, hmacAlg, false, ['sign']);
    assert.equal(hex(native.sign({ name: 'HMAC', hash: 'SHA-256' }, native.importKey('raw', key, hmacAlg), data)), hex(await subtle.sign('HMAC', mk, data)));
    const ak = await subtle.importKey('raw', key, { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']);
    const nk = native.importKey('raw', key, { name: 'AES-CBC' });
    const ct = native.encrypt({ name: 'AES-CBC', iv }, nk, data);
    assert.equal(hex(ct), hex(await subtle.encrypt({ name: 'AES-CBC', iv }, ak, data)));
    assert.equal(hex(native.decrypt({ name: 'AES-CBC', iv }, nk, ct)), hex(data));
    assert.equal(hex(native.digest({ name: 'SHA-512' }, data)), hex(await subtle.digest('SHA-512', data)));
  }
  const k = native.importKey('raw', ab(randomBytes(32)), { name: 'AES-CBC' });
  assert.throws(() => native.decrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, k, ab(randomBytes(32))), 'bad padding is an error, as in WebCrypto');
});

test('fingerprint: same digits as the library generator (pure-JS SHA-512) on random keys and ids', async () => {
  for (let i = 0; i < 6; i++) {
    const iterations = i === 0 ? 5200 : randomInt(1, 300);
    const [a, b] = [u8(randomBytes(33)), u8(randomBytes(33 * randomInt(1, 4)))];
    const [ida, idb] = [`u_${randomBytes(8).toString('hex')}`, `+1415${randomInt(1e6, 9e6)}`];
    const lib = await new FingerprintGenerator(iterations).createFor(ida, ab(a), idb, ab(b));
    assert.equal(fingerprintDigits(ida, a, idb, b, iterations), lib, `${iterations} iterations`);
  }
});
