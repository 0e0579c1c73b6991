// Test helpers: a real server in a temp dir, and a self-contained HTTP driver for the dev IdP's
// authorization-code + PKCE login (the sequence documented at the top of server/dev-idp.ts).
import { after, before } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  allowInsecureRequests, authorizationCodeGrant, buildAuthorizationUrl, calculatePKCECodeChallenge, discovery, None,
  randomPKCECodeVerifier, randomState,
} from 'openid-client';
import { startServer, type RunningServer, type ServerOptions } from '../../server/app.ts';
import type { RegisterDeviceResponse } from '../../common/wire/schemas.ts';
import { parseErrorBody, type ParsedError } from '../../common/errors.ts';
import { x25519KeyPair, xeddsaSign } from '../../crypto/native-curve.ts';

export const CLIENT_ID = 'parley-desktop';

/** The `parley-server` command as installed (server/cli/parley-server.js). */
export const SERVER_LAUNCHER = fileURLToPath(new URL('../../server/cli/parley-server.js', import.meta.url));

/** Runs `parley-server ARGS` to its end: its exit status and everything it printed. */
export function runServerCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_LAUNCHER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export interface TestServer extends RunningServer { dataDir: string; cleanup(): Promise<void> }

/** Starts a dev-IdP server on an ephemeral port in a fresh temp dir (or `dataDir` to reuse one). */
export async function startTestServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? await mkdtemp(join(tmpdir(), 'parley-server-test-'));
  const external = opts.issuer !== undefined;
  const server = await startServer({ port: 0, logger: false, ...(external ? {} : { devIdp: true }), ...opts, dataDir });
  return {
    ...server,
    dataDir,
    async cleanup() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A server clock (ServerOptions.now) that never returns the same millisecond twice: each change the server
 * stamps is later than the one before, so tests that depend on that order need no sleeps.
 */
export function strictlyIncreasingClock(): () => number {
  let last = 0;
  return () => (last = Math.max(Date.now(), last + 1));
}

/** A minimal cookie jar: name=value per Path, enough for oidc-provider's cookies. */
export class CookieJar {
  readonly #cookies = new Map<string, { value: string; path: string }>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attrs.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()));
      const key = `${name}\u0000${path}`;
      if (expired || value === '') this.#cookies.delete(key);
      else this.#cookies.set(key, { value, path });
    }
  }

  header(url: URL): string {
    return [...this.#cookies.entries()]
      .filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map(([k, c]) => `${k.split('\u0000')[0]}=${c.value}`)
      .join('; ');
  }
}

export async function getNonce(serverUrl: string): Promise<string> {
  const res = await fetch(`${serverUrl}/v1/devices/nonce`, { method: 'POST' });
  if (!res.ok) throw new Error(`nonce: HTTP ${res.status}`);
  return ((await res.json()) as { nonce: string }).nonce;
}

/**
 * Signs `username` in at the dev IdP of `serverUrl` through the real code + PKCE flow, driving the
 * login page over plain HTTP. The ID token is bound to `nonce` (by default a fresh one from the server).
 */
export async function devLogin(
  serverUrl: string, username: string, opts: { nonce?: string; redirectPort?: number } = {},
): Promise<{ idToken: string; nonce: string }> {
  const nonce = opts.nonce ?? await getNonce(serverUrl);
  const issuer = new URL(`${serverUrl}/idp`);
  const config = await discovery(issuer, CLIENT_ID, undefined, None(), { execute: [allowInsecureRequests] });
  // Loopback redirect on an arbitrary port (RFC 8252): nothing needs to listen there, we stop at the Location.
  const redirectUri = `http://127.0.0.1:${opts.redirectPort ?? 40000 + Math.floor(Math.random() * 20000)}/callback`;
  const verifier = randomPKCECodeVerifier();
  const state = randomState();
  const authUrl = buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid profile email groups', state, nonce,
    code_challenge: await calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });

  const jar = new CookieJar();
  const request = async (url: URL, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const cookie = jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(res);
    return res;
  };

  let url = authUrl;
  for (let hop = 0; hop < 10; hop++) {
    const res = await request(url);
    if (res.status === 200 && url.pathname.includes('/interaction/')) {
      // The login page: post the username to the form's action.
      const html = await res.text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
      if (!action) throw new Error('devLogin: login form not found');
      const login = await request(new URL(action.replace(/&amp;/g, '&'), url), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username }).toString(),
      });
      if (login.status !== 303) throw new Error(`devLogin: login failed with HTTP ${login.status}`);
      url = new URL(login.headers.get('location')!, url);
      continue;
    }
    if (res.status < 300 || res.status >= 400) throw new Error(`devLogin: unexpected HTTP ${res.status} at ${url.pathname}`);
    await res.body?.cancel();
    const next = new URL(res.headers.get('location')!, url);
    if (next.href.startsWith(redirectUri)) {
      const tokens = await authorizationCodeGrant(config, next, {
        pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce,
      });
      if (!tokens.id_token) throw new Error('devLogin: no id_token');
      return { idToken: tokens.id_token, nonce };
    }
    url = next;
  }
  throw new Error('devLogin: too many redirects');
}

/** A device's Ed25519 lifecycle key pair: `publicKey` is the raw 32 bytes in base64 (RegisterDeviceRequest.lifecycleKey). */
export interface LifecycleKeyPair { publicKey: string; privateKey: KeyObject; sign(text: string): string }

export function lifecycleKeyPair(): LifecycleKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x!;
  return {
    publicKey: Buffer.from(x, 'base64url').toString('base64'),
    privateKey,
    sign: (text) => sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64'),
  };
}

export interface Registered extends RegisterDeviceResponse {
  auth: { authorization: string };
  registrationId: number;
  /** The device's lifecycle key pair (signs status checks and wipe receipts). */
  lifecycle: LifecycleKeyPair;
}

export async function registerDevice(
  serverUrl: string, username: string, opts: { registrationId?: number; name?: string } = {},
): Promise<Registered> {
  const { idToken } = await devLogin(serverUrl, username);
  const registrationId = opts.registrationId ?? 1 + Math.floor(Math.random() * 16000);
  const lifecycle = lifecycleKeyPair();
  const res = await fetch(`${serverUrl}/v1/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ idToken, registrationId, name: opts.name ?? `${username}'s laptop`, lifecycleKey: lifecycle.publicKey }),
  });
  if (res.status !== 200) throw new Error(`register: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as RegisterDeviceResponse;
  return { ...body, registrationId, lifecycle, auth: { authorization: `Bearer ${body.credential}` } };
}

/** A syntactically valid libsignal-style public key (0x05 + 32 random bytes), base64. */
export const fakePublicKey = () => Buffer.concat([Buffer.from([5]), randomBytes(32)]).toString('base64');
/** 64 random bytes: a signature that verifies with nothing. */
export const fakeSignature = () => randomBytes(64).toString('base64');

/** A device's Curve25519 identity key pair: `publicKey` as the wire has it (0x05 + 32 bytes, base64). */
export interface TestIdentity { publicKey: string; privateKey: Uint8Array }

export function testIdentity(): TestIdentity {
  const { pubKey, privKey } = x25519KeyPair(randomBytes(32));
  return { publicKey: Buffer.concat([Buffer.from([5]), pubKey]).toString('base64'), privateKey: privKey };
}

/** A signed prekey signed by `identity` (XEdDSA over the serialized public key, as libsignal signs it). */
export function signedPreKey(identity: TestIdentity, keyId = 1) {
  const publicKey = fakePublicKey();
  return { keyId, publicKey, signature: xeddsaSign(identity.privateKey, Buffer.from(publicKey, 'base64')).toString('base64') };
}

export function keyUpload(preKeyIds: number[], identity: TestIdentity = testIdentity()) {
  return {
    identityKey: identity.publicKey,
    signedPreKey: signedPreKey(identity),
    preKeys: preKeyIds.map((keyId) => ({ keyId, publicKey: fakePublicKey() })),
  };
}

/**
 * JSON request helper returning status and parsed body. An error answer is read by the client's own parser
 * (common/errors.ts) into `error`, and must be an ErrorBody: anything else fails the test here.
 */
export async function api(
  serverUrl: string, method: string, path: string, opts: { auth?: { authorization: string }; body?: unknown; raw?: string } = {},
): Promise<{ status: number; body: any; error?: ParsedError }> {
  const headers: Record<string, string> = { ...opts.auth };
  let body: string | undefined;
  if (opts.raw !== undefined) { body = opts.raw; headers['content-type'] = 'application/json'; }
  else if (opts.body !== undefined) { body = JSON.stringify(opts.body); headers['content-type'] = 'application/json'; }
  const res = await fetch(`${serverUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  if (res.status < 400) return { status: res.status, body: parsed };
  const error = parseErrorBody(res.status, text, `${method} ${path}`);
  if (error.code === 'http_error') throw new Error(`${method} ${path}: HTTP ${res.status} without an ErrorBody: ${text.slice(0, 300)}`);
  return { status: res.status, body: parsed, error };
}

/** Registers a device and publishes keys so it becomes active. */
export async function activeDevice(serverUrl: string, username: string, preKeyIds: number[] = [1, 2, 3]): Promise<Registered> {
  const dev = await registerDevice(serverUrl, username);
  const res = await api(serverUrl, 'PUT', '/v1/keys', { auth: dev.auth, body: keyUpload(preKeyIds) });
  if (res.status !== 200) throw new Error(`keys: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return dev;
}

export interface AliceAndBob { server: TestServer; alice: Registered; bob: Registered }

/**
 * The usual set-up of a server test file: a test server with alice and bob (one active device each), made
 * before the file's tests and removed after them. Read the fields inside tests (they are set by `before`).
 */
export function withAliceAndBob(): AliceAndBob {
  const w = {} as AliceAndBob;
  before(async () => {
    w.server = await startTestServer();
    w.alice = await activeDevice(w.server.url, 'alice');
    w.bob = await activeDevice(w.server.url, 'bob');
  });
  after(async () => { await w.server?.cleanup(); });
  return w;
}
