// Finding 6 (server part): a member could block every group send by registering a device whose signed prekey
// does not verify — clients refused its bundle and with it the whole send. The server now verifies the signed
// prekey (XEdDSA with the device's identity key) on every upload, first or rotation, so such a device never
// becomes active and no sender is ever asked to encrypt to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createIdentity, createPreKeys, createSignedPreKey } from '../../crypto/signal.ts';
import { ErrorCode } from '../../common/errors.ts';
import {
  activeDevice, api, fakePublicKey, fakeSignature, keyUpload, registerDevice, signedPreKey, startTestServer, testIdentity,
  type Registered, type TestServer,
} from '../server/helpers.ts';

let server: TestServer;
let alice: Registered, bob: Registered;
before(async () => {
  server = await startTestServer();
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
});
after(async () => { await server.cleanup(); });

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const devicesOf = async (dev: Registered) =>
  (await api(server.url, 'GET', `/v1/users/${dev.userId}`, { auth: alice.auth })).body.devices.map((d: any) => d.deviceId);

test('a first upload whose signed prekey does not verify is refused (400) and the device never becomes active', async () => {
  const bad = await registerDevice(server.url, 'bob');
  const identity = testIdentity();
  const cases = [
    { ...keyUpload([1, 2], identity), signedPreKey: { keyId: 1, publicKey: fakePublicKey(), signature: fakeSignature() } },
    // Signed by another identity key.
    { ...keyUpload([1, 2], identity), signedPreKey: signedPreKey(testIdentity()) },
    // A valid signature over a different prekey.
    { ...keyUpload([1, 2], identity), signedPreKey: { ...signedPreKey(identity), publicKey: fakePublicKey() } },
  ];
  for (const body of cases) {
    const res = await api(server.url, 'PUT', '/v1/keys', { auth: bad.auth, body });
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.error?.code, ErrorCode.invalid_prekey_signature);
  }
  assert.deepEqual((await api(server.url, 'GET', '/v1/keys/count', { auth: bad.auth })).body, { count: 0 }, 'nothing was stored');
  assert.deepEqual(await devicesOf(bob), [bob.deviceId], 'the directory does not list it');
  // So a group send to bob needs only his good device: nobody is asked to encrypt to the broken one.
  const group = await api(server.url, 'POST', '/v1/groups', { auth: alice.auth, body: { name: 'Team', members: [bob.userId] } });
  assert.equal(group.status, 201, JSON.stringify(group.body));
  const send = await api(server.url, 'POST', `/v1/groups/${group.body.id}/messages`, {
    auth: alice.auth,
    body: { envelopes: [{ userId: bob.userId, deviceId: bob.deviceId, registrationId: bob.registrationId, type: 1, content: b64(Buffer.from('hi')) }] },
  });
  assert.equal(send.status, 200, JSON.stringify(send.body));
});

test('keys made by the real client library verify; a rotation must be signed by the stored identity key', async () => {
  const dev = await registerDevice(server.url, 'dave');
  const identity = await createIdentity();
  const signed = await createSignedPreKey(identity.keyPair, 7);
  const pre = await createPreKeys(1, 2);
  const first = await api(server.url, 'PUT', '/v1/keys', {
    auth: dev.auth,
    body: {
      identityKey: b64(identity.keyPair.publicKey),
      signedPreKey: { keyId: 7, publicKey: b64(signed.keyPair.publicKey), signature: b64(signed.signature) },
      preKeys: pre.map((k) => ({ keyId: k.keyId, publicKey: b64(k.keyPair.publicKey) })),
    },
  });
  assert.deepEqual(first, { status: 200, body: { count: 2 } });

  // Rotation (no identityKey in the request): checked against the identity key already published.
  const other = await createIdentity();
  const forged = await createSignedPreKey(other.keyPair, 8);
  const refused = await api(server.url, 'PUT', '/v1/keys', {
    auth: dev.auth, body: { signedPreKey: { keyId: 8, publicKey: b64(forged.keyPair.publicKey), signature: b64(forged.signature) }, preKeys: [] },
  });
  assert.equal(refused.error?.code, ErrorCode.invalid_prekey_signature);
  const next = await createSignedPreKey(identity.keyPair, 8);
  const rotated = await api(server.url, 'PUT', '/v1/keys', {
    auth: dev.auth, body: { signedPreKey: { keyId: 8, publicKey: b64(next.keyPair.publicKey), signature: b64(next.signature) }, preKeys: [] },
  });
  assert.deepEqual(rotated, { status: 200, body: { count: 2 } });
  const bundle = await api(server.url, 'GET', `/v1/keys/${dev.userId}`, { auth: alice.auth });
  assert.equal(bundle.body.devices[0].signedPreKey.keyId, 8);
});
