// Registration: an ID token carrying a server-issued nonce (or, from the device grant, a fresh nonce-less
// token, accepted once) buys a device credential.
import { randomBytes } from 'node:crypto';
import {
  NoQuery, RegisterDeviceRequest, RegisterDeviceResponse, RegistrationNonce, WhoAmI,
} from '../../common/wire/schemas.ts';
import { admitRegistrationToken, authOf, formatCredential, hashSecret, newSecret } from '../auth.ts';
import { ApiError, unauthorized } from '../errors.ts';
import { decodeEd25519PublicKey } from '../lease-key.ts';
import { AccountDeactivatedError } from '../store/types.ts';
import { resolveIdentity } from '../identity/link.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';

const NONCE_TTL_MS = 10 * 60_000;

function stringClaim(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

const accountDeactivated = () =>
  new ApiError('account_deactivated');

/**
 * `linkClaim`: the ID-token claim whose value links a person to a SCIM-provisioned user with that externalId
 * (default `sub`; Entra ID deployments use `oid`). See server/identity/link.ts.
 */
export function deviceRoutes(app: App, ctx: AppContext, opts: { linkClaim?: string } = {}): void {
  const linkClaim = opts.linkClaim ?? 'sub';

  app.post('/v1/devices/nonce', { schema: { querystring: NoQuery, response: replies({ 200: RegistrationNonce }) } }, async (): Promise<RegistrationNonce> => {
    const nonce = randomBytes(24).toString('base64url');
    const expiresAt = ctx.now() + NONCE_TTL_MS;
    await ctx.store.registration.createNonce(nonce, expiresAt);
    return { nonce, expiresAt };
  });

  app.post('/v1/devices', {
    schema: { querystring: NoQuery, body: RegisterDeviceRequest, response: replies({ 200: RegisterDeviceResponse }) },
  }, async (req): Promise<RegisterDeviceResponse> => {
    const identity = ctx.identity;
    if (!identity) throw new ApiError('starting');
    // Checked before the token is consumed, so a client bug does not burn the user's sign-in.
    const lifecycleKey = decodeEd25519PublicKey(req.body.lifecycleKey);
    if (!lifecycleKey) throw new ApiError('invalid_key', 'lifecycleKey must be a raw 32-byte Ed25519 public key (base64).');
    const claims = await identity.verifier.verify(req.body.idToken);
    // Nonce (consumed) or, for nonce-less device-grant tokens, freshness + single use: see admitRegistrationToken.
    await admitRegistrationToken(claims, req.body.idToken, ctx.store, ctx.now());
    const email = stringClaim(claims.email) ?? '';
    const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : [];
    const resolved = await resolveIdentity(ctx.store, {
      issuer: claims.iss, sub: claims.sub, email,
      name: stringClaim(claims.name) ?? stringClaim(claims.preferred_username) ?? email,
      groups,
    }, stringClaim(claims[linkClaim]), ctx.now());
    if (!resolved.ok) {
      req.log.info({ sub: claims.sub, reason: resolved.reason }, 'registration refused');
      if (resolved.reason === 'deactivated') throw accountDeactivated();
      throw new ApiError('identity_conflict');
    }
    const { user } = resolved;
    const secret = newSecret();
    let device;
    try {
      device = await ctx.store.devices.create(
        { userId: user.userId, registrationId: req.body.registrationId, name: req.body.name, credentialHash: hashSecret(secret), lifecycleKey },
        ctx.now(),
      );
    } catch (err) {
      if (err instanceof AccountDeactivatedError) throw accountDeactivated();
      throw err;
    }
    req.log.info({ userId: user.userId, deviceId: device.deviceId }, 'device registered');
    return {
      userId: user.userId, deviceId: device.deviceId, credential: formatCredential(user.userId, device.deviceId, secret),
      email: user.email, name: user.name, orgAdmin: groups.includes(ctx.adminGroup),
      leasePublicKey: ctx.leaseKey.publicKey,
      offlineLockHours: ctx.offlinePolicy.offlineLockHours,
      offlineWipeDays: ctx.offlinePolicy.offlineWipeDays,
    };
  });

  app.get('/v1/devices/me', {
    schema: { querystring: NoQuery, response: replies({ 200: WhoAmI }) }, onRequest: ctx.authenticate,
  }, async (req): Promise<WhoAmI> => {
    const { userId, deviceId } = authOf(req);
    const user = await ctx.store.users.get(userId);
    if (!user) throw unauthorized('The user of this credential no longer exists.');
    return {
      userId, deviceId, email: user.email, name: user.name, issuer: user.issuer, orgAdmin: user.groups.includes(ctx.adminGroup),
    };
  });
}
