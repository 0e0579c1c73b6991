// SCIM 2.0 service provider (RFC 7643/7644) under /scim/v2, for Microsoft Entra ID and Okta provisioning:
//   GET/POST /Users   GET/PUT/PATCH/DELETE /Users/:id   GET/POST /Groups   GET/PUT/PATCH/DELETE /Groups/:id
//   GET /ServiceProviderConfig   GET /ResourceTypes[/:id]   GET /Schemas[/:id]
// Mounted only when a bearer token is configured (otherwise everything here is 404). Every answer is
// application/scim+json; every failure is a SCIM error. Each write is one store transaction, validated in full
// before anything is written. Deactivating (active=false) or deleting a user who registered devices wipes
// them all through the admin wipe path (audit actor "scim", reason "account deactivated") and removes them from
// every Parley group; Parley groups linked to a SCIM group follow its membership (server/groups/directory.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TSchema } from 'typebox';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  SCIM_CONTENT_TYPE, SCIM_LIMITS, ScimDiscoveryDocument, ScimError as ScimErrorBody, ScimGroupResponse, ScimListResponse, ScimUserResponse, URN,
} from '../../common/wire/scim.ts';
import { LIMITS } from '../../common/wire/schemas.ts';
import { ScimStoreError, type AuditAction, type ScimGroupRow, type ScimUserRow, type ScimUserWrite } from '../store/types.ts';
import { directoryView, followScimUser } from '../identity/link.ts';
import { ScimError, badRequest, conflict, notFound } from '../scim/errors.ts';
import { parseListFilter } from '../scim/filter.ts';
import { schemaDocuments } from '../scim/schema.ts';
import {
  groupResource, groupWrite, normalizePatch, patchedGroupWrite, patchedUserWrite, project, userResource, userWrite,
} from '../scim/resources.ts';
import { applyLifecycleAction } from './admin.ts';
import { removeLeaverFromGroups, syncScimGroup, unlinkScimGroup } from '../groups/directory.ts';
import type { App, AppContext } from '../context.ts';
import { NoBody } from '../responses.ts';

const SCIM_PREFIX = '/scim/v2';
const CONTENT_TYPE = `${SCIM_CONTENT_TYPE}; charset=utf-8`;
/** Audit actor of SCIM deprovisioning, and the wipe reason a device is shown. */
const SCIM_ACTOR = { userId: null, email: 'scim' } as const;
const DEACTIVATION_REASON = 'account deactivated';

export interface ScimOptions {
  token: string;
  /** Externally visible base URL (for meta.location); derived from the request otherwise. */
  publicUrl?: string;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Maps anything thrown under /scim/v2 to a SCIM error. */
function toScimError(err: FastifyError | Error): ScimError {
  if (err instanceof ScimError) return err;
  if (err instanceof ScimStoreError) return err.kind === 'uniqueness' ? conflict(err.message) : badRequest('invalidValue', err.message);
  const e = err as FastifyError;
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('invalidSyntax', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ScimError(413, undefined, `The request body exceeds ${LIMITS.bodyBytes} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ScimError(415, undefined, `Send the request body as ${SCIM_CONTENT_TYPE} or application/json.`);
  }
  if (e instanceof SyntaxError) return badRequest('invalidSyntax', 'The request body is not valid JSON.');
  if (e.validation) return badRequest('invalidValue', `Invalid request: ${e.message}.`);
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) return new ScimError(status, undefined, e.message || 'The request was not understood.');
  return new ScimError(500, undefined, 'The server failed to handle this request.');
}

/** Response schemas of a SCIM route: its bodies by status, and the SCIM error shape for every failure. */
const scimReplies = <T extends Record<number, TSchema>>(bodies: T) => ({ schema: { response: { ...bodies, '4xx': ScimErrorBody, '5xx': ScimErrorBody } } });
const Discovery = scimReplies({ 200: ScimDiscoveryDocument });
const DiscoveryList = scimReplies({ 200: ScimListResponse(ScimDiscoveryDocument) });
const OneUser = scimReplies({ 200: ScimUserResponse });
const OneGroup = scimReplies({ 200: ScimGroupResponse });
const Deleted = scimReplies({ 204: NoBody });

/** Display names of SCIM users from their attributes (for group member lists). */
const displayNames = (attrs: Map<string, Record<string, unknown>>) =>
  new Map([...attrs].map(([id, a]) => [id, directoryView(a).name]));

function paging(query: Record<string, unknown>): { offset: number; limit: number; startIndex: number } {
  const int = (name: string, fallback: number): number => {
    const v = query[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !/^-?[0-9]{1,9}$/.test(v)) throw badRequest('invalidValue', `"${name}" must be an integer.`);
    return Number(v);
  };
  // RFC 7644 §3.4.2.4: startIndex < 1 means 1; a negative count means 0.
  const startIndex = Math.max(1, int('startIndex', 1));
  const limit = Math.min(SCIM_LIMITS.maxResults, Math.max(0, int('count', SCIM_LIMITS.maxResults)));
  return { offset: startIndex - 1, limit, startIndex };
}

function stringParam(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest('invalidValue', `"${name}" may be given once.`);
  return v;
}

export function scimRoutes(app: App, ctx: AppContext, opts: ScimOptions): void {
  const expected = sha256(opts.token);

  void app.register(async (scope: FastifyInstance) => {
    const base = (req: FastifyRequest) => `${(opts.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/$/, '')}${SCIM_PREFIX}`;

    // Both media types; an empty body (DELETE with a Content-Type header, as some clients send) is no body.
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(['application/json', SCIM_CONTENT_TYPE], { parseAs: 'string' }, (req, body, done) => {
      if (typeof body === 'string' && body.trim() === '') { done(null, undefined); return; }
      json(req, body as string, done);
    });

    scope.setErrorHandler((err: FastifyError, req, reply) => {
      const e = toScimError(err);
      if (e.status >= 500) req.log.error({ err }, 'SCIM request failed');
      if (e.status === 401) void reply.header('www-authenticate', 'Bearer realm="scim"');
      void reply.code(e.status).type(CONTENT_TYPE).send(e.body());
    });
    scope.setNotFoundHandler((req, reply) => {
      void reply.code(404).type(CONTENT_TYPE).send(new ScimError(404, undefined, `There is no ${req.method} ${req.url.split('?')[0]} endpoint.`).body());
    });

    // Bearer token, compared in constant time (hashes of equal length), before the body is read.
    scope.addHook('onRequest', async (req, reply) => {
      const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
      const presented = sha256(m?.[1] ?? '');
      if (!(timingSafeEqual(presented, expected) && m)) throw new ScimError(401, undefined, 'A valid SCIM bearer token is required.');
      void reply.type(CONTENT_TYPE);
    });

    const query = (req: FastifyRequest) => req.query as Record<string, unknown>;
    const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type(CONTENT_TYPE).send(body);

    // ---- discovery ----

    scope.get('/ServiceProviderConfig', Discovery, async (req) => ({
      schemas: [URN.serviceProviderConfig],
      documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: SCIM_LIMITS.maxResults },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      authenticationSchemes: [{
        type: 'oauthbearertoken', name: 'OAuth Bearer Token', primary: true,
        description: 'The token configured with --scim-token (PARLEY_SCIM_TOKEN), sent as Authorization: Bearer <token>.',
      }],
      meta: { resourceType: 'ServiceProviderConfig', location: `${base(req)}/ServiceProviderConfig` },
    }));

    const resourceTypes = (req: FastifyRequest) => [
      {
        schemas: [URN.resourceType], id: 'User', name: 'User', endpoint: '/Users', description: 'User Account', schema: URN.user,
        schemaExtensions: [{ schema: URN.enterpriseUser, required: false }],
        meta: { resourceType: 'ResourceType', location: `${base(req)}/ResourceTypes/User` },
      },
      {
        schemas: [URN.resourceType], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: URN.group,
        meta: { resourceType: 'ResourceType', location: `${base(req)}/ResourceTypes/Group` },
      },
    ];
    const list = (resources: unknown[]) => ({
      schemas: [URN.listResponse], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources,
    });
    scope.get('/ResourceTypes', DiscoveryList, async (req) => list(resourceTypes(req)));
    scope.get<{ Params: { id: string } }>('/ResourceTypes/:id', Discovery, async (req) => {
      const t = resourceTypes(req).find((r) => r.id === req.params.id);
      if (!t) throw notFound('ResourceType', req.params.id);
      return t;
    });
    scope.get('/Schemas', DiscoveryList, async (req) => list(schemaDocuments(base(req))));
    scope.get<{ Params: { id: string } }>('/Schemas/:id', Discovery, async (req) => {
      const s = schemaDocuments(base(req)).find((d) => d.id === req.params.id);
      if (!s) throw notFound('Schema', req.params.id);
      return s;
    });

    // ---- Users ----

    const renderUser = async (req: FastifyRequest, row: ScimUserRow) =>
      project(userResource(row, await ctx.store.scim.groupsOf(row.id), base(req)), stringParam(query(req), 'attributes'), stringParam(query(req), 'excludedAttributes'));

    // Every SCIM write is audited in its own transaction (actor "scim"); ids and names only, never tokens.
    const auditUser = (action: AuditAction, row: ScimUserRow, now: number) => ctx.store.audit.append({
      at: now, actor: { ...SCIM_ACTOR }, action,
      target: { kind: 'scim-user', id: row.id, userId: row.userId ?? '', email: directoryView(row.attrs).email, deviceId: null },
      reason: '', outcome: row.active ? 'active' : 'inactive',
      details: { userName: row.userName, externalId: row.externalId, active: row.active },
    });
    const auditGroup = (action: AuditAction, row: Pick<ScimGroupRow, 'id' | 'displayName' | 'externalId' | 'members'>, now: number) => ctx.store.audit.append({
      at: now, actor: { ...SCIM_ACTOR }, action,
      target: { kind: 'scim-group', id: row.id, userId: '', email: '', deviceId: null }, reason: '', outcome: 'done',
      details: { displayName: row.displayName, externalId: row.externalId, members: row.members.length },
    });

    /** A SCIM write of a user; a linked Parley user's directory entry follows it in the same transaction. */
    const updateUser = (id: string, update: (current: ScimUserRow) => ScimUserWrite) => ctx.store.transaction(async () => {
      const now = ctx.now();
      let before: ScimUserRow | undefined;
      const row = await ctx.store.scim.updateUser(id, (current) => { before = current; return update(current); }, now);
      if (row) {
        await followScimUser(ctx.store, row, now);
        // Directories re-send unchanged users every sync cycle: only a change is an act worth an entry.
        const same = (r: ScimUserRow) => JSON.stringify([r.attrs, r.externalId, r.active, r.managed]);
        if (!before || same(before) !== same(row)) await auditUser(before?.active && !row.active ? 'scim user deactivated' : 'scim user updated', row, now);
      }
      return row;
    });

    /** A deactivated or deleted user who registered devices: wipe every device not already wiped or being wiped. */
    async function enforce(log: FastifyBaseLogger, row: ScimUserRow, deleted: boolean): Promise<void> {
      if (row.userId === null || (row.active && !deleted)) return;
      const user = await ctx.store.users.get(row.userId);
      if (!user) return;
      await removeLeaverFromGroups(ctx, log, user.userId);
      const devices = (await ctx.store.devices.list(user.userId)).filter((d) => d.state === 'active' || d.state === 'revoked');
      if (devices.length === 0) return;
      await applyLifecycleAction(ctx, log, { action: 'wipe', user, devices, actor: { ...SCIM_ACTOR }, reason: DEACTIVATION_REASON });
    }

    scope.get('/Users', scimReplies({ 200: ScimListResponse(ScimUserResponse) }), async (req) => {
      const q = query(req);
      const filter = parseListFilter('User', stringParam(q, 'filter'));
      const { offset, limit, startIndex } = paging(q);
      const { total, rows } = await ctx.store.scim.listUsers(filter as Parameters<typeof ctx.store.scim.listUsers>[0], offset, limit);
      const resources = [];
      for (const row of rows) resources.push(await renderUser(req, row));
      return { schemas: [URN.listResponse], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
    });

    scope.get<{ Params: { id: string } }>('/Users/:id', OneUser, async (req) => {
      const row = await ctx.store.scim.getUser(req.params.id);
      if (!row) throw notFound('User', req.params.id);
      return renderUser(req, row);
    });

    scope.post('/Users', scimReplies({ 201: ScimUserResponse }), async (req, reply) => {
      const row = await ctx.store.transaction(async () => {
        const now = ctx.now();
        const created = await ctx.store.scim.createUser(userWrite(req.body, null), now);
        await auditUser('scim user created', created, now);
        return created;
      });
      req.log.info({ scimId: row.id }, 'SCIM user created');
      void reply.header('location', `${base(req)}/Users/${row.id}`);
      return send(reply, 201, await renderUser(req, row));
    });

    scope.put<{ Params: { id: string } }>('/Users/:id', OneUser, async (req) => {
      const row = await updateUser(req.params.id, (current) => userWrite(req.body, current));
      if (!row) throw notFound('User', req.params.id);
      await enforce(req.log, row, false);
      return renderUser(req, row);
    });

    scope.patch<{ Params: { id: string } }>('/Users/:id', OneUser, async (req) => {
      const ops = normalizePatch('User', req.body);
      const row = await updateUser(req.params.id, (current) => patchedUserWrite(current, ops));
      if (!row) throw notFound('User', req.params.id);
      await enforce(req.log, row, false);
      return renderUser(req, row);
    });

    scope.delete<{ Params: { id: string } }>('/Users/:id', Deleted, async (req, reply) => {
      const row = await ctx.store.transaction(async () => {
        const now = ctx.now();
        const deleted = await ctx.store.scim.deleteUser(req.params.id, now);
        if (deleted) await auditUser('scim user deleted', deleted, now);
        return deleted;
      });
      if (!row) throw notFound('User', req.params.id);
      req.log.info({ scimId: row.id, userId: row.userId }, 'SCIM user deleted');
      await enforce(req.log, row, true);
      return reply.code(204).send();
    });

    // ---- Groups ----

    const renderGroup = async (req: FastifyRequest, row: Parameters<typeof groupResource>[0]) =>
      project(groupResource(row, displayNames(await ctx.store.scim.attrsOf(row.members)), base(req)),
        stringParam(query(req), 'attributes'), stringParam(query(req), 'excludedAttributes'));

    const updateGroup = (id: string, update: Parameters<typeof ctx.store.scim.updateGroup>[1]) => ctx.store.transaction(async () => {
      const now = ctx.now();
      let before: ScimGroupRow | undefined;
      const row = await ctx.store.scim.updateGroup(id, (current) => { before = current; return update(current); }, now);
      const same = (r: ScimGroupRow) => JSON.stringify([r.displayName, r.externalId, r.members]);
      if (row && (!before || same(before) !== same(row))) await auditGroup('scim group updated', row, now);
      return row;
    });

    scope.get('/Groups', scimReplies({ 200: ScimListResponse(ScimGroupResponse) }), async (req) => {
      const q = query(req);
      const filter = parseListFilter('Group', stringParam(q, 'filter'));
      const { offset, limit, startIndex } = paging(q);
      const { total, rows } = await ctx.store.scim.listGroups(filter as Parameters<typeof ctx.store.scim.listGroups>[0], offset, limit);
      const resources = [];
      for (const row of rows) resources.push(await renderGroup(req, row));
      return { schemas: [URN.listResponse], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
    });

    scope.get<{ Params: { id: string } }>('/Groups/:id', OneGroup, async (req) => {
      const row = await ctx.store.scim.getGroup(req.params.id);
      if (!row) throw notFound('Group', req.params.id);
      return renderGroup(req, row);
    });

    scope.post('/Groups', scimReplies({ 201: ScimGroupResponse }), async (req, reply) => {
      const row = await ctx.store.transaction(async () => {
        const now = ctx.now();
        const created = await ctx.store.scim.createGroup(groupWrite(req.body), now);
        await auditGroup('scim group created', created, now);
        return created;
      });
      void reply.header('location', `${base(req)}/Groups/${row.id}`);
      return send(reply, 201, await renderGroup(req, row));
    });

    scope.put<{ Params: { id: string } }>('/Groups/:id', OneGroup, async (req) => {
      const write = groupWrite(req.body);
      const row = await updateGroup(req.params.id, () => write);
      if (!row) throw notFound('Group', req.params.id);
      await syncScimGroup(ctx, req.log, row.id);
      return renderGroup(req, row);
    });

    scope.patch<{ Params: { id: string } }>('/Groups/:id', OneGroup, async (req) => {
      const ops = normalizePatch('Group', req.body);
      const row = await updateGroup(req.params.id, (current) => patchedGroupWrite(current, ops));
      if (!row) throw notFound('Group', req.params.id);
      await syncScimGroup(ctx, req.log, row.id);
      return renderGroup(req, row);
    });

    scope.delete<{ Params: { id: string } }>('/Groups/:id', Deleted, async (req, reply) => {
      const deleted = await ctx.store.transaction(async () => {
        const now = ctx.now();
        const current = await ctx.store.scim.getGroup(req.params.id);
        if (!current || !(await ctx.store.scim.deleteGroup(req.params.id))) return false;
        await auditGroup('scim group deleted', current, now);
        return true;
      });
      if (!deleted) throw notFound('Group', req.params.id);
      await unlinkScimGroup(ctx, req.params.id);
      return reply.code(204).send();
    });
  }, { prefix: SCIM_PREFIX });
}

