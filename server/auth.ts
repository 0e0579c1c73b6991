// Device credentials (`<userId>.<deviceId>.<secret>`, stored only as sha256(secret)) and
// verification of the identity provider's ID tokens.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { FastifyRequest } from 'fastify';
import { ApiError, deviceRefused, unauthorized } from './errors.ts';
import type { DeviceRecord, ServerStore } from './store/types.ts';

const CREDENTIAL = /^(u_[A-Za-z0-9_-]{22})\.([1-9][0-9]{0,6})\.([A-Za-z0-9_-]{43})$/;

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** 32 random bytes → 43 base64url chars. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function formatCredential(userId: string, deviceId: number, secret: string): string {
  return `${userId}.${deviceId}.${secret}`;
}

interface AuthContext { userId: string; deviceId: number; device: DeviceRecord }

const authByRequest = new WeakMap<FastifyRequest, AuthContext>();

/** The authenticated device of a request that went through `authenticate`. */
export function authOf(req: FastifyRequest): AuthContext {
  const auth = authByRequest.get(req);
  if (!auth) throw unauthorized();
  return auth;
}

/** How often lastSeen is written at most, so that every request does not become a write. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** Devices whose verified credential is remembered at most (a few MiB); beyond, the oldest entry goes. */
export const CREDENTIAL_CACHE_SIZE = 50_000;

/**
 * Verified credentials of active devices, so that a request costs a hash instead of a database read. An entry
 * holds the sha256 of the secret (as the store does), never the secret; a presented credential still has to hash
 * to it. `forget` is called on every state change away from 'active' (applyLifecycleAction → DeliveryHub.evict:
 * revoke, wipe, SCIM deactivation), and `epoch` makes a lookup that raced with such a change not cache what it read.
 * Only for a store this process alone writes (SQLite): with PostgreSQL another node may revoke a device unseen.
 */
export class CredentialCache {
  readonly #entries = new Map<string, DeviceRecord>();
  #epoch = 0;

  constructor(private readonly max = CREDENTIAL_CACHE_SIZE) {}

  get epoch(): number { return this.#epoch; }

  get(userId: string, deviceId: number): DeviceRecord | undefined {
    return this.#entries.get(`${userId}/${deviceId}`);
  }

  /** Remembers an active device read at `epoch`, unless a change was announced since. */
  put(device: DeviceRecord, epoch: number): void {
    if (epoch !== this.#epoch || device.state !== 'active') return;
    const k = `${device.userId}/${device.deviceId}`;
    this.#entries.delete(k);
    if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(k, device);
  }

  /** The device's state changed (or may have): its next request reads the store again. */
  forget(userId: string, deviceId: number): void {
    this.#epoch++;
    this.#entries.delete(`${userId}/${deviceId}`);
  }

  get size(): number { return this.#entries.size; }
}

/**
 * Verifies a credential string (`<userId>.<deviceId>.<secret>`): the active device it names, else 401 (wrong or
 * unknown) or 403 (the device is no longer active). Shared by the HTTP hook below and anything else that is
 * handed a credential.
 */
export async function verifyCredential(
  store: ServerStore, credential: string, now: () => number, cache?: CredentialCache,
): Promise<AuthContext> {
  const parts = CREDENTIAL.exec(credential);
  if (!parts) throw unauthorized();
  const [, userId, deviceIdText, secret] = parts as unknown as [string, string, string, string];
  const deviceId = Number(deviceIdText);
  const presented = hashSecret(secret);
  const cached = cache?.get(userId, deviceId);
  if (cached && timingSafeEqual(Buffer.from(cached.credentialHash), presented)) return touched(store, cached, now);
  const epoch = cache?.epoch ?? 0;
  const device = await store.devices.get(userId, deviceId);
  // Hash even when the device is unknown so that timing does not reveal which devices exist.
  const expected = device ? Buffer.from(device.credentialHash) : Buffer.alloc(presented.length);
  if (!device || expected.length !== presented.length || !timingSafeEqual(expected, presented)) throw unauthorized();
  // Only after the secret matched, so that strangers learn nothing about a device's state.
  if (device.state !== 'active') throw deviceRefused(device.state);
  cache?.put(device, epoch);
  return touched(store, device, now);
}

async function touched(store: ServerStore, device: DeviceRecord, now: () => number): Promise<AuthContext> {
  const t = now();
  if (t - device.lastSeen > LAST_SEEN_RESOLUTION_MS) {
    device.lastSeen = t; // the cached record too, so that the next minute's requests do not write again
    await store.devices.touch(device.userId, device.deviceId, t);
  }
  return { userId: device.userId, deviceId: device.deviceId, device };
}

/** An onRequest hook: runs before the body is parsed, so unauthenticated callers get 401 whatever they send. */
export function authenticator(store: ServerStore, now: () => number, cache?: CredentialCache) {
  return async function authenticate(req: FastifyRequest): Promise<void> {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!match) throw unauthorized();
    authByRequest.set(req, await verifyCredential(store, match[1]!, now, cache));
  };
}

const ALLOWED_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const CLOCK_TOLERANCE_S = 30;
/** How old (by `iat`) an ID token without a nonce claim may be when it is presented for registration. */
const NONCELESS_MAX_AGE_S = 5 * 60;

interface VerifiedIdToken extends JWTPayload { sub: string; iss: string; iat: number; exp: number; nonce?: string }

const invalidToken = (message: string) => new ApiError('invalid_token', message);

/** Verifies ID tokens against the issuer's JWKS found through OIDC discovery (fetched once, then cached by jose). */
export class IdTokenVerifier {
  #jwks: Promise<JWTVerifyGetKey> | undefined;

  constructor(readonly issuer: string, readonly clientId: string, private readonly now: () => number) {}

  #keys(): Promise<JWTVerifyGetKey> {
    this.#jwks ??= this.#discover().catch((err: unknown) => {
      this.#jwks = undefined; // retry discovery on the next registration
      throw err;
    });
    return this.#jwks;
  }

  async #discover(): Promise<JWTVerifyGetKey> {
    const url = `${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (err) {
      throw new ApiError('idp_unavailable', `The identity provider's discovery document could not be fetched (${(err as Error).message}).`);
    }
    if (doc.issuer !== this.issuer || typeof doc.jwks_uri !== 'string') {
      throw new ApiError('idp_unavailable', 'The identity provider published an unexpected discovery document.');
    }
    return createRemoteJWKSet(new URL(doc.jwks_uri));
  }

  async verify(token: string): Promise<VerifiedIdToken> {
    // Cheap pre-check with a clearer message than the signature failure a foreign token would cause.
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw invalidToken('The ID token is not a well-formed JWT.');
    }
    if (claims.iss !== this.issuer) throw invalidToken('unexpected iss claim value');
    const keys = await this.#keys();
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: this.issuer,
        audience: this.clientId,
        algorithms: ALLOWED_ALGS,
        currentDate: new Date(this.now()),
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      if (typeof payload.sub !== 'string') throw invalidToken('missing sub claim');
      if (payload.nonce !== undefined && typeof payload.nonce !== 'string') throw invalidToken('malformed nonce claim');
      return payload as VerifiedIdToken;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (err instanceof joseErrors.JOSEError && !(err instanceof joseErrors.JWKSTimeout)) throw invalidToken(err.message);
      throw new ApiError('idp_unavailable', "The identity provider's keys could not be fetched.");
    }
  }
}

/**
 * Registration rule: a verified ID token (signature via the JWKS from discovery, iss, aud, exp, alg
 * allowlist — IdTokenVerifier) buys one device credential, once, soon after sign-in:
 * - WITH a `nonce` claim (authorization code flow): the nonce must be one this server issued
 *   (POST /v1/devices/nonce) and not expired; it is consumed, so the token is single use.
 * - WITHOUT a `nonce` claim (device authorization grant, RFC 8628: IdPs do not put the nonce into those
 *   ID tokens): `iat` must be at most NONCELESS_MAX_AGE_S old and at most CLOCK_TOLERANCE_S in the future by
 *   the server clock, and the token is accepted only once: sha256 of its signed part (header.payload, so a
 *   re-encoded or re-signed — ECDSA is malleable — copy counts as the same token) is kept in the store until
 *   exp + CLOCK_TOLERANCE_S (as long as jwtVerify could still accept it), surviving restarts.
 */
export async function admitRegistrationToken(
  claims: VerifiedIdToken, token: string, store: ServerStore, now: number,
): Promise<void> {
  if (claims.nonce !== undefined) {
    if (!(await store.registration.consumeNonce(claims.nonce, now))) {
      throw invalidToken('The nonce claim was not issued by this server, has expired, or was already used.');
    }
    return;
  }
  const issuedAtMs = claims.iat * 1000;
  if (issuedAtMs > now + CLOCK_TOLERANCE_S * 1000) throw invalidToken('The ID token has no nonce and its iat is in the future.');
  if (now - issuedAtMs > NONCELESS_MAX_AGE_S * 1000) {
    throw invalidToken(`The ID token has no nonce and was issued more than ${NONCELESS_MAX_AGE_S / 60} minutes ago; sign in again.`);
  }
  const signedPart = createHash('sha256').update(token.slice(0, token.lastIndexOf('.'))).digest();
  if (!(await store.registration.useTokenOnce(signedPart, (claims.exp + CLOCK_TOLERANCE_S) * 1000, now))) {
    throw invalidToken('The ID token was already used to register a device; sign in again.');
  }
}
