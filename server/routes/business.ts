// Business tools (issue #15; wire: common/wire/business.ts, storage: store/*/business.ts):
//   GET  /v1/org/profile   GET /v1/org/logo   GET /v1/org/welcome            (every signed-in member)
//   PUT  /v1/admin/org/profile   PUT /v1/admin/org/welcome   GET /v1/admin/stats[?days=N]   (org admins)
//   PUT  /v1/me/away   DELETE /v1/me/away   GET /v1/users/:userId/away      (a user's published away status)
// Admin changes are audited ('org profile changed'). Statistics are counted here too, at relay time (stats.ts).
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import {
  AdminStats, AdminStatsQuery, AwayLookup, AwayParams, AwayStatus, BUSINESS_LIMITS, CompanyProfileResponse, SetCompanyProfile,
  SetWelcomeMessage, WelcomeMessage, type CompanyProfile,
} from '../../common/wire/business.ts';
import { NoQuery } from '../../common/wire/schemas.ts';
import { authOf } from '../auth.ts';
import { ApiError } from '../errors.ts';
import type { App, AppContext } from '../context.ts';
import { NoBody, replies } from '../responses.ts';
import { requireOrgAdmin } from '../identity/admin.ts';
import { checkMessage, checkProfile } from '../business/profile.ts';
import { DEFAULT_STATS_K, lastDays, StatsCounter, suppress } from '../business/stats.ts';
import type { CompanyProfileRecord } from '../store/types.ts';

/** The logo: bytes, not JSON (the declared schema accepts them; Fastify does not serialize a Buffer). */
const LogoBytes = Type.Unsafe<Uint8Array>({ description: 'the logo (image/png or image/jpeg)' });

const publicProfile = (p: CompanyProfileRecord): CompanyProfile => ({
  name: p.name, description: p.description, website: p.website, support: p.support, officeHours: p.officeHours,
  ...(p.logo ? { logo: { contentType: p.logo.contentType as 'image/png' | 'image/jpeg', bytes: p.logo.data.length, sha256: p.logo.sha256 } } : {}),
  updatedAt: p.updatedAt,
});

export function businessRoutes(app: App, ctx: AppContext, opts: { statsK?: number } = {}): { stats: StatsCounter } {
  const k = opts.statsK ?? DEFAULT_STATS_K;
  if (!Number.isInteger(k) || k < 1) throw new Error('startServer: statsK must be an integer of at least 1');
  const auth = { onRequest: ctx.authenticate };
  const admin = { onRequest: [ctx.authenticate, requireOrgAdmin(ctx)] };
  const actorOf = async (req: FastifyRequest) => {
    const { userId } = authOf(req);
    return { userId, email: (await ctx.store.users.get(userId))?.email ?? '' };
  };

  // ---- statistics, counted at relay time ----
  const stats = new StatsCounter(ctx.store.business, ctx.now, (err) => app.log.warn({ err }, 'could not write the daily statistics'));
  app.addHook('onResponse', async (req, reply) => {
    let who;
    try { who = authOf(req); } catch { return; }
    stats.active(who.userId, who.deviceId);
    if (req.method !== 'POST' || reply.statusCode !== 200) return;
    const url = req.routeOptions.url;
    if (url === '/v1/messages') stats.relayed();
    else if (url === '/v1/groups/:id/messages') stats.relayed((req.params as { id: string }).id);
  });
  // Sends over the delivery socket (server/socket-send.ts) have no HTTP response: counted here.
  ctx.sends.onSocketSend(({ userId, deviceId }) => { stats.active(userId, deviceId); stats.relayed(); });
  // Flushed by the server's own close sequence (server/app.ts), after the last send and before the store closes.

  app.get('/v1/admin/stats', { ...admin, schema: { querystring: AdminStatsQuery, response: replies({ 200: AdminStats }) } }, async (req): Promise<AdminStats> => {
    const n = req.query.days === undefined ? 30 : Number(req.query.days);
    if (n > BUSINESS_LIMITS.statsDays) throw new ApiError('invalid_request', `days may be at most ${BUSINESS_LIMITS.statsDays}.`);
    await stats.flush();
    const days = lastDays(ctx.now(), n);
    return { k, days: suppress(await ctx.store.business.daily(days[0]!, days.at(-1)!), days, k) };
  });

  // ---- company profile ----
  app.get('/v1/org/profile', { ...auth, schema: { querystring: NoQuery, response: replies({ 200: CompanyProfileResponse }) } }, async () => {
    const p = await ctx.store.business.profile();
    return { profile: p ? publicProfile(p) : null };
  });

  app.get('/v1/org/logo', { ...auth, schema: { querystring: NoQuery, response: replies({ 200: LogoBytes }) } }, async (_req, reply) => {
    const p = await ctx.store.business.profile();
    if (!p?.logo) throw new ApiError('not_found', 'The organization has no logo.');
    // The type the server sniffed at upload, never guessed again by a browser; no script may run in it.
    return reply
      .header('content-type', p.logo.contentType)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('content-disposition', 'inline; filename="logo"')
      .header('cache-control', 'private, no-cache')
      .send(Buffer.from(p.logo.data));
  });

  app.put('/v1/admin/org/profile', {
    ...admin, bodyLimit: Math.ceil(BUSINESS_LIMITS.logoBytes / 3) * 4 + 16 * 1024,
    schema: { querystring: NoQuery, body: SetCompanyProfile, response: replies({ 200: CompanyProfileResponse }) },
  }, async (req) => {
    const checked = checkProfile(req.body);
    const actor = await actorOf(req);
    const now = ctx.now();
    const saved = await ctx.store.transaction(async () => {
      const p = await ctx.store.business.setProfile({ ...checked, updatedAt: now, updatedBy: actor.userId });
      await ctx.store.audit.append({
        at: now, actor, action: 'org profile changed', target: { userId: '', email: '', deviceId: null }, reason: '', outcome: 'done',
        details: { part: 'company profile', name: p.name, logo: p.logo ? p.logo.sha256 : null },
      });
      return p;
    });
    return { profile: publicProfile(saved) };
  });

  // ---- welcome message ----
  app.get('/v1/org/welcome', { ...auth, schema: { querystring: NoQuery, response: replies({ 200: WelcomeMessage }) } }, async () => ctx.store.business.welcome());

  app.put('/v1/admin/org/welcome', { ...admin, schema: { querystring: NoQuery, body: SetWelcomeMessage, response: replies({ 200: WelcomeMessage }) } }, async (req) => {
    const text = checkMessage(req.body.text, 'The welcome message', BUSINESS_LIMITS.welcomeChars);
    const actor = await actorOf(req);
    const now = ctx.now();
    await ctx.store.transaction(async () => {
      await ctx.store.business.setWelcome(text, now);
      await ctx.store.audit.append({
        at: now, actor, action: 'org profile changed', target: { userId: '', email: '', deviceId: null }, reason: '', outcome: text === null ? 'cleared' : 'done',
        details: { part: 'welcome message', chars: text?.length ?? 0 },
      });
    });
    return { text, updatedAt: now };
  });

  // ---- away status: the server holds it only when the user publishes it ----
  app.put('/v1/me/away', { ...auth, schema: { querystring: NoQuery, body: AwayStatus, response: replies({ 204: NoBody }) } }, async (req, reply) => {
    const text = checkMessage(req.body.text, 'The away message', BUSINESS_LIMITS.awayChars);
    if (text === null) throw new ApiError('invalid_request', 'The away message has no visible character.');
    await ctx.store.business.setAway(authOf(req).userId, {
      text, until: req.body.until ?? null, outsideWorkingHours: req.body.outsideWorkingHours, updatedAt: ctx.now(),
    });
    return reply.code(204).send(null);
  });

  app.delete('/v1/me/away', { ...auth, schema: { querystring: NoQuery, response: replies({ 204: NoBody }) } }, async (req, reply) => {
    await ctx.store.business.clearAway(authOf(req).userId);
    return reply.code(204).send(null);
  });

  app.get('/v1/users/:userId/away', { ...auth, schema: { querystring: NoQuery, params: AwayParams, response: replies({ 200: AwayLookup }) } }, async (req): Promise<AwayLookup> => {
    const a = await ctx.store.business.away(req.params.userId);
    if (!a || (a.until !== null && ctx.now() >= a.until)) return { away: null };
    return { away: { text: a.text, ...(a.until !== null ? { until: a.until } : {}), outsideWorkingHours: a.outsideWorkingHours } };
  });

  return { stats };
}
