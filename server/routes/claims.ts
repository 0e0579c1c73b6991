// POST /v1/devices/me/claims: a signed-in device presents a fresh ID token of its own person to renew their
// profile and groups claim — what admin rights from the claim need every 12 hours (server/identity/admin.ts) —
// without registering a new device. The token is admitted exactly as at registration (a server nonce, or a
// fresh nonce-less token used once) and must resolve to the device's own user.
import { RefreshClaimsRequest, NoQuery, WhoAmI } from '../../common/wire/schemas.ts';
import { admitRegistrationToken, authOf } from '../auth.ts';
import { ApiError, forbidden, unauthorized } from '../errors.ts';
import { resolveIdentity } from '../identity/link.ts';
import { orgAdminState } from '../identity/admin.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';

const stringClaim = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

export function claimRoutes(app: App, ctx: AppContext, opts: { linkClaim: string }): void {
  app.post('/v1/devices/me/claims', {
    onRequest: ctx.authenticate,
    schema: { querystring: NoQuery, body: RefreshClaimsRequest, response: replies({ 200: WhoAmI }) },
  }, async (req): Promise<WhoAmI> => {
    const identity = ctx.identity;
    if (!identity) throw new ApiError('starting');
    const { userId, deviceId } = authOf(req);
    const claims = await identity.verifier.verify(req.body.idToken);
    // Whose token is it? Checked before the token is used up, so a wrong one costs nothing.
    const linkValue = stringClaim(claims[opts.linkClaim]);
    const bySub = await ctx.store.users.bySubject(claims.iss, claims.sub);
    const linked = linkValue === undefined ? undefined : await ctx.store.scim.liveUserByExternalId(linkValue);
    if (bySub?.userId !== userId && linked?.userId !== userId) throw forbidden('This ID token belongs to another person.');
    await admitRegistrationToken(claims, req.body.idToken, ctx.store, ctx.now());
    const email = stringClaim(claims.email) ?? '';
    const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : [];
    const resolved = await resolveIdentity(ctx.store, {
      issuer: claims.iss, sub: claims.sub, email, name: stringClaim(claims.name) ?? stringClaim(claims.preferred_username) ?? email, groups,
    }, linkValue, ctx.now());
    if (!resolved.ok || resolved.user.userId !== userId) throw forbidden('This sign-in no longer belongs to this account.');
    const user = await ctx.store.users.get(userId);
    if (!user) throw unauthorized('The user of this credential no longer exists.');
    req.log.info({ userId, deviceId }, 'claims renewed');
    return {
      userId, deviceId, email: user.email, name: user.name, issuer: user.issuer, orgAdmin: (await orgAdminState(ctx, user)) !== 'no',
    };
  });
}
