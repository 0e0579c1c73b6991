// Who is an organization administrator (finding 10: rights used to come from the `groups` claim as of the last
// registration, so a demoted admin kept wipe power for as long as their device lived):
//   - when SCIM manages the admin group — a SCIM group whose displayName is the admin group exists — its
//     membership decides, read at every request: the IdP's next push of a removal ends the rights;
//   - otherwise the IdP `groups` claim decides, but only while it is fresh: taken from a sign-in (registration or
//     POST /v1/devices/me/claims) within ADMIN_CLAIM_MAX_AGE_MS. An older claim is 'stale': the person is told
//     to sign in again (403 admin_reauth_required), and a demotion in the IdP takes effect at that sign-in.
import type { FastifyRequest } from 'fastify';
import { authOf } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { ApiError, forbidden } from '../errors.ts';
import type { UserRecord } from '../store/types.ts';

export const ADMIN_CLAIM_MAX_AGE_MS = 12 * 3_600_000;

export type OrgAdminState = 'admin' | 'stale' | 'no';

/** A resolver for many users at once (the admin user list): the SCIM admin group is read once. */
export async function orgAdminResolver(ctx: AppContext): Promise<(user: UserRecord) => Promise<OrgAdminState>> {
  const { rows } = await ctx.store.scim.listGroups({ attr: 'displayName', value: ctx.adminGroup }, 0, 1);
  const scimAdmins = rows[0];
  const now = ctx.now();
  return async (user) => {
    if (scimAdmins) {
      const row = await ctx.store.scim.liveUserOf(user.userId);
      return row && scimAdmins.members.includes(row.id) ? 'admin' : 'no';
    }
    if (!user.groups.includes(ctx.adminGroup)) return 'no';
    return user.groupsAt !== undefined && now - user.groupsAt <= ADMIN_CLAIM_MAX_AGE_MS ? 'admin' : 'stale';
  };
}

export async function orgAdminState(ctx: AppContext, user: UserRecord): Promise<OrgAdminState> {
  return (await orgAdminResolver(ctx))(user);
}

/** An onRequest hook (run like authentication, so that non-admins get 403 whatever they send): an org admin
 *  passes, a stale admin claim is told to sign in again, anyone else is forbidden. */
export function requireOrgAdmin(ctx: AppContext): (req: FastifyRequest) => Promise<void> {
  return async (req) => {
    const user = await ctx.store.users.get(authOf(req).userId);
    const state = user ? await orgAdminState(ctx, user) : 'no';
    if (state === 'stale') throw new ApiError('admin_reauth_required');
    if (state !== 'admin') throw forbidden();
  };
}
