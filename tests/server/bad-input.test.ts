import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LIMITS } from '../../common/wire/schemas.ts';
import {
  activeDevice, api, devLogin, fakePublicKey, lifecycleKeyPair, startTestServer, type Registered, type TestServer,
} from './helpers.ts';
import { ErrorCode, parseErrorBody, type ParsedError } from '../../common/errors.ts';

let server: TestServer;
let alice: Registered, bob: Registered;
before(async () => {
  server = await startTestServer();
  alice = await activeDevice(server.url, 'alice');
  bob = await activeDevice(server.url, 'bob');
});
after(async () => { await server.cleanup(); });

/** A 4xx whose body is an ErrorBody (api() checks that) with a code of the table. */
function assertClientError(res: { status: number; body: any; error?: ParsedError }, status: number, error?: ErrorCode) {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.ok(res.error, 'an error body');
  if (error) assert.equal(res.error.code, error);
}

/** A raw fetch response read the way api() reads it. */
async function answer(res: Response) {
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), error: parseErrorBody(res.status, text) };
}

const envelope = (over: Record<string, unknown> = {}) => ({
  userId: bob.userId, deviceId: bob.deviceId, registrationId: bob.registrationId, type: 1, content: 'aGVsbG8=', ...over,
});

test('every route answers bad input with a 4xx JSON error and keeps serving', async () => {
  const a = { auth: alice.auth };
  const authed: Array<[string, string]> = [
    ['PUT', '/v1/keys'], ['POST', '/v1/messages'],
  ];
  for (const [method, path] of [...authed, ['POST', '/v1/devices'] as [string, string]]) {
    assertClientError(await api(server.url, method, path, { ...a, raw: '{"not json' }), 400, ErrorCode.invalid_json);
    assertClientError(await api(server.url, method, path, { ...a, raw: '' }), 400, ErrorCode.invalid_json);
    assertClientError(await api(server.url, method, path, { ...a, body: [1, 2] }), 400, ErrorCode.invalid_request);
    assertClientError(await api(server.url, method, path, { ...a, raw: `{"x":"${'a'.repeat(LIMITS.bodyBytes)}"}` }), 413, ErrorCode.body_too_large);
  }
  // Wrong types, extra fields, out-of-range values.
  const bad: Array<[string, string, unknown]> = [
    ['POST', '/v1/devices', { idToken: 'x'.repeat(20), registrationId: '5', name: 'n' }],
    ['POST', '/v1/devices', { idToken: 'x'.repeat(20), registrationId: 0, name: 'n' }],
    ['POST', '/v1/devices', { idToken: 'x'.repeat(20), registrationId: 5, name: '' }],
    ['POST', '/v1/devices', { idToken: 'x'.repeat(20), registrationId: 5, name: 'n', admin: true }],
    ['PUT', '/v1/keys', { preKeys: 'nope' }],
    ['PUT', '/v1/keys', { preKeys: [{ keyId: -1, publicKey: fakePublicKey() }] }],
    ['PUT', '/v1/keys', { preKeys: [{ keyId: 1, publicKey: 'not base64!' }] }],
    ['PUT', '/v1/keys', { preKeys: Array.from({ length: LIMITS.preKeysPerUpload + 1 }, (_, i) => ({ keyId: i, publicKey: fakePublicKey() })) }],
    ['POST', '/v1/messages', { recipient: bob.userId, envelopes: [] }],
    ['POST', '/v1/messages', { recipient: 'bob@acme.test', envelopes: [envelope()] }],
    ['POST', '/v1/messages', { recipient: bob.userId, envelopes: [envelope({ type: 2 })] }],
    ['POST', '/v1/messages', { recipient: bob.userId, envelopes: [envelope({ content: 'a=b=' })] }],
    ['POST', '/v1/messages', { recipient: bob.userId, envelopes: Array.from({ length: LIMITS.envelopesPerSend + 1 }, () => envelope()) }],
  ];
  for (const [method, path, body] of bad) {
    assertClientError(await api(server.url, method, path, { ...a, body }), 400, ErrorCode.invalid_request);
  }
  // Passes the regex, but is not canonical base64 (non-zero padding bits).
  assertClientError(await api(server.url, 'POST', '/v1/messages', { ...a, body: { recipient: bob.userId, envelopes: [envelope({ content: 'aGVsbG9=' })] } }), 400, ErrorCode.invalid_base64);
  assertClientError(await api(server.url, 'POST', '/v1/messages', { ...a, body: { recipient: 'u_AAAAAAAAAAAAAAAAAAAAAA', envelopes: [envelope()] } }), 404, ErrorCode.unknown_user);

  // Params and query strings.
  for (const path of ['/v1/keys/not-a-user', '/v1/keys/u_AAAAAAAAAAAAAAAAAAAAAA/0', '/v1/keys/u_AAAAAAAAAAAAAAAAAAAAAA/abc',
    '/v1/users/alice', '/v1/directory', '/v1/directory?email=not-an-email', '/v1/directory/search', '/v1/directory/search?q=',
    '/v1/devices/me?x=1', '/v1/keys/count?x=1']) {
    assertClientError(await api(server.url, 'GET', path, a), 400, ErrorCode.invalid_request);
  }
  assertClientError(await api(server.url, 'GET', '/v1/keys/u_AAAAAAAAAAAAAAAAAAAAAA/1', a), 404, ErrorCode.unknown_user);
  assertClientError(await api(server.url, 'GET', '/v1/nope'), 404, ErrorCode.not_found);
  assertClientError(await api(server.url, 'DELETE', '/v1/keys', a), 404, ErrorCode.not_found);
  // Unauthenticated requests are refused before their bodies matter.
  for (const [method, path] of [...authed, ['GET', '/v1/keys/count'], ['GET', `/v1/keys/${bob.userId}`], ['GET', '/v1/directory/search?q=a'], ['GET', '/v1/ws']] as Array<[string, string]>) {
    assertClientError(await api(server.url, method, path, method === 'GET' ? {} : { raw: '{"x":1}' }), 401, ErrorCode.unauthorized);
  }
  // Wrong media type.
  const xml = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: { ...alice.auth, 'content-type': 'application/xml' }, body: '<a/>' });
  assertClientError(await answer(xml), 415, ErrorCode.unsupported_media_type);
  const plain = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: { ...alice.auth, 'content-type': 'text/plain' }, body: 'hi' });
  assertClientError(await answer(plain), 400, ErrorCode.invalid_request);

  assert.deepEqual(await api(server.url, 'GET', '/healthz'), { status: 200, body: { ok: true } });
});

test('the data directory holds no ID token, credential secret or message text', async () => {
  const { idToken } = await devLogin(server.url, 'carol');
  const reg = await api(server.url, 'POST', '/v1/devices', { body: { idToken, registrationId: 9, name: 'carol pc', lifecycleKey: lifecycleKeyPair().publicKey } });
  assert.equal(reg.status, 200);
  const secret = reg.body.credential.split('.')[2] as string;
  const marker = 'PLAINTEXT-MARKER-0123456789';
  const res = await api(server.url, 'POST', '/v1/messages', {
    auth: alice.auth, body: { recipient: bob.userId, envelopes: [envelope({ content: Buffer.from(marker).toString('base64') })] },
  });
  assert.equal(res.status, 200);

  const files = (await readdir(server.dataDir)).filter((f) => f.startsWith('parley-server.db'));
  assert.ok(files.includes('parley-server.db') && files.includes('parley-server.db-wal'), files.join(','));
  const all = Buffer.concat(await Promise.all(files.map((f) => readFile(join(server.dataDir, f)))));
  // Sanity: the search can find what IS stored (the envelope bytes, as a stand-in for ciphertext).
  assert.ok(all.includes(Buffer.from(marker)));
  for (const needle of [idToken, idToken.split('.')[2]!, idToken.split('.')[1]!, secret, reg.body.credential, Buffer.from(secret, 'base64url').toString('base64')]) {
    assert.equal(all.includes(Buffer.from(needle)), false, `found ${needle.slice(0, 12)}… in the data directory`);
  }
  assert.equal(all.includes(Buffer.from(secret, 'base64url')), false, 'raw secret bytes stored');
});
