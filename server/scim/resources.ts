// SCIM resources: how stored rows are represented, and how PUT and PATCH bodies become validated writes.
// PATCH goes through scim-patch, after the IdPs' quirks are normalized and every path is checked against the
// schema; the patched resource is then validated as strictly as a PUT body. All of it is synchronous, so the
// store can run it inside the request's single transaction (a refused request writes nothing).
import { scimPatch, ScimError as PatchLibError, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { SCIM_LIMITS, URN, type ScimGroup, type ScimUser } from '../../common/wire/scim.ts';
import type { ScimGroupRow, ScimGroupWrite, ScimUserRow, ScimUserWrite } from '../store/types.ts';
import { badRequest } from './errors.ts';
import { canonicalPath, conformResource, isUnknownExtension, type Kind } from './schema.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const iso = (ms: number) => new Date(ms).toISOString();

export function userResource(row: ScimUserRow, groups: Array<{ id: string; displayName: string }>, base: string): ScimUser {
  const { active: _active, ...attrs } = row.attrs;
  return {
    schemas: [URN.user, ...(attrs[URN.enterpriseUser] ? [URN.enterpriseUser] : [])],
    id: row.id,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    ...attrs,
    userName: row.userName,
    active: row.active,
    groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${base}/Groups/${g.id}` })),
    meta: { resourceType: 'User', created: iso(row.createdAt), lastModified: iso(row.updatedAt), location: `${base}/Users/${row.id}`, version: `W/"${row.version}"` },
  };
}

export function groupResource(row: ScimGroupRow, display: Map<string, string>, base: string): ScimGroup {
  return {
    schemas: [URN.group],
    id: row.id,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    displayName: row.displayName,
    members: row.members.map((m) => ({ value: m, ...(display.has(m) ? { display: display.get(m)! } : {}), $ref: `${base}/Users/${m}`, type: 'User' as const })),
    meta: { resourceType: 'Group', created: iso(row.createdAt), lastModified: iso(row.updatedAt), location: `${base}/Groups/${row.id}`, version: `W/"${row.version}"` },
  };
}

/** `attributes` / `excludedAttributes` (RFC 7644 §3.9) on top-level attributes; id, schemas and meta always stay. */
export function project<T extends Record<string, unknown>>(resource: T, attributes?: string, excluded?: string): Partial<T> {
  const names = (s: string) => s.split(',').map((a) => a.trim().toLowerCase())
    .map((a) => a.replace(/^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/, '').split('.')[0]!).filter(Boolean);
  const always = new Set(['id', 'schemas', 'meta']);
  const out: Record<string, unknown> = {};
  const keep = attributes ? new Set(names(attributes)) : null;
  const drop = excluded ? new Set(names(excluded)) : new Set<string>();
  for (const [k, v] of Object.entries(resource)) {
    const lower = k.toLowerCase();
    if (always.has(lower) || (keep ? keep.has(lower) : !drop.has(lower))) out[k] = v;
  }
  return out as Partial<T>;
}

// ---- writes ----

/** The members of a Group body as SCIM user ids. */
function memberIds(attrs: Record<string, unknown>): string[] {
  const members = (attrs.members ?? []) as Array<Record<string, unknown>>;
  if (members.length > SCIM_LIMITS.maxMembers) throw badRequest('tooMany', `A group may have at most ${SCIM_LIMITS.maxMembers} members.`);
  return members.map((m, i) => {
    if (typeof m.value !== 'string' || m.value === '') throw badRequest('invalidValue', `"members[${i}].value" is required.`);
    return m.value;
  });
}

/**
 * The externalId of a user who registered is their link to the sign-in identity: it may be set while unknown,
 * or to the value the person presented, but never re-pointed at somebody else (e.g. an IdP matching a recycled
 * userName): that would hand one person's account to another.
 */
function checkExternalId(current: ScimUserRow | null, externalId: string | null): void {
  if (!current || current.userId === null || externalId === null || externalId === current.externalId) return;
  const anchor = current.externalId ?? current.linkValue;
  if (anchor !== null && externalId !== anchor) {
    throw badRequest('mutability', 'externalId of a user who has signed in cannot be changed to a different identity; provision a new user instead.');
  }
}

export function userWrite(body: unknown, current: ScimUserRow | null): ScimUserWrite {
  const { attrs, externalId } = conformResource('User', body);
  // PUT without `active` keeps the current state; POST defaults to active.
  if (attrs.active === undefined) attrs.active = current ? current.active : true;
  checkExternalId(current, externalId);
  return { attrs, externalId };
}

export function groupWrite(body: unknown): ScimGroupWrite {
  const { attrs, externalId } = conformResource('Group', body);
  return { displayName: String(attrs.displayName), externalId, members: memberIds(attrs) };
}

const OPS = new Set(['add', 'remove', 'replace']);

/**
 * Validates a PatchOp body and irons out what Entra ID and Okta actually send: `op` in any letter case, path-less
 * add/replace whose value object holds attribute paths as keys ("name.givenName", `emails[type eq "work"].value`,
 * the enterprise URN), an `id` inside such a value (read-only: ignored), and member removal by value objects that
 * carry more than the id. Every path is checked against the schema.
 */
export function normalizePatch(kind: Kind, body: unknown): ScimPatchOperation[] {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'The PATCH body must be a JSON object.');
  let schemas: unknown;
  let operations: unknown;
  for (const [k, v] of Object.entries(body)) {
    if (k.toLowerCase() === 'schemas') schemas = v;
    else if (k.toLowerCase() === 'operations') operations = v;
    else throw badRequest('invalidSyntax', `Unknown attribute "${k}" in a PatchOp.`);
  }
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN.patchOp.toLowerCase())) {
    throw badRequest('invalidSyntax', `"schemas" must contain "${URN.patchOp}".`);
  }
  if (!Array.isArray(operations) || operations.length === 0) throw badRequest('invalidSyntax', '"Operations" must be a non-empty array.');
  if (operations.length > SCIM_LIMITS.maxOperations) throw badRequest('tooMany', `At most ${SCIM_LIMITS.maxOperations} operations per request.`);

  const out: ScimPatchOperation[] = [];
  operations.forEach((raw: unknown, i) => {
    if (!isObject(raw)) throw badRequest('invalidSyntax', `Operations[${i}] must be an object.`);
    let op: unknown, path: unknown, value: unknown;
    let hasValue = false;
    for (const [k, v] of Object.entries(raw)) {
      switch (k.toLowerCase()) {
        case 'op': op = v; break;
        case 'path': path = v; break;
        case 'value': value = v; hasValue = true; break;
        default: throw badRequest('invalidSyntax', `Unknown attribute "${k}" in Operations[${i}].`);
      }
    }
    if (typeof op !== 'string' || !OPS.has(op.toLowerCase())) throw badRequest('invalidSyntax', `Operations[${i}].op must be add, remove or replace.`);
    const name = op.toLowerCase() as 'add' | 'remove' | 'replace';
    if (path !== undefined && path !== null && typeof path !== 'string') throw badRequest('invalidPath', `Operations[${i}].path must be a string.`);
    if (typeof path === 'string' && path.trim() !== '') {
      if (isUnknownExtension(kind, path.trim())) return; // an extension we do not store: nothing to change
      const p = canonicalPath(kind, path.trim());
      if (name !== 'remove' && !hasValue) throw badRequest('invalidSyntax', `Operations[${i}] needs a value.`);
      if (name === 'remove' && p === 'members' && hasValue) {
        // Entra: {op:"Remove", path:"members", value:[{value:"id"}]}: match members by id only.
        if (!Array.isArray(value)) throw badRequest('invalidValue', `Operations[${i}].value must be an array of members.`);
        out.push({ op: 'remove', path: 'members', value: value.map((m: unknown) => ({ value: isObject(m) ? m.value : m })) });
        return;
      }
      if (name === 'remove') out.push({ op: 'remove', path: p });
      else out.push({ op: name, path: p, value });
      return;
    }
    if (name === 'remove') throw badRequest('noTarget', `Operations[${i}]: remove needs a path.`);
    if (!isObject(value)) throw badRequest('invalidValue', `Operations[${i}]: without a path, value must be an object of attributes.`);
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const lower = k.toLowerCase();
      if (lower === 'id' || lower === 'meta' || lower === 'schemas') continue; // read-only (Entra sends the group id)
      if (isUnknownExtension(kind, k)) continue; // an extension we do not store
      if (kind === 'User' && lower === URN.enterpriseUser.toLowerCase()) {
        if (!isObject(v)) throw badRequest('invalidValue', `"${URN.enterpriseUser}" must be an object.`);
        for (const [sub, sv] of Object.entries(v)) out.push({ op: name, path: canonicalPath(kind, `${URN.enterpriseUser}:${sub}`), value: sv });
        continue;
      }
      const p = canonicalPath(kind, k);
      if (/[.[:]/.test(p)) out.push({ op: name, path: p, value: v });
      else plain[p] = v;
    }
    if (Object.keys(plain).length > 0) out.push({ op: name, value: plain });
  });
  return out;
}

type PatchDoc = ScimResource & Record<string, unknown>;

function applyPatch(doc: PatchDoc, ops: ScimPatchOperation[]): Record<string, unknown> {
  try {
    return scimPatch(doc, ops, { mutateDocument: false, treatMissingAsAdd: true });
  } catch (err) {
    if (err instanceof PatchLibError) {
      const code = err.scimCode === 'noTarget' || err.scimCode === 'invalidPath' || err.scimCode === 'invalidValue' ? err.scimCode : 'invalidValue';
      throw badRequest(code, err.message || 'The PATCH could not be applied.');
    }
    throw badRequest('invalidValue', 'The PATCH could not be applied to this resource.');
  }
}

const meta = (row: { createdAt: number; updatedAt: number }) => ({ created: new Date(row.createdAt), lastModified: new Date(row.updatedAt) });

export function patchedUserWrite(current: ScimUserRow, ops: ScimPatchOperation[]): ScimUserWrite {
  const doc: PatchDoc = {
    schemas: [URN.user], ...(current.externalId !== null ? { externalId: current.externalId } : {}),
    ...structuredClone(current.attrs), userName: current.userName, active: current.active, meta: meta(current),
  };
  const patched = applyPatch(doc, ops);
  const { meta: _m, schemas: _s, ...rest } = patched;
  const body = { schemas: [URN.user, ...(rest[URN.enterpriseUser] !== undefined ? [URN.enterpriseUser] : [])], ...rest };
  const { attrs, externalId } = conformResource('User', body);
  if (attrs.active === undefined) attrs.active = true; // `remove active` = unassigned = default
  checkExternalId(current, externalId);
  return { attrs, externalId };
}

export function patchedGroupWrite(current: ScimGroupRow, ops: ScimPatchOperation[]): ScimGroupWrite {
  const doc: PatchDoc = {
    schemas: [URN.group], ...(current.externalId !== null ? { externalId: current.externalId } : {}),
    displayName: current.displayName, members: current.members.map((value) => ({ value })), meta: meta(current),
  };
  const patched = applyPatch(doc, ops);
  const { meta: _m, ...rest } = patched;
  const write = groupWrite({ ...rest, schemas: [URN.group] });
  return { ...write, members: [...new Set(write.members)] };
}
