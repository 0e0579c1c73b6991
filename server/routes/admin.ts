// The admin API: org admins (server/identity/admin.ts: the SCIM admin group, or a fresh groups claim) list users
// and devices, wipe or revoke devices, and read the audit log.
//   GET  /v1/admin/users[?email=]   POST /v1/admin/wipe   POST /v1/admin/revoke   GET /v1/admin/audit[?limit=&since=MS&before=ID]
//   GET  /v1/admin/groups (every group of the org; contract in common/wire/groups.ts)
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import {
  AdminActionRequest, AdminActionResponse, AdminUsersQuery, AdminUsersResponse, AuditQuery, AuditResponse, type AdminUser,
} from '../../common/wire/lifecycle.ts';
import { AdminGroupList, DirectoryGroupList, type DirectoryGroup } from '../../common/wire/groups.ts';
import { NoQuery } from '../../common/wire/schemas.ts';
import { authOf } from '../auth.ts';
import { ApiError, unknownDevice, unknownUser } from '../errors.ts';
import type { DeviceRecord, DeviceState, UserRecord } from '../store/types.ts';
import type { App, AppContext } from '../context.ts';
import { replies } from '../responses.ts';
import { orgAdminResolver, requireOrgAdmin } from '../identity/admin.ts';

const DEFAULT_AUDIT_LIMIT = 100;
const MAX_AUDIT_LIMIT = 1000;

export type Action = 'wipe' | 'revoke';

/** What an action does to a device in each state: the new state (or none) and the audit outcome. */
function transition(action: Action, state: DeviceState): { to: DeviceState | null; outcome: string } {
  if (action === 'wipe') {
    switch (state) {
      case 'active': return { to: 'wipe-pending', outcome: 'pending: device will confirm' };
      // A revoked device that checks in later still gets wiped.
      case 'revoked': return { to: 'wipe-pending', outcome: 'pending: device will confirm (was revoked)' };
      case 'wipe-pending': return { to: null, outcome: 'unchanged: wipe already pending' };
      case 'wiped': return { to: null, outcome: 'unchanged: already wiped' };
    }
  }
  switch (state) {
    case 'active': return { to: 'revoked', outcome: 'revoked' };
    case 'revoked': return { to: null, outcome: 'unchanged: already revoked' };
    // Revoking never cancels a wipe.
    case 'wipe-pending': return { to: null, outcome: 'unchanged: wipe pending' };
    case 'wiped': return { to: null, outcome: 'unchanged: already wiped' };
  }
}

/**
 * Wipes or revokes these devices of `user`, one audited state change each (queued envelopes and one-time prekeys
 * purged, the open socket told `{type:'wipe'}` and closed). The admin routes and SCIM deprovisioning (actor
 * "scim") both go through here.
 */
export async function applyLifecycleAction(
  ctx: AppContext, log: FastifyBaseLogger,
  op: { action: Action; user: UserRecord; devices: DeviceRecord[]; actor: { userId: string | null; email: string }; reason: string },
): Promise<AdminActionResponse> {
  const { action, user, devices, actor, reason } = op;
  let auditId = 0;
  for (const device of devices) {
    const now = ctx.now();
    const { to, outcome } = transition(action, device.state);
    const audit = {
      at: now, actor,
      action: action === 'wipe' ? 'wipe requested' as const : 'device revoked' as const,
      target: { userId: user.userId, email: user.email, deviceId: device.deviceId }, reason, outcome,
    };
    if (to) {
      const res = await ctx.store.devices.changeState({ userId: user.userId, deviceId: device.deviceId, state: to, at: now, reason, purge: true }, audit);
      auditId = res.audit.id;
      ctx.hub.evict(user.userId, device.deviceId, action);
    } else {
      auditId = (await ctx.store.audit.append(audit)).id;
    }
    log.info({ action, userId: user.userId, deviceId: device.deviceId, outcome, actor: actor.userId ?? actor.email }, 'lifecycle action');
  }
  return { devices: devices.map((d) => ({ userId: user.userId, deviceId: d.deviceId })), auditId };
}

export function adminRoutes(app: App, ctx: AppContext): void {
  const admin = { onRequest: [ctx.authenticate, requireOrgAdmin(ctx)] };

  const adminUser = (user: UserRecord, devices: DeviceRecord[], provisioning: AdminUser['provisioning'], orgAdmin: boolean): AdminUser => ({
    userId: user.userId, email: user.email, name: user.name, orgAdmin, provisioning,
    devices: devices.map((d) => ({
      id: `${d.userId}.${d.deviceId}`, deviceId: d.deviceId, name: d.name, state: d.state, createdAt: d.createdAt, lastSeen: d.lastSeen,
    })),
  });

  app.get('/v1/admin/users', { ...admin, schema: { querystring: AdminUsersQuery, response: replies({ 200: AdminUsersResponse }) } }, async (req) => {
    const rows = await ctx.store.users.listWithDevices(req.query.email);
    const states = await ctx.store.users.provisioningStates();
    const adminOf = await orgAdminResolver(ctx);
    const users: AdminUser[] = [];
    for (const { user, devices } of rows) {
      users.push(adminUser(user, devices, states.get(user.userId) ?? 'just-in-time', (await adminOf(user)) !== 'no'));
    }
    return { users };
  });

  app.get('/v1/admin/groups', { ...admin, schema: { querystring: NoQuery, response: replies({ 200: AdminGroupList }) } }, async (req): Promise<AdminGroupList> => {
    const mine = new Map((await ctx.store.groups.listOf(authOf(req).userId)).map((g) => [g.id, g.role]));
    const groups = await ctx.store.groups.listAll();
    return {
      groups: groups.map((g) => ({
        id: g.id, name: g.name, announcement: g.announcement, confidential: g.confidential,
        ...(g.scimGroupId !== null ? { scimGroupId: g.scimGroupId } : {}), createdAt: g.createdAt, createdBy: g.createdBy,
        role: mine.get(g.id) ?? null, memberCount: g.memberCount,
      })),
    };
  });

  app.get('/v1/admin/directory-groups', { ...admin, schema: { querystring: NoQuery, response: replies({ 200: DirectoryGroupList }) } }, async (): Promise<DirectoryGroupList> => {
    const all: DirectoryGroup[] = [];
    for (let offset = 0; ; offset += 500) {
      const { total, rows } = await ctx.store.scim.listGroups(null, offset, 500);
      all.push(...rows.map((g) => ({ id: g.id, displayName: g.displayName, memberCount: g.members.length })));
      if (offset + rows.length >= total || rows.length === 0) break;
    }
    return { groups: all.sort((a, b) => a.displayName.localeCompare(b.displayName)) };
  });

  async function targets(body: AdminActionRequest): Promise<{ user: UserRecord; devices: DeviceRecord[] }> {
    const { email, userId, deviceId } = body;
    const byEmail = email !== undefined && userId === undefined && deviceId === undefined;
    const byUser = email === undefined && userId !== undefined;
    if (!byEmail && !byUser) {
      throw new ApiError('invalid_target');
    }
    const user = byEmail ? await ctx.store.users.findByEmail(email!) : await ctx.store.users.get(userId!);
    if (!user) throw unknownUser();
    if (deviceId !== undefined) {
      const device = await ctx.store.devices.get(user.userId, deviceId);
      if (!device) throw unknownDevice('No such device.');
      return { user, devices: [device] };
    }
    const devices = await ctx.store.devices.list(user.userId);
    if (devices.length === 0) throw new ApiError('no_devices');
    return { user, devices };
  }

  async function act(action: Action, req: FastifyRequest, body: AdminActionRequest): Promise<AdminActionResponse> {
    const { user, devices } = await targets(body);
    const actor = await ctx.store.users.get(authOf(req).userId);
    return applyLifecycleAction(ctx, req.log, {
      action, user, devices, actor: { userId: actor!.userId, email: actor!.email }, reason: body.reason?.trim() ?? '',
    });
  }

  const action = { querystring: NoQuery, body: AdminActionRequest, response: replies({ 200: AdminActionResponse }) };
  app.post('/v1/admin/wipe', { ...admin, schema: action }, (req) => act('wipe', req, req.body));
  app.post('/v1/admin/revoke', { ...admin, schema: action }, (req) => act('revoke', req, req.body));

  app.get('/v1/admin/audit', { ...admin, schema: { querystring: AuditQuery, response: replies({ 200: AuditResponse }) } }, async (req): Promise<AuditResponse> => {
    const { query } = req;
    const limit = Math.min(query.limit === undefined ? DEFAULT_AUDIT_LIMIT : Number(query.limit), MAX_AUDIT_LIMIT);
    return {
      entries: await ctx.store.audit.list(limit, {
        ...(query.since !== undefined ? { since: Number(query.since) } : {}),
        ...(query.before !== undefined ? { beforeId: Number(query.before) } : {}),
      }),
    };
  });
}
