// The attachment cipher (electron/core/attachments/cipher.ts): IV ‖ AES-256-CBC ‖ HMAC-SHA256, streamed.
// Round trips at block edges, the exact ciphertext length the upload announces, and every tampering — a
// flipped bit anywhere, a cut, an extension, another key — fails with the one integrity error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ciphertextSize } from '../../common/wire/attachments.ts';
import { CiphertextVerifier, Decryptor, Encryptor, IntegrityError, newAttachmentKey } from '../../electron/core/attachments/cipher.ts';

/** Feeds `data` in uneven pieces, so chunk boundaries fall inside blocks, the IV and the MAC. */
function pieces(data: Buffer): Readable {
  const out: Buffer[] = [];
  for (let i = 0, n = 1; i < data.length; i += n, n = (n * 7 + 3) % 5000 + 1) out.push(data.subarray(i, i + n));
  return Readable.from(out);
}

async function collect(...streams: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream>): Promise<Buffer> {
  const parts: Buffer[] = [];
  const sink = new Writable({ write(c: Buffer, _e, done) { parts.push(c); done(); } });
  await (pipeline as (...s: unknown[]) => Promise<void>)(...streams, sink);
  return Buffer.concat(parts);
}

async function encrypt(plain: Buffer, key = newAttachmentKey()) {
  const enc = new Encryptor(key);
  const ct = await collect(pieces(plain), enc);
  return { key, ct, facts: await enc.facts };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest();

test('round trip at block edges; the length is ciphertextSize; digest and sha256 are what travel in the message', async () => {
  for (const n of [0, 1, 15, 16, 17, 31, 32, 33, 4096, 300_001]) {
    const plain = randomBytes(n);
    const { key, ct, facts } = await encrypt(plain);
    assert.equal(ct.length, ciphertextSize(n), `length for ${n}`);
    assert.ok(facts.digest.equals(sha(ct)));
    assert.equal(facts.sha256, sha(plain).toString('hex'));
    assert.equal(facts.size, n);
    const checked = await collect(pieces(ct), new CiphertextVerifier(key, facts.digest, ct.length));
    assert.ok(checked.equals(ct));
    const back = await collect(pieces(ct), new Decryptor(key, { size: n, sha256: facts.sha256 }));
    assert.ok(back.equals(plain), `plaintext for ${n}`);
  }
});

test('tampering anywhere, truncation, extension or another key: IntegrityError from the verifier and the decryptor', async () => {
  const plain = randomBytes(50_000);
  const { key, ct, facts } = await encrypt(plain);
  const expect = { size: plain.length, sha256: facts.sha256 };
  const variants: Array<[string, Buffer, Buffer]> = [];
  for (const at of [0, 15, 16, 100, ct.length - 33, ct.length - 32, ct.length - 1]) {
    const t = Buffer.from(ct);
    t[at]! ^= 0x01;
    variants.push([`bit ${at}`, t, key]);
  }
  variants.push(['cut', ct.subarray(0, ct.length - 16), key]);
  variants.push(['extended', Buffer.concat([ct, randomBytes(16)]), key]);
  variants.push(['other key', ct, newAttachmentKey()]);
  for (const [what, bytes, k] of variants) {
    await assert.rejects(collect(pieces(bytes), new CiphertextVerifier(k, facts.digest, ct.length)), IntegrityError, `verifier: ${what}`);
    await assert.rejects(collect(pieces(bytes), new Decryptor(k, expect)), (err: Error) => {
      assert.ok(err instanceof IntegrityError, `decryptor: ${what}: ${err.message}`);
      assert.equal(err.message, 'attachment failed its integrity check');
      return true;
    });
  }
  // A digest of the wrong length (a hostile message) is a mismatch, not a crash.
  await assert.rejects(collect(pieces(ct), new CiphertextVerifier(key, facts.digest.subarray(0, 20), ct.length)), IntegrityError);
  // A message that lies about the plaintext (size or sha256) is refused too, even with a valid ciphertext.
  await assert.rejects(collect(pieces(ct), new Decryptor(key, { ...expect, size: expect.size - 1 })), IntegrityError);
  await assert.rejects(collect(pieces(ct), new Decryptor(key, { ...expect, sha256: '0'.repeat(64) })), IntegrityError);
});
