// Identity linking: which Parley user a signed-in person is, and what the directory shows of them. Policy on
// top of store primitives (server/store/types.ts), so a PostgreSQL store implements only the primitives.
//
// A person presents an ID token: (issuer, sub) plus a link claim (ScimOptions linkClaim: `sub` by default,
// Entra ID's `oid`) whose value may equal a SCIM user's externalId.
//   - A live SCIM user with that externalId IS the person: refused if inactive; linked to the user of
//     (issuer, sub) if they signed in before being provisioned (their just-in-time SCIM row is retired, unless
//     it is itself a provisioned row with another externalId: identity_conflict), or to a new user.
//     Their directory entry follows the SCIM attributes.
//   - Otherwise the user of (issuer, sub), refused if SCIM deactivated or deleted them; a provisioned row keeps
//     its attributes, an unmanaged one is refreshed from the claims.
//   - Otherwise a new user just in time, with an unmanaged SCIM row mirroring the claims.
// A recycled email never links anything: only (issuer, sub) and the link claim do. (The directory lookup by
// email picks the most recently updated active user: UserStore.findByEmail.)
import type { NewUser, ScimUserRow, ServerStore, UserRecord } from '../store/types.ts';

type IdentityResolution =
  | { ok: true; user: UserRecord; scimId: string }
  | { ok: false; reason: 'deactivated' | 'identity_conflict' };

/** What a SCIM user shows in the Parley directory: the primary (else first) email or userName, and a display name. */
export function directoryView(attrs: Record<string, unknown>): { email: string; name: string } {
  const userName = String(attrs.userName ?? '');
  const emails = Array.isArray(attrs.emails) ? attrs.emails as Array<{ value?: unknown; primary?: unknown }> : [];
  const email = emails.find((e) => e.primary === true && typeof e.value === 'string')?.value
    ?? emails.find((e) => typeof e.value === 'string')?.value ?? userName;
  const n = (attrs.name ?? {}) as { formatted?: unknown; givenName?: unknown; familyName?: unknown };
  const composed = [n.givenName, n.familyName].filter((x): x is string => typeof x === 'string' && x !== '').join(' ');
  const name = [attrs.displayName, n.formatted, composed].find((x): x is string => typeof x === 'string' && x.trim() !== '') ?? userName;
  return { email: String(email), name };
}

/** The SCIM attributes of a just-in-time user: its sign-in claims. */
function jitAttrs(u: NewUser): Record<string, unknown> {
  const userName = u.email || u.sub;
  return {
    userName, displayName: u.name || userName, active: true,
    emails: u.email ? [{ value: u.email, type: 'work', primary: true }] : [],
  };
}

/** Registration: resolves (and creates or links) the Parley user of these claims, in one transaction. */
export function resolveIdentity(store: ServerStore, u: NewUser, linkValue: string | undefined, now: number): Promise<IdentityResolution> {
  return store.transaction(async (): Promise<IdentityResolution> => {
    const bySub = await store.users.bySubject(u.issuer, u.sub);
    const linked = linkValue === undefined ? undefined : await store.scim.liveUserByExternalId(linkValue);
    const link = linkValue ?? null;
    if (linked) return linkProvisioned(store, u, linked, bySub, link, now);

    if (bySub) {
      const userId = bySub.userId;
      if (await store.users.isDeactivated(userId)) return { ok: false, reason: 'deactivated' };
      const row = await store.scim.liveUserOf(userId);
      let scimId: string;
      if (!row) {
        scimId = (await store.scim.createUnmanagedUser(userId, jitAttrs(u), link, now)).id;
      } else {
        scimId = row.id;
        if (row.managed) await store.scim.linkUser(row.id, userId, link, { onlyIfUnset: true });
        else await store.scim.refreshUnmanagedUser(row.id, jitAttrs(u), link, now);
      }
      const view = row?.managed ? directoryView(row.attrs) : { email: u.email, name: u.name };
      await store.users.setProfile(userId, { ...view, groups: u.groups }, now);
      return { ok: true, user: (await store.users.get(userId))!, scimId };
    }

    // Just in time: a new Parley user with an unmanaged SCIM row.
    const user = await store.users.create(u, now);
    const row = await store.scim.createUnmanagedUser(user.userId, jitAttrs(u), link, now);
    await auditUser(store, user, 'user created', 'just in time, at first sign-in', now);
    return { ok: true, user, scimId: row.id };
  });
}

/** The person is the provisioned SCIM user `linked` (its externalId equals their link claim). */
async function linkProvisioned(
  store: ServerStore, u: NewUser, linked: ScimUserRow, bySub: UserRecord | undefined, link: string | null, now: number,
): Promise<IdentityResolution> {
  if (!linked.active) return { ok: false, reason: 'deactivated' };
  let userId = linked.userId;
  if (userId === null) {
    if (bySub) {
      userId = bySub.userId;
      // The person signed in before being provisioned: the provisioned row replaces the just-in-time one.
      const other = await store.scim.liveUserOf(userId);
      if (other && other.id !== linked.id) {
        if (other.managed && other.externalId !== null) return { ok: false, reason: 'identity_conflict' };
        await store.scim.deleteUser(other.id, now);
      }
    } else {
      userId = (await store.users.create(u, now)).userId;
    }
  }
  await store.scim.linkUser(linked.id, userId, link);
  await store.users.setProfile(userId, { ...directoryView(linked.attrs), groups: u.groups }, now);
  const user = (await store.users.get(userId))!;
  if (linked.userId === null) await auditUser(store, user, 'user linked', `to provisioned SCIM user ${linked.id}`, now);
  return { ok: true, user, scimId: linked.id };
}

/** After a SCIM write of a linked user: their directory entry follows the SCIM attributes. */
export async function followScimUser(store: ServerStore, row: ScimUserRow, now: number): Promise<void> {
  if (row.userId === null || !row.managed) return;
  await store.users.setProfile(row.userId, directoryView(row.attrs), now);
}

/** The person's own first sign-in made or linked their account (inside the registration transaction). */
async function auditUser(store: ServerStore, user: UserRecord, action: 'user created' | 'user linked', outcome: string, now: number): Promise<void> {
  await store.audit.append({
    at: now, actor: { userId: user.userId, email: user.email }, action,
    target: { kind: 'user', userId: user.userId, email: user.email, deviceId: null }, reason: '', outcome,
  });
}
