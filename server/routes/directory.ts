// The organisation directory: who is here and which devices they have.
//   POST /v1/directory/lookup {email}   POST /v1/directory/search {q}   GET /v1/users/:userId
// Lookups go in request bodies, which are never logged, so no email or name lands in an access log (ours or a
// proxy's). The GET forms (?email=, ?q=) still answer, for desktops not yet updated; the server log shows their
// query values redacted (server/logging.ts). They are due to answer 410 in a later release.
import {
  DirectoryEntry, DirectoryLookupQuery, DirectoryLookupRequest, DirectorySearchQuery, DirectorySearchRequest, DirectorySearchResult, LIMITS, NoQuery,
  UserIdParams,
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

  async function lookup(email: string): Promise<DirectoryEntry> {
    let user = await ctx.store.users.findByEmail(email);
    if (!user) {
      await admit(email, true);
      user = await ctx.store.users.findByEmail(email);
    }
    if (!user) throw unknownUser();
    return entry(user);
  }

  async function search(q: string): Promise<{ results: DirectoryEntry[] }> {
    await admit(q, false);
    const users = await ctx.store.users.search(q, LIMITS.searchResults);
    return { results: await Promise.all(users.map(entry)) };
  }

  app.post('/v1/directory/lookup', {
    ...auth, schema: { querystring: NoQuery, body: DirectoryLookupRequest, response: replies({ 200: DirectoryEntry }) },
  }, (req) => lookup(req.body.email));
  app.post('/v1/directory/search', {
    ...auth, schema: { querystring: NoQuery, body: DirectorySearchRequest, response: replies({ 200: DirectorySearchResult }) },
  }, (req) => search(req.body.q));

  // Deprecated (query strings end up in access logs): for clients not yet updated.
  app.get('/v1/directory', { ...auth, schema: { querystring: DirectoryLookupQuery, response: replies({ 200: DirectoryEntry }) } }, (req) => lookup(req.query.email));
  app.get('/v1/directory/search', {
    ...auth, schema: { querystring: DirectorySearchQuery, response: replies({ 200: DirectorySearchResult }) },
  }, (req) => search(req.query.q));

  app.get('/v1/users/:userId', {
    ...auth, schema: { params: UserIdParams, querystring: NoQuery, response: replies({ 200: DirectoryEntry }) },
  }, async (req) => {
    const user = await ctx.store.users.get(req.params.userId);
    if (!user) throw unknownUser();
    return entry(user);
  });
}
