// People in the directory before their first sign-in. A message needs a Parley user to be addressed to (the
// sender's client keeps it as waiting until that user has a device), so a directory query that matches such a
// person gives them their user now, exactly as their sign-in would link them later:
//   - a SCIM-provisioned person (live, active, with an externalId, not yet linked): a user under the
//     PROVISIONED_ISSUER placeholder identity, linked to the SCIM row; at their first sign-in
//     resolveIdentity finds the row by the link claim and the person becomes that user (link.ts);
//   - with the dev IdP, its demo accounts: the user their first sign-in would create (resolveIdentity).
import { DEV_ACCOUNTS } from '../dev-idp.ts';
import type { ServerStore } from '../store/types.ts';
import { directoryView, resolveIdentity } from './link.ts';

/** The issuer of a user created for a provisioned person before they signed in (no IdP has it). */
export const PROVISIONED_ISSUER = 'urn:parley:scim-provisioned';

const matches = (query: string, ...fields: string[]) => {
  const q = query.trim().toLowerCase();
  return q !== '' && fields.some((f) => f.toLowerCase().includes(q));
};

/**
 * Gives every not-yet-signed-in person matching `query` (a search text, or an exact email with `exact`) their
 * Parley user, so the ordinary directory queries find them. `devIssuer`: the dev IdP's issuer, if it is on.
 */
export async function admitPending(
  store: ServerStore, query: string, opts: { devIssuer?: string; exact?: boolean; limit: number; now: number },
): Promise<void> {
  const hit = (email: string, name: string) =>
    opts.exact ? email.toLowerCase() === query.trim().toLowerCase() : matches(query, email, name);

  if (opts.devIssuer) {
    for (const a of DEV_ACCOUNTS.filter((x) => hit(x.email, x.name))) {
      if (await store.users.bySubject(opts.devIssuer, a.sub)) continue;
      // The dev IdP's link claim is `sub` (the default): a SCIM row with that externalId is linked as at sign-in.
      await resolveIdentity(store, { issuer: opts.devIssuer, sub: a.sub, email: a.email, name: a.name, groups: a.groups }, a.sub, opts.now);
    }
  }

  for (const row of await store.scim.unlinkedMatching(query.trim(), opts.limit)) {
    const view = directoryView(row.attrs);
    if (!hit(view.email, view.name)) continue;
    await store.transaction(async () => {
      // Another request may have linked it meanwhile (a search, or the person's own sign-in).
      const current = await store.scim.getUser(row.id);
      if (!current || current.userId !== null) return;
      const user = await store.users.create({ issuer: PROVISIONED_ISSUER, sub: row.id, ...view, groups: [] }, opts.now);
      await store.scim.linkUser(row.id, user.userId, null);
    });
  }
}
