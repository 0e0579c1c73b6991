import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SignJWT, generateKeyPair, decodeJwt, decodeProtectedHeader } from 'jose';
import { Value } from 'typebox/value';
import { ClientConfig, RegisterDeviceResponse, RegistrationNonce, WhoAmI } from '../../common/wire/schemas.ts';
import { api, devLogin, getNonce, lifecycleKeyPair, registerDevice, startTestServer, type TestServer } from './helpers.ts';
import { ErrorCode, type ParsedError } from '../../common/errors.ts';

let skewMs = 0;
let server: TestServer;
before(async () => { server = await startTestServer({ now: () => Date.now() + skewMs }); });
after(async () => { await server.cleanup(); });

const register = (idToken: string, registrationId = 42) =>
  api(server.url, 'POST', '/v1/devices', { body: { idToken, registrationId, name: 'test device', lifecycleKey: lifecycleKeyPair().publicKey } });

function assertInvalidToken(res: { status: number; body: any; error?: ParsedError }, messagePart?: RegExp) {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.error?.code, ErrorCode.invalid_token);
  assert.equal(typeof res.body.message, 'string');
  if (messagePart) assert.match(res.body.message, messagePart);
}

test('healthz and config', async () => {
  assert.deepEqual(await api(server.url, 'GET', '/healthz'), { status: 200, body: { ok: true } });
  const { status, body } = await api(server.url, 'GET', '/v1/config');
  assert.equal(status, 200);
  assert.ok(Value.Check(ClientConfig, body));
  assert.equal(body.issuer, `${server.url}/idp`);
  assert.equal(body.clientId, 'parley-desktop');
  assert.equal(body.devIdp, true);
  assert.equal(body.organization, 'Acme Corp');
  assert.deepEqual(body.scopes, ['openid', 'profile', 'email', 'groups']);
});

test('nonce endpoint issues fresh single-use nonces', async () => {
  const a = await api(server.url, 'POST', '/v1/devices/nonce');
  const b = await api(server.url, 'POST', '/v1/devices/nonce');
  assert.equal(a.status, 200);
  assert.ok(Value.Check(RegistrationNonce, a.body));
  assert.notEqual(a.body.nonce, b.body.nonce);
  assert.ok(a.body.expiresAt > Date.now() + 9 * 60_000);
});

test('registration with a real dev-IdP ID token (code + PKCE) creates user and devices', async () => {
  const { idToken, nonce } = await devLogin(server.url, 'carol');
  const claims = decodeJwt(idToken);
  assert.equal(claims.nonce, nonce);
  assert.equal(claims.email, 'carol@acme.test');
  assert.deepEqual(claims.groups, ['parley-admins']);

  const first = await register(idToken, 77);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.ok(Value.Check(RegisterDeviceResponse, first.body));
  assert.equal(first.body.deviceId, 1);
  assert.equal(first.body.email, 'carol@acme.test');
  assert.equal(first.body.name, 'Carol Chen');
  assert.equal(first.body.orgAdmin, true);
  assert.match(first.body.credential, new RegExp(`^${first.body.userId}\\.1\\.[A-Za-z0-9_-]{43}$`));

  // Same (iss, sub) → same user, next device id.
  const second = await registerDevice(server.url, 'carol');
  assert.equal(second.userId, first.body.userId);
  assert.equal(second.deviceId, 2);
  // Accepts the email as username too; a non-admin gets orgAdmin false.
  const dave = await registerDevice(server.url, 'dave@acme.test');
  assert.equal(dave.orgAdmin, false);
  assert.notEqual(dave.userId, first.body.userId);

  const me = await api(server.url, 'GET', '/v1/devices/me', { auth: { authorization: `Bearer ${first.body.credential}` } });
  assert.equal(me.status, 200);
  assert.ok(Value.Check(WhoAmI, me.body));
  assert.deepEqual(me.body, {
    userId: first.body.userId, deviceId: 1, email: 'carol@acme.test', name: 'Carol Chen', issuer: server.issuer, orgAdmin: true,
  });
});

test('credentials: missing, malformed, or wrong secret → 401 JSON', async () => {
  const dev = await registerDevice(server.url, 'bob');
  const wrongSecret = `${dev.userId}.${dev.deviceId}.${randomBytes(32).toString('base64url')}`;
  for (const authorization of [undefined, 'Bearer nope', `Basic ${dev.credential}`, `Bearer ${wrongSecret}`,
    `Bearer ${dev.userId}.99.${dev.credential.split('.')[2]}`]) {
    const res = await api(server.url, 'GET', '/v1/devices/me', authorization ? { auth: { authorization } } : {});
    assert.equal(res.status, 401, String(authorization));
    assert.equal(res.error?.code, ErrorCode.unauthorized);
    assert.equal(typeof res.body.message, 'string');
  }
});

test('the dev IdP login page rejects unknown users with 400 and an error message', async () => {
  // Start an authorization request by hand and post an unknown username.
  const auth = new URL(`${server.issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: 'parley-desktop', response_type: 'code', scope: 'openid', redirect_uri: 'http://127.0.0.1:5555/callback',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 'st', nonce: 'n0n0n0n0',
  }).toString();
  const res = await fetch(auth, { redirect: 'manual' });
  assert.equal(res.status, 303);
  const location = new URL(res.headers.get('location')!, auth);
  const cookie = res.headers.getSetCookie().filter((c) => c.includes('path=/idp/interaction')).map((c) => c.split(';')[0]).join('; ');
  const page = await fetch(location, { headers: { cookie } });
  const html = await page.text();
  assert.match(html, /<label for="username">Username<\/label><input id="username" name="username" autocomplete="username"/);
  assert.match(html, /<button type="submit">Sign in<\/button>/);
  const login = await fetch(`${location.href}/login`, {
    method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=mallory',
  });
  assert.equal(login.status, 400);
  assert.match(await login.text(), /Unknown user/);
});

test('token attacks are rejected with 401 invalid_token and create no device', async (t) => {
  await t.test('wrong issuer: a token from another real dev IdP', async () => {
    const other = await startTestServer();
    try {
      const { idToken } = await devLogin(other.url, 'alice', { nonce: await getNonce(server.url) });
      assertInvalidToken(await register(idToken), /iss/);
    } finally {
      await other.cleanup();
    }
  });

  await t.test('wrong audience: this IdP, but a relay configured for another client id', async () => {
    const relay = await startTestServer({ issuer: server.issuer, clientId: 'some-other-app' });
    try {
      const { idToken } = await devLogin(server.url, 'alice', { nonce: await getNonce(relay.url) });
      const res = await api(relay.url, 'POST', '/v1/devices', { body: { idToken, registrationId: 1, name: 'x', lifecycleKey: lifecycleKeyPair().publicKey } });
      assertInvalidToken(res, /aud/);
    } finally {
      await relay.cleanup();
    }
  });

  await t.test('expired (server clock moved past exp)', async () => {
    const { idToken } = await devLogin(server.url, 'alice');
    const exp = decodeJwt(idToken).exp!;
    skewMs = (exp * 1000 - Date.now()) + 60_000;
    try {
      assertInvalidToken(await register(idToken), /exp/);
    } finally {
      skewMs = 0;
    }
  });

  const forged = async (header: Record<string, unknown>, sign: (jwt: SignJWT) => Promise<string>) => {
    const nonce = await getNonce(server.url);
    const jwt = new SignJWT({ nonce, email: 'alice@acme.test', name: 'Alice Archer' })
      .setProtectedHeader(header as { alg: string }).setIssuer(server.issuer).setAudience('parley-desktop')
      .setSubject('6f1c1f1e-3b7a-4a51-9a61-0d1a11ce0001').setIssuedAt().setExpirationTime('5m');
    return sign(jwt);
  };

  await t.test('alg none', async () => {
    const nonce = await getNonce(server.url);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
      iss: server.issuer, aud: 'parley-desktop', sub: '6f1c1f1e-3b7a-4a51-9a61-0d1a11ce0001', iat: now, exp: now + 300, nonce,
    })}.`;
    assertInvalidToken(await register(token));
  });

  await t.test('HS256 with a guessable secret', async () => {
    const token = await forged({ alg: 'HS256' }, (j) => j.sign(new TextEncoder().encode('parley-desktop')));
    assertInvalidToken(await register(token), /alg/);
  });

  await t.test('unknown kid (a key the issuer never published)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await forged({ alg: 'RS256', kid: 'attacker-key' }, (j) => j.sign(privateKey));
    assertInvalidToken(await register(token));
  });

  await t.test('a real token whose nonce the server never issued', async () => {
    const { idToken } = await devLogin(server.url, 'alice', { nonce: randomBytes(24).toString('base64url') });
    assert.equal(decodeProtectedHeader(idToken).alg, 'RS256');
    assertInvalidToken(await register(idToken), /nonce/);
  });

  await t.test('a nonce reused (token replay)', async () => {
    const { idToken } = await devLogin(server.url, 'dave');
    const ok = await register(idToken);
    assert.equal(ok.status, 200);
    assertInvalidToken(await register(idToken), /nonce/);
  });

  await t.test('garbage token', async () => {
    assertInvalidToken(await register('not-a-jwt-at-all'));
  });

  // None of the above created a device for alice: her first real registration gets device 1.
  const alice = await registerDevice(server.url, 'alice');
  assert.equal(alice.deviceId, 1);
});
