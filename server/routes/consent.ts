// Consent on record (issue #14): who accepted which version of the messaging policy, when, from which device.
// GET/POST /v1/consent for the person; GET /v1/admin/consent for org admins. Until the current version is accepted
// the relay refuses sending and fetching messages (403 consent_required; ctx.workplace.requireConsentOf).
import { NoQuery } from '../../common/wire/schemas.ts';
import { AcceptConsentRequest, AdminConsentList, ConsentStatus, type AdminConsentEntry } from '../../common/wire/workplace.ts';
import { authOf } from '../auth.ts';
import { ApiError, forbidden, unknownUser } from '../errors.ts';
import type { App, AppContext } from '../context.ts';
import { orgAdminState } from '../identity/admin.ts';
import { replies } from '../responses.ts';

export function consentRoutes(app: App, ctx: AppContext): void {
  const status = async (userId: string): Promise<ConsentStatus> => {
    const { version } = ctx.workplace.policy;
    const c = await ctx.store.workplace.consent(userId, version);
    return {
      version, accepted: c !== undefined, required: ctx.workplace.requireConsent,
      ...(c ? { acceptedAt: c.acceptedAt, deviceId: c.deviceId } : {}),
    };
  };

  app.get('/v1/consent', { onRequest: ctx.authenticate, schema: { querystring: NoQuery, response: replies({ 200: ConsentStatus }) } },
    async (req) => status(authOf(req).userId));

  app.post('/v1/consent', {
    onRequest: ctx.authenticate, schema: { querystring: NoQuery, body: AcceptConsentRequest, response: replies({ 200: ConsentStatus }) },
  }, async (req) => {
    const me = authOf(req);
    const user = await ctx.store.users.get(me.userId);
    if (!user) throw unknownUser();
    await ctx.workplace.accept(user, me.deviceId, req.body.version);
    return status(me.userId);
  });

  app.get('/v1/admin/consent', {
    onRequest: [ctx.authenticate, async (req) => {
      const user = await ctx.store.users.get(authOf(req).userId);
      const state = user ? await orgAdminState(ctx, user) : 'no';
      if (state === 'stale') throw new ApiError('admin_reauth_required');
      if (state !== 'admin') throw forbidden();
    }],
    schema: { querystring: NoQuery, response: replies({ 200: AdminConsentList }) },
  }, async (): Promise<AdminConsentList> => {
    const { version } = ctx.workplace.policy;
    const latest = await ctx.store.workplace.latestConsents();
    const users: AdminConsentEntry[] = [];
    for (const { user } of await ctx.store.users.listWithDevices()) {
      // The current version's record if there is one (a later re-accept of an older file's version does not hide it).
      const c = (await ctx.store.workplace.consent(user.userId, version)) ?? latest.get(user.userId);
      users.push({
        userId: user.userId, email: user.email, name: user.name, version: c?.version ?? null, acceptedAt: c?.acceptedAt ?? null,
        deviceId: c?.deviceId ?? null, current: c?.version === version,
      });
    }
    return { version, users: users.sort((a, b) => a.email.localeCompare(b.email)) };
  });
}
