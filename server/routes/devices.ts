// Registration: an ID token carrying a server-issued nonce (or, from the device grant, a fresh nonce-less
// token, accepted once) buys a device credential.
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import {
  DeviceRemoved, OwnDevice, OwnDeviceList, OwnDeviceParams, UpdateOwnDeviceRequest,
} from '../../common/wire/devices.ts';
import {
  LIMITS, NoQuery, RegisterDeviceRequest, RegisterDeviceResponse, RegistrationNonce, WhoAmI,
} from '../../common/wire/schemas.ts';
import { admitRegistrationToken, authOf, formatCredential, hashSecret, newSecret } from '../auth.ts';
import { ApiError, unauthorized, unknownDevice } from '../errors.ts';
import { decodeEd25519PublicKey } from '../lease-key.ts';
import { AccountDeactivatedError } from '../store/types.ts';
import { resolveIdentity } from '../identity/link.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';
import { rateLimited } from '../limits/limiter.ts';
import { cleanName } from '../text.ts';
import { orgAdminState } from '../identity/admin.ts';
import { claimRoutes } from './claims.ts';
import { applyLifecycleAction } from './admin.ts';
import type { DeviceRecord } from '../store/types.ts';

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

  // Unauthenticated, and each nonce is a stored row (finding 10): limited per client address, and at most
  // caps.pendingNonces outstanding (expired ones are swept first).
  app.post('/v1/devices/nonce', {
    onRequest: async (req) => ctx.limits.of('nonceByIp').consume(req.ip, 'sign-in attempts from this address'),
    schema: { querystring: NoQuery, response: replies({ 200: RegistrationNonce }) },
  }, async (): Promise<RegistrationNonce> => {
    const nonce = randomBytes(24).toString('base64url');
    const now = ctx.now();
    const expiresAt = now + NONCE_TTL_MS;
    if (!(await ctx.store.registration.createNonce(nonce, expiresAt, { now, max: ctx.limits.caps.pendingNonces }))) {
      throw rateLimited('sign-ins under way', 60_000);
    }
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
    const deviceName = cleanName(req.body.name, 'The device name', LIMITS.deviceNameChars);
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
      // The device and its audit entry commit together.
      device = await ctx.store.transaction(async () => {
        const now = ctx.now();
        const created = await ctx.store.devices.create(
          {
            userId: user.userId, registrationId: req.body.registrationId, name: deviceName, credentialHash: hashSecret(secret), lifecycleKey,
            ...(req.body.platform ? { platform: req.body.platform } : {}),
          },
          now,
        );
        await ctx.store.audit.append({
          at: now, actor: { userId: user.userId, email: user.email }, action: 'device registered',
          target: { userId: user.userId, email: user.email, deviceId: created.deviceId }, reason: '', outcome: 'registered',
          details: { name: created.name, platform: created.platform ?? '' },
        });
        return created;
      });
    } catch (err) {
      if (err instanceof AccountDeactivatedError) throw accountDeactivated();
      throw err;
    }
    req.log.info({ userId: user.userId, deviceId: device.deviceId }, 'device registered');
    return {
      userId: user.userId, deviceId: device.deviceId, credential: formatCredential(user.userId, device.deviceId, secret),
      email: user.email, name: user.name, orgAdmin: (await orgAdminState(ctx, user)) !== 'no',
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
      userId, deviceId, email: user.email, name: user.name, issuer: user.issuer, orgAdmin: (await orgAdminState(ctx, user)) !== 'no',
    };
  });

  claimRoutes(app, ctx, { linkClaim });

  ownDeviceRoutes(app, ctx);
}

const ownView = (d: DeviceRecord, current: number): OwnDevice => ({
  deviceId: d.deviceId, name: d.name, platform: d.platform ?? '', state: d.state === 'wipe-pending' ? 'wipe-pending' : 'active',
  createdAt: d.createdAt, lastSeen: d.lastSeen, current: d.deviceId === current,
});

/**
 * A person's own devices: list them, rename this one, remove another, sign this one out. Removing and signing
 * out revoke the device exactly as an admin would (audited, queue purged, socket closed); the actor is the owner.
 */
function ownDeviceRoutes(app: App, ctx: AppContext): void {
  const authed = { onRequest: ctx.authenticate };

  app.get('/v1/devices', {
    ...authed, schema: { querystring: NoQuery, response: replies({ 200: OwnDeviceList }) },
  }, async (req): Promise<OwnDeviceList> => {
    const { userId, deviceId } = authOf(req);
    const devices = await ctx.store.devices.list(userId);
    return { devices: devices.filter((d) => d.state === 'active' || d.state === 'wipe-pending').map((d) => ownView(d, deviceId)) };
  });

  app.patch('/v1/devices/me', {
    ...authed, schema: { querystring: NoQuery, body: UpdateOwnDeviceRequest, response: replies({ 200: OwnDevice }) },
  }, async (req): Promise<OwnDevice> => {
    const { userId, deviceId } = authOf(req);
    // Blank keeps the name; anything else follows the rules of every listed name (server/text.ts).
    const name = req.body.name === undefined || req.body.name.trim() === '' ? undefined : cleanName(req.body.name, 'The device name', LIMITS.deviceNameChars);
    const device = await ctx.store.devices.describe(userId, deviceId, {
      ...(name ? { name } : {}), ...(req.body.platform !== undefined ? { platform: req.body.platform } : {}),
    });
    if (!device) throw unauthorized('This device is no longer registered.');
    return ownView(device, deviceId);
  });

  async function revokeOwn(req: FastifyRequest, target: number, reason: string): Promise<DeviceRemoved> {
    const { userId } = authOf(req);
    const user = await ctx.store.users.get(userId);
    if (!user) throw unauthorized('The user of this credential no longer exists.');
    const device = await ctx.store.devices.get(userId, target);
    if (!device || (device.state !== 'active' && device.state !== 'wipe-pending')) {
      throw unknownDevice(`You have no device ${target} that could be removed.`);
    }
    const res = await applyLifecycleAction(ctx, req.log, {
      action: 'revoke', user, devices: [device], actor: { userId, email: user.email }, reason,
    });
    return { deviceId: target, auditId: res.auditId };
  }

  app.delete('/v1/devices/me', {
    ...authed, schema: { querystring: NoQuery, response: replies({ 200: DeviceRemoved }) },
  }, (req) => revokeOwn(req, authOf(req).deviceId, 'signed out on this device'));

  app.delete('/v1/devices/:deviceId', {
    ...authed, schema: { querystring: NoQuery, params: OwnDeviceParams, response: replies({ 200: DeviceRemoved }) },
  }, (req) => {
    const me = authOf(req).deviceId;
    const deviceId = Number((req.params as { deviceId: string }).deviceId);
    return revokeOwn(req, deviceId, deviceId === me ? 'signed out on this device' : `removed by its owner from device ${me}`);
  });
}
