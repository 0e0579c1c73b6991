// The CLI's sign-in, the device authorization grant (RFC 8628), end to end over HTTP: the CLIENT's own
// signInWithDeviceCode (openid-client) against the real dev IdP, with a scripted "user" who opens the
// verification URI, types the user code, confirms it and signs in on the login page. Device-grant ID tokens
// carry no nonce (oidc-provider, Entra ID and Okta alike), so registration accepts them only fresh and once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { signInWithDeviceCode, type DeviceCodePrompt } from '../../electron/core/auth/oidc.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { api, CookieJar, devLogin, getNonce, lifecycleKeyPair, startTestServer, type TestServer } from './helpers.ts';
import { ErrorCode, type ParsedError } from '../../common/errors.ts';

let skewMs = 0;
let server: TestServer;
before(async () => { server = await startTestServer({ now: () => Date.now() + skewMs }); });
after(async () => { await server.cleanup(); });

const register = (serverUrl: string, idToken: string, registrationId = 42) =>
  api(serverUrl, 'POST', '/v1/devices', { body: { idToken, registrationId, name: 'cli', lifecycleKey: lifecycleKeyPair().publicKey } });

function assertInvalidToken(res: { status: number; body: any; error?: ParsedError }, messagePart: RegExp) {
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.error?.code, ErrorCode.invalid_token);
  assert.match(res.body.message, messagePart);
}

// ---- the "user": a browser reduced to fetch + cookies, reading the pages it is shown ----

interface Page { url: URL; status: number; html: string; title: string }

class User {
  readonly jar = new CookieJar();
  readonly titles: string[] = [];

  async #request(url: URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.jar.store(res);
    return res;
  }

  /** GETs `url` (or POSTs `form`), following redirects like a browser, and returns the page it ends on. */
  async open(url: URL, form?: Record<string, string>): Promise<Page> {
    let init: RequestInit = form ? {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(),
    } : {};
    for (let hop = 0; hop < 10; hop++) {
      const res = await this.#request(url, init);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        url = new URL(location, url);
        init = {};
        continue;
      }
      const html = await res.text();
      const title = /<h1>([^<]*)<\/h1>/.exec(html)?.[1] ?? '';
      this.titles.push(title);
      return { url, status: res.status, html, title };
    }
    throw new Error('user: too many redirects');
  }
}

/** The form `id` (or the first form) of a page: its absolute action and the values of its hidden inputs. */
function formOf(page: Page, id?: string): { action: URL; fields: Record<string, string> } {
  const forms = [...page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const match = forms.find(([, attrs]) => id === undefined || attr(attrs!, 'id') === id);
  if (!match) throw new Error(`user: no form ${id ?? ''} on "${page.title}" (${page.url.pathname})`);
  const fields: Record<string, string> = {};
  for (const [input] of match[2]!.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(input, 'name');
    if (name && attr(input, 'type') === 'hidden') fields[name] = attr(input, 'value') ?? '';
  }
  return { action: new URL(attr(match[1]!, 'action') ?? page.url.href, page.url), fields };
}

function attr(tag: string, name: string): string | undefined {
  const v = new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  return v?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

/** What a person does with the CLI's prompt: open the URI, type the code, confirm it, sign in. */
async function actAsUser(prompt: DeviceCodePrompt, username: string): Promise<User> {
  const user = new User();
  const input = await user.open(new URL(prompt.verificationUri));
  assert.equal(input.status, 200);
  assert.equal(input.title, 'Connect a device');
  const inputForm = formOf(input, 'op.deviceInputForm');
  const confirm = await user.open(inputForm.action, { ...inputForm.fields, user_code: prompt.userCode });
  assert.equal(confirm.status, 200, confirm.html);
  assert.equal(confirm.title, 'Confirm device');
  assert.ok(confirm.html.includes(prompt.userCode), 'the confirmation page shows the code');
  const confirmForm = formOf(confirm, 'op.deviceConfirmForm'); // "Continue"; "Abort" would add abort=yes
  const login = await user.open(confirmForm.action, confirmForm.fields);
  // The same Username / Sign in page as the browser login.
  assert.equal(login.status, 200, login.html);
  assert.equal(login.title, 'Sign in to Parley');
  assert.match(login.url.pathname, /^\/idp\/interaction\/[A-Za-z0-9_-]+$/);
  assert.match(login.html, /<label for="username">Username<\/label><input id="username" name="username"/);
  assert.match(login.html, /<button type="submit">Sign in<\/button>/);
  const done = await user.open(formOf(login).action, { username });
  assert.equal(done.status, 200, done.html);
  assert.equal(done.title, 'Signed in');
  return user;
}

/**
 * `parley login --device` as the CLI does it: target from /v1/config, nonce from the relay, then the client's
 * signInWithDeviceCode, with the user acting on the prompt while the client polls.
 */
async function deviceSignIn(serverUrl: string, username: string) {
  const config = await api(serverUrl, 'GET', '/v1/config');
  assert.equal(config.status, 200);
  const target = { issuer: config.body.issuer, clientId: config.body.clientId, scopes: config.body.scopes };
  const nonce = await getNonce(serverUrl);
  let prompt: DeviceCodePrompt | undefined;
  let user: Promise<User> | undefined;
  let userFailed!: (err: unknown) => void;
  const failure = new Promise<never>((_, reject) => { userFailed = reject; });
  const started = Date.now();
  const signIn = signInWithDeviceCode(target, nonce, (p) => {
    prompt = p;
    user = actAsUser(p, username);
    user.catch(userFailed);
  });
  // A failing user fails the test now, not after the client has polled until the device code expires.
  const idToken = await Promise.race([signIn, failure]);
  return { idToken, nonce, prompt: prompt!, user: await user!, ms: Date.now() - started };
}

test('device flow: the CLI signs in, registers once; the same token again → 401 already used', async () => {
  const { idToken, nonce, prompt, user, ms } = await deviceSignIn(server.url, 'alice');
  assert.equal(prompt.verificationUri, `${server.issuer}/device`);
  assert.equal(prompt.verificationUriComplete, `${server.issuer}/device?user_code=${encodeURIComponent(prompt.userCode)}`);
  assert.match(prompt.userCode, /^[A-Z]{4}-[A-Z]{4}$/);
  assert.equal(prompt.expiresIn, 600);
  assert.deepEqual(user.titles, ['Connect a device', 'Confirm device', 'Sign in to Parley', 'Signed in']);
  assert.ok(ms < 5000, `the dev IdP's 1 s polling interval keeps sign-in quick (${ms} ms)`);

  const claims = decodeJwt(idToken);
  assert.equal(claims.iss, server.issuer);
  assert.equal(claims.aud, 'parley-desktop');
  assert.equal(claims.email, 'alice@acme.test');
  assert.equal(claims.nonce, undefined, `the device grant's ID token has no nonce (sent ${nonce}), like real IdPs`);
  assert.ok(Math.abs(claims.iat! * 1000 - Date.now()) < 10_000);

  const first = await register(server.url, idToken);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.email, 'alice@acme.test');
  assert.equal(first.body.name, 'Alice Archer');
  const me = await api(server.url, 'GET', '/v1/devices/me', { auth: { authorization: `Bearer ${first.body.credential}` } });
  assert.equal(me.status, 200);
  assert.equal(me.body.deviceId, first.body.deviceId);

  assertInvalidToken(await register(server.url, idToken), /already used/);
  // A copy whose signature is spelled differently (a trailing padding bit of the base64url, which decoders
  // ignore) still verifies; it is the same token, because only the signed part header.payload is remembered.
  const [h, p, sig] = idToken.split('.') as [string, string, string];
  assert.equal(sig.length % 4, 2, 'RS256-2048: the last character carries 4 padding bits');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const reencoded = `${h}.${p}.${sig.slice(0, -1)}${alphabet[alphabet.indexOf(sig.at(-1)!) ^ 1]}`;
  assert.notEqual(reencoded, idToken);
  assertInvalidToken(await register(server.url, reencoded), /already used/);
});

test('a nonce-less token is refused when older than 5 minutes or from the future by the server clock', async () => {
  const { idToken } = await deviceSignIn(server.url, 'bob');
  try {
    skewMs = 6 * 60_000;
    assertInvalidToken(await register(server.url, idToken), /no nonce.*5 minutes/);
    skewMs = -2 * 60_000;
    assertInvalidToken(await register(server.url, idToken), /future/);
  } finally {
    skewMs = 0;
  }
  // The refusals did not use the token up: fresh, it registers (once).
  assert.equal((await register(server.url, idToken)).status, 200);
  assertInvalidToken(await register(server.url, idToken), /already used/);
});

test('tokens that carry a nonce keep the nonce rule: one the server did not issue → 401', async () => {
  const { idToken } = await devLogin(server.url, 'carol', { nonce: randomBytes(24).toString('base64url') });
  assertInvalidToken(await register(server.url, idToken), /nonce/);
  const issued = await devLogin(server.url, 'carol');
  assert.equal((await register(server.url, issued.idToken)).status, 200);
  assertInvalidToken(await register(server.url, issued.idToken), /nonce.*already used/);
});

test('single use holds under concurrent replays and across a relay restart', async () => {
  // A relay trusting this dev IdP as an external issuer, so it can restart without the IdP's keys changing.
  const relay = await startTestServer({ issuer: server.issuer, clientId: 'parley-desktop' });
  let restarted: TestServer | undefined;
  try {
    const { idToken } = await deviceSignIn(server.url, 'dave');
    const results = await Promise.all([1, 2, 3].map((id) => register(relay.url, idToken, id)));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 401, 401]);
    for (const r of results.filter((x) => x.status === 401)) assertInvalidToken(r, /already used/);
    await relay.close();
    restarted = await startTestServer({ issuer: server.issuer, clientId: 'parley-desktop', dataDir: relay.dataDir });
    assertInvalidToken(await register(restarted.url, idToken), /already used/);
  } finally {
    if (restarted) await restarted.cleanup();
    else await relay.cleanup();
  }
});

test('store: used-token records expire and are pruned', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-store-test-'));
  const store = new SqliteStore(dir);
  try {
    const a = createHash('sha256').update('a').digest();
    const b = createHash('sha256').update('b').digest();
    assert.equal(await store.registration.useTokenOnce(a, 1_000, 0), true);
    assert.equal(await store.registration.useTokenOnce(a, 1_000, 999), false);
    assert.equal(await store.registration.useTokenOnce(b, 5_000, 999), true);
    // At its expiry the record of `a` is swept, so the hash is free again (the token itself is expired by then).
    assert.equal(await store.registration.useTokenOnce(a, 9_000, 1_000), true);
    assert.equal(await store.registration.useTokenOnce(b, 5_000, 4_999), false);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
