// Update signatures with real Ed25519 keys: sign → verify, and every refusal verifyUpdate promises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as edVerify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateUpdateKeyPair, keyIdOf, parseSignature, rawPublicKey, serializeSignature, signedBytes, signUpdate, verifyUpdate,
  type UpdateSignature,
} from '../../electron/core/update/signature.ts';
import { compareSemver, parseSemver } from '../../electron/core/update/semver.ts';
import { PINNED_KEYS, PINNED_UPDATE_KEYS, parsePinnedKeys } from '../../electron/core/update/pinned-keys.ts';
import { UpdateRefusedError, verifyBeforeInstall, checkBeforeInstall } from '../../electron/core/update/verify-before-install.ts';

const key = generateUpdateKeyPair();
const other = generateUpdateKeyPair();
const file = new Uint8Array(200_000).map((_, i) => (i * 7919) & 0xff);
const sig = signUpdate({ file }, '1.4.0', 'stable', key.privatePem);
const base = { file, sig: serializeSignature(sig), publicKeys: [key.publicBase64], expectedVersion: '1.4.0', expectedChannel: 'stable' };

function refused(r: ReturnType<typeof verifyUpdate>, pattern: RegExp): void {
  assert.equal(r.ok, false, 'expected a refusal');
  if (!r.ok) {
    assert.match(r.reason, pattern);
    assert.ok(!r.reason.includes('\n'), 'reasons are one line');
  }
}

test('the signed bytes are exactly "parley-update-v1\\n<sha256>\\n<version>\\n<channel>"', () => {
  const h = createHash('sha256').update(file).digest('hex');
  assert.equal(signedBytes(h, '1.4.0', 'stable').toString('utf8'), `parley-update-v1\n${h}\n1.4.0\nstable`);
  assert.equal(sig.sha256, h);
  // An independent check of the signature over those bytes with node:crypto directly.
  const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: rawPublicKey(key.publicBase64).toString('base64url') }, format: 'jwk' });
  assert.ok(edVerify(null, Buffer.from(`parley-update-v1\n${h}\n1.4.0\nstable`), pub, Buffer.from(sig.signature, 'base64')));
  assert.throws(() => signedBytes(h, '1.4.0\nstable', 'stable'));
  assert.throws(() => signedBytes(h.toUpperCase(), '1.4.0', 'stable'));
  assert.throws(() => signedBytes(h, '1.4.0', 'nightly'));
});

test('the .sig file has the documented shape; keyId = first 16 hex of sha256(raw public key)', () => {
  const parsed = JSON.parse(serializeSignature(sig)) as UpdateSignature;
  assert.deepEqual(Object.keys(parsed).sort(), ['channel', 'format', 'keyId', 'sha256', 'signature', 'version']);
  assert.equal(parsed.format, 'parley-update-sig-v1');
  assert.equal(parsed.keyId, createHash('sha256').update(rawPublicKey(key.publicBase64)).digest('hex').slice(0, 16));
  assert.equal(parsed.keyId, keyIdOf(rawPublicKey(key.publicBase64)));
  assert.equal(Buffer.from(parsed.signature, 'base64').length, 64);
});

test('a genuine update verifies (with and without an older installed version)', () => {
  assert.deepEqual(verifyUpdate(base), { ok: true, keyId: key.keyId });
  assert.deepEqual(verifyUpdate({ ...base, installedVersion: '1.3.9' }), { ok: true, keyId: key.keyId });
  assert.deepEqual(verifyUpdate({ ...base, installedVersion: '1.4.0-rc.2' }), { ok: true, keyId: key.keyId });
  assert.deepEqual(verifyUpdate({ ...base, file: { sha256: sig.sha256 } }), { ok: true, keyId: key.keyId });
  assert.deepEqual(verifyUpdate({ ...base, publicKeys: [other.publicBase64, key.publicBase64] }), { ok: true, keyId: key.keyId });
});

test('a tampered file (one flipped byte) is refused: hash mismatch', () => {
  for (const at of [0, 100_000, file.length - 1]) {
    const t = file.slice();
    t[at] = t[at]! ^ 0x01;
    refused(verifyUpdate({ ...base, file: t }), /hash.*does not match the signed hash/);
  }
  refused(verifyUpdate({ ...base, file: file.subarray(0, file.length - 1) }), /hash/);
});

test('a signature by another key is refused, pinned or not', () => {
  const bySomeoneElse = signUpdate({ file }, '1.4.0', 'stable', other.privatePem);
  refused(verifyUpdate({ ...base, sig: bySomeoneElse }), /signed with key [0-9a-f]{16}, which this build does not trust/);
  // The attacker claims the pinned keyId but signs with their own key.
  refused(verifyUpdate({ ...base, sig: { ...bySomeoneElse, keyId: key.keyId } }), /does not verify under the trusted key/);
  // A signature edited in place (one bit) does not verify either.
  const s = Buffer.from(sig.signature, 'base64');
  s[10] = s[10]! ^ 0x80;
  refused(verifyUpdate({ ...base, sig: { ...sig, signature: s.toString('base64') } }), /does not verify/);
  refused(verifyUpdate({ ...base, publicKeys: [] }), /no valid update public key is pinned/);
  refused(verifyUpdate({ ...base, publicKeys: ['not-a-key'] }), /no valid update public key is pinned/);
});

test('version or channel mismatch between signature and metadata is refused; the signed fields cannot be edited', () => {
  refused(verifyUpdate({ ...base, expectedVersion: '1.4.1' }), /signature is for version 1\.4\.0 but the update claims to be version 1\.4\.1/);
  refused(verifyUpdate({ ...base, expectedChannel: 'beta' }), /signature is for the stable channel but the update claims the beta channel/);
  // Editing the .sig to match the metadata breaks the signature.
  refused(verifyUpdate({ ...base, expectedVersion: '1.4.1', sig: { ...sig, version: '1.4.1' } }), /does not verify/);
  refused(verifyUpdate({ ...base, expectedChannel: 'beta', sig: { ...sig, channel: 'beta' } }), /does not verify/);
  refused(verifyUpdate({ ...base, sig: { ...sig, sha256: '0'.repeat(64) } }), /does not verify/);
  refused(verifyUpdate({ ...base, expectedVersion: 'v1.4.0' }), /metadata's version "v1\.4\.0" is not/);
  refused(verifyUpdate({ ...base, expectedChannel: 'nightly' }), /metadata's channel "nightly"/);
});

test('downgrades and the same version are refused', () => {
  refused(verifyUpdate({ ...base, installedVersion: '1.4.0' }), /1\.4\.0 is already installed/);
  refused(verifyUpdate({ ...base, installedVersion: '1.4.1' }), /older than the installed 1\.4\.1 \(downgrades are refused\)/);
  refused(verifyUpdate({ ...base, installedVersion: '2.0.0-beta.1' }), /older than the installed/);
  refused(verifyUpdate({ ...base, installedVersion: 'garbage' }), /installed version "garbage" is not/);
});

test('malformed .sig files are refused with a reason', () => {
  const cases: [unknown, RegExp][] = [
    ['', /not JSON/],
    ['{"format":', /not JSON/],
    ['[]', /not a JSON object/],
    ['null', /not a JSON object/],
    [Buffer.from([0xff, 0xfe, 0x00]), /not JSON/],
    [' '.repeat(5000), /larger than 4096 bytes/],
    [{ ...sig, format: 'parley-update-sig-v0' }, /format must be/],
    [{ ...sig, extra: 1 }, /unexpected key "extra"/],
    [{ ...sig, version: '1.4' }, /version is not/],
    [{ ...sig, channel: 'nightly' }, /channel is not/],
    [{ ...sig, sha256: sig.sha256.toUpperCase() }, /sha256 is not/],
    [{ ...sig, keyId: 'xyz' }, /keyId is not/],
    [{ ...sig, signature: 'AAAA' }, /signature is not the base64 of 64 bytes/],
    [(() => { const { signature: _s, ...rest } = sig; return rest; })(), /signature is not/],
  ];
  for (const [s, pattern] of cases) refused(verifyUpdate({ ...base, sig: s }), pattern);
  assert.throws(() => parseSignature('{}'), /malformed/);
});

test('strict semver: parsing and precedence', () => {
  for (const bad of ['1', '1.2', 'v1.2.3', '01.2.3', '1.02.3', '1.2.3-', '1.2.3-01', '1.2.3+build', ' 1.2.3', '1.2.3-a..b', '1.2.3-ä']) {
    assert.equal(parseSemver(bad), undefined, bad);
  }
  const ordered = ['0.9.9', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.1.0', '1.10.0', '2.0.0'];
  for (let i = 0; i < ordered.length; i++) {
    for (let j = 0; j < ordered.length; j++) {
      assert.equal(compareSemver(ordered[i]!, ordered[j]!), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
    }
  }
  assert.throws(() => compareSemver('1.0', '1.0.0'));
});

test('the pinned keys load from build/release/update-public-keys.json (a development key for now)', () => {
  assert.ok(PINNED_UPDATE_KEYS.length >= 1);
  for (const k of PINNED_KEYS) assert.equal(k.keyId, keyIdOf(rawPublicKey(k.publicKey)));
  assert.throws(() => parsePinnedKeys({ keys: [] }), /no key/);
  assert.throws(() => parsePinnedKeys({ keys: [{ publicKey: 'nope' }] }), /raw 32-byte/);
  assert.throws(() => parsePinnedKeys({ keys: [{ publicKey: key.publicBase64, keyId: '0000000000000000' }] }), /does not match/);
  // Something signed by a fresh key is not trusted by this build.
  refused(verifyUpdate({ ...base, publicKeys: PINNED_UPDATE_KEYS }), /which this build does not trust/);
});

test('verifyBeforeInstall reads FILE and FILE.sig from disk and throws the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-vbi-'));
  const path = join(dir, 'Parley-1.4.0.AppImage');
  writeFileSync(path, file);
  writeFileSync(`${path}.sig`, serializeSignature(sig));
  const update = { filePath: path, version: '1.4.0', channel: 'stable' };
  await verifyBeforeInstall(update, { installedVersion: '1.3.0', publicKeys: [key.publicBase64] });
  await assert.rejects(verifyBeforeInstall(update, { installedVersion: '1.3.0' }), (e: unknown) =>
    e instanceof UpdateRefusedError && /does not trust/.test(e.reason));
  await assert.rejects(verifyBeforeInstall(update, { installedVersion: '1.4.0', publicKeys: [key.publicBase64] }), /already installed/);
  await assert.rejects(verifyBeforeInstall({ ...update, sigPath: join(dir, 'missing.sig') }, { installedVersion: '1.3.0', publicKeys: [key.publicBase64] }),
    /signature file cannot be read \(ENOENT\)/);
  const t = Buffer.from(file);
  t[5] = t[5]! ^ 1;
  writeFileSync(path, t);
  const r = await checkBeforeInstall(update, { installedVersion: '1.3.0', publicKeys: [key.publicBase64] });
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.reason : '', /hash/);
});
