// The organisation directory: who is here and which devices they have.
import {
  DirectoryEntry, DirectoryLookupQuery, DirectorySearchQuery, DirectorySearchResult, LIMITS, NoQuery, UserIdParams,
} from '../../common/wire/schemas.ts';
import { unknownUser } from '../errors.ts';
import { admitPending } from '../identity/pending.ts';
import type { UserRecord } from '../store/types.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';

export function directoryRoutes(app: App, ctx: AppContext): void {
  const auth = { onRequest: ctx.authenticate };

  const entry = async (u: UserRecord): Promise<DirectoryEntry> => ({
    userId: u.userId, email: u.email, name: u.name,
    devices: (await ctx.store.devices.active(u.userId)).map((d) => ({
      deviceId: d.deviceId, registrationId: d.registrationId, identityKey: Buffer.from(d.identityKey).toString('base64'),
    })),
    // Off work now: the sender is told before sending that the message will wait (server/workplace/).
    ...await ctx.workplace.availability(u.userId).then((availability) => (availability ? { availability } : {})),
  });

  // People not signed in yet are in the directory too (provisioned, or the dev IdP's demo users): identity/pending.ts.
  const admit = (query: string, exact: boolean) => admitPending(ctx.store, query, {
    devIssuer: ctx.devIdp ? ctx.identity?.issuer : undefined, exact, limit: LIMITS.searchResults, now: ctx.now(),
  });

  app.get('/v1/directory', { ...auth, schema: { querystring: DirectoryLookupQuery, response: replies({ 200: DirectoryEntry }) } }, async (req) => {
    let user = await ctx.store.users.findByEmail(req.query.email);
    if (!user) {
      await admit(req.query.email, true);
      user = await ctx.store.users.findByEmail(req.query.email);
    }
    if (!user) throw unknownUser();
    return entry(user);
  });

  app.get('/v1/directory/search', { ...auth, schema: { querystring: DirectorySearchQuery, response: replies({ 200: DirectorySearchResult }) } }, async (req) => {
    await admit(req.query.q, false);
    const users = await ctx.store.users.search(req.query.q, LIMITS.searchResults);
    return { results: await Promise.all(users.map(entry)) };
  });

  app.get('/v1/users/:userId', {
    ...auth, schema: { params: UserIdParams, querystring: NoQuery, response: replies({ 200: DirectoryEntry }) },
  }, async (req) => {
    const user = await ctx.store.users.get(req.params.userId);
    if (!user) throw unknownUser();
    return entry(user);
  });
}
