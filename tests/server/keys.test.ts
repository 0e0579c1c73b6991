import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { KeyBundles } from '../../common/wire/schemas.ts';
import { api, fakePublicKey, keyUpload, registerDevice, signedPreKey, startTestServer, testIdentity, type TestServer } from './helpers.ts';
import { ErrorCode } from '../../common/errors.ts';

let server: TestServer;
before(async () => { server = await startTestServer(); });
after(async () => { await server.cleanup(); });

test('prekey upload, refill, count and bundle consumption', async () => {
  const bob = await registerDevice(server.url, 'bob', { registrationId: 1234 });
  const alice = await registerDevice(server.url, 'alice');

  // Not active yet: no bundles, not in the directory's device list.
  let bundles = await api(server.url, 'GET', `/v1/keys/${bob.userId}`, { auth: alice.auth });
  assert.deepEqual(bundles.body, { userId: bob.userId, devices: [] });
  assert.equal((await api(server.url, 'GET', `/v1/keys/${bob.userId}/1`, { auth: alice.auth })).error?.code, ErrorCode.unknown_device);

  // The first upload must carry the identity key and signed prekey.
  const noIdentity = await api(server.url, 'PUT', '/v1/keys', { auth: bob.auth, body: { preKeys: [] } });
  assert.equal(noIdentity.status, 400);
  assert.equal(noIdentity.error?.code, ErrorCode.identity_required);
  const { signedPreKey: _spk, ...identityOnly } = keyUpload([]);
  assert.equal((await api(server.url, 'PUT', '/v1/keys', { auth: bob.auth, body: identityOnly })).error?.code, ErrorCode.identity_required);

  const identity = testIdentity();
  const upload = keyUpload([10, 11], identity);
  const first = await api(server.url, 'PUT', '/v1/keys', { auth: bob.auth, body: upload });
  assert.deepEqual(first, { status: 200, body: { count: 2 } });
  // Refill without identity; same keyId replaces rather than duplicates.
  const refill = await api(server.url, 'PUT', '/v1/keys', {
    auth: bob.auth, body: { preKeys: [{ keyId: 11, publicKey: fakePublicKey() }, { keyId: 12, publicKey: fakePublicKey() }] },
  });
  assert.deepEqual(refill.body, { count: 3 });
  assert.deepEqual((await api(server.url, 'GET', '/v1/keys/count', { auth: bob.auth })).body, { count: 3 });

  // Each fetch consumes exactly one prekey, lowest keyId first.
  const seen: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await api(server.url, 'GET', i === 1 ? `/v1/keys/${bob.userId}/1` : `/v1/keys/${bob.userId}`, { auth: alice.auth });
    assert.equal(res.status, 200);
    assert.ok(Value.Check(KeyBundles, res.body));
    assert.equal(res.body.devices.length, 1);
    const d = res.body.devices[0]!;
    assert.equal(d.deviceId, 1);
    assert.equal(d.registrationId, 1234);
    assert.equal(d.identityKey, upload.identityKey);
    assert.deepEqual(d.signedPreKey, upload.signedPreKey);
    seen.push(d.preKey!.keyId);
    assert.deepEqual((await api(server.url, 'GET', '/v1/keys/count', { auth: bob.auth })).body, { count: 2 - i });
  }
  assert.deepEqual(seen, [10, 11, 12]);
  // Exhausted: bundles still come, without preKey.
  const empty = await api(server.url, 'GET', `/v1/keys/${bob.userId}`, { auth: alice.auth });
  assert.equal(empty.status, 200);
  assert.equal(empty.body.devices[0].preKey, undefined);
  assert.ok(Value.Check(KeyBundles, empty.body));

  // Signed prekey rotation is allowed; the identity key is immutable.
  const rotated = signedPreKey(identity, 2);
  assert.equal((await api(server.url, 'PUT', '/v1/keys', { auth: bob.auth, body: { identityKey: upload.identityKey, signedPreKey: rotated, preKeys: [] } })).status, 200);
  const changed = await api(server.url, 'PUT', '/v1/keys', { auth: bob.auth, body: { identityKey: fakePublicKey(), preKeys: [] } });
  assert.equal(changed.status, 409);
  assert.equal(changed.error?.code, ErrorCode.identity_key_immutable);
  const after = await api(server.url, 'GET', `/v1/keys/${bob.userId}`, { auth: alice.auth });
  assert.equal(after.body.devices[0].identityKey, upload.identityKey);
  assert.deepEqual(after.body.devices[0].signedPreKey, rotated);
});

test('keys must be 33-byte 0x05 keys and 64-byte signatures', async () => {
  const carol = await registerDevice(server.url, 'carol');
  const good = keyUpload([1]);
  const thirtyTwo = Buffer.alloc(32, 1).toString('base64'); // valid base64, wrong length
  const wrongType = Buffer.concat([Buffer.from([6]), Buffer.alloc(32, 1)]).toString('base64');
  const cases = [
    { ...good, identityKey: wrongType },
    { ...good, identityKey: thirtyTwo.padEnd(44, 'A').slice(0, 40) + 'AA==' },
    { ...good, signedPreKey: { ...good.signedPreKey, signature: Buffer.alloc(63).toString('base64') } },
    { ...good, preKeys: [{ keyId: 1, publicKey: wrongType }] },
  ];
  for (const body of cases) {
    const res = await api(server.url, 'PUT', '/v1/keys', { auth: carol.auth, body });
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(res.error?.code, ErrorCode.invalid_key);
  }
  assert.deepEqual((await api(server.url, 'GET', '/v1/keys/count', { auth: carol.auth })).body, { count: 0 });
  assert.equal((await api(server.url, 'GET', '/v1/keys/u_AAAAAAAAAAAAAAAAAAAAAA', { auth: carol.auth })).error?.code, ErrorCode.unknown_user);
});
