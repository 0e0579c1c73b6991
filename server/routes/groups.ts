// Admin-governed encrypted groups (contract and rules: common/wire/groups.ts, server/groups/policy.ts).
// The server keeps who is in a group and relays pairwise-encrypted envelopes to exactly the current members.
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import {
  AddMemberRequest, CreateGroupRequest, GROUP_LIMITS, GroupEvents, GroupEventsQuery, GroupIdParams, GroupInfo, GroupList, GroupMemberParams,
  GroupSendRequest, SetRoleRequest, UpdateGroupRequest, type GroupEvent, type GroupSummary,
} from '../../common/wire/groups.ts';
import { DeviceMismatch, NoQuery, SendResponse } from '../../common/wire/schemas.ts';
import { authOf } from '../auth.ts';
import { ApiError, forbidden, unknownUser } from '../errors.ts';
import type { AuditAction, AuditDetails, GroupMemberRecord, GroupRecord, GroupRole } from '../store/types.ts';
import type { App, AppContext } from '../context.ts';
import { NoBody, replies } from '../responses.ts';
import { canManage, canPost, isGroupAdmin, recipientsOf, visibleMembers, type Caller } from '../groups/policy.ts';
import { checkFanout } from '../fanout.ts';
import { holdAndStore } from './messages.ts';
import { announceGroupChange, joinPendingDirectoryGroups, syncLinkedGroup } from '../groups/directory.ts';
import { cleanName } from '../text.ts';
import { orgAdminState } from '../identity/admin.ts';

const newGroupId = () => `g_${randomBytes(16).toString('base64url')}`;

const unknownGroup = () => new ApiError('unknown_group');
const notAMember = () => new ApiError('not_a_member');
const notManager = () => forbidden('Only group admins and organization administrators may do this.');
const unknownMember = () => new ApiError('unknown_member');
const unknownScimGroup = () => new ApiError('unknown_scim_group');
const directoryManaged = () => new ApiError('directory_managed');

interface Loaded { group: GroupRecord; members: GroupMemberRecord[]; caller: Caller }

export function groupRoutes(app: App, ctx: AppContext): void {
  const auth = { onRequest: ctx.authenticate };

  async function isOrgAdmin(userId: string): Promise<boolean> {
    // Org-admin powers over groups need the rights to be current (a stale claim counts as none here).
    const user = await ctx.store.users.get(userId);
    return Boolean(user && (await orgAdminState(ctx, user)) === 'admin');
  }

  /** A user who may join: exists and is not deactivated. */
  async function requireLiveUser(userId: string): Promise<void> {
    if (!(await ctx.store.users.get(userId)) || await ctx.store.users.isDeactivated(userId)) throw unknownUser();
  }

  /** The group as the caller may reach it: members and org admins; everyone else gets 403 not_a_member. */
  async function load(req: FastifyRequest, id: string, opts: { membersOnly?: boolean } = {}): Promise<Loaded> {
    let group = await ctx.store.groups.get(id);
    if (!group) throw unknownGroup();
    if (group.scimGroupId !== null) {
      await syncLinkedGroup(ctx, req.log, group);
      group = (await ctx.store.groups.get(id))!;
    }
    const { userId } = authOf(req);
    const members = await ctx.store.groups.members(id);
    const caller: Caller = { userId, orgAdmin: await isOrgAdmin(userId), member: members.find((m) => m.userId === userId) };
    if (!caller.member && (opts.membersOnly || !caller.orgAdmin)) throw notAMember();
    return { group, members, caller };
  }

  const summary = (g: GroupRecord, role: GroupRole | null): GroupSummary => ({
    id: g.id, name: g.name, announcement: g.announcement, confidential: g.confidential,
    ...(g.scimGroupId !== null ? { scimGroupId: g.scimGroupId } : {}), createdAt: g.createdAt, createdBy: g.createdBy, role,
  });

  const info = ({ group, members, caller }: Loaded): GroupInfo => ({
    ...summary(group, caller.member?.role ?? null),
    members: visibleMembers(group, caller, members).map(({ userId, role, viaScim, addedAt }) => ({ userId, role, viaScim, addedAt })),
    memberCount: members.length,
    canManage: canManage(caller),
    canPost: canPost(group, caller),
  });

  async function reload(req: FastifyRequest, id: string): Promise<GroupInfo> {
    return info(await load(req, id));
  }

  function requireManager(l: Loaded): void {
    if (!canManage(l.caller)) throw notManager();
  }

  /**
   * An act an org admin can do only through their org-wide powers (linking to the directory, or managing a group
   * they are not an admin of) commits with its audit entry; group admins' own acts stay in the group's event log.
   */
  async function audited<T>(
    req: FastifyRequest, caller: Caller, orgPower: boolean, act: () => Promise<T>,
    entry: (result: T) => { action: AuditAction; group: GroupRecord; subject?: string; details?: AuditDetails } | null,
  ): Promise<T> {
    if (!orgPower && !(caller.orgAdmin && !isGroupAdmin(caller.member?.role))) return act();
    return ctx.store.transaction(async () => {
      const result = await act();
      const e = entry(result);
      if (e) {
        const actor = await ctx.store.users.get(caller.userId);
        const subject = e.subject === undefined ? undefined : await ctx.store.users.get(e.subject);
        await ctx.store.audit.append({
          at: ctx.now(), actor: { userId: caller.userId, email: actor?.email ?? '' }, action: e.action,
          target: { kind: 'group', id: e.group.id, userId: e.subject ?? '', email: subject?.email ?? '', deviceId: null },
          reason: '', outcome: 'done', details: { group: e.group.name, ...e.details },
        });
      }
      return result;
    });
  }

  async function requireScimGroup(scimGroupId: string): Promise<void> {
    if ((await ctx.store.groups.directoryMembers(scimGroupId)) === undefined) throw unknownScimGroup();
  }

  app.post('/v1/groups', { ...auth, schema: { querystring: NoQuery, body: CreateGroupRequest, response: replies({ 201: GroupInfo }) } }, async (req, reply) => {
    const { userId } = authOf(req);
    const body = req.body;
    const name = cleanName(body.name, 'The group name', GROUP_LIMITS.nameChars);
    if (body.scimGroupId !== undefined) {
      if (!(await isOrgAdmin(userId))) throw forbidden('Only organization administrators may link a group to the directory.');
      await requireScimGroup(body.scimGroupId);
    }
    const others = [...new Set(body.members)].filter((u) => u !== userId);
    for (const u of others) await requireLiveUser(u);
    const now = ctx.now();
    const creator: Caller = { userId, orgAdmin: body.scimGroupId !== undefined, member: undefined };
    const group = await audited(req, creator, body.scimGroupId !== undefined, () => ctx.store.groups.create(
      { id: newGroupId(), name, announcement: body.announcement ?? false, confidential: body.confidential ?? false,
        scimGroupId: body.scimGroupId ?? null, createdAt: now, createdBy: userId },
      [{ userId, role: 'owner', viaScim: false }, ...others.map((u) => ({ userId: u, role: 'member' as const, viaScim: false }))],
    ), (g) => ({ action: 'group created', group: g, details: { scimGroupId: g.scimGroupId, members: others.length + 1 } }));
    req.log.info({ groupId: group.id, members: others.length + 1 }, 'group created');
    await announceGroupChange(ctx, group.id);
    return reply.code(201).send(await reload(req, group.id));
  });

  app.get('/v1/groups', { ...auth, schema: { querystring: NoQuery, response: replies({ 200: GroupList }) } }, async (req): Promise<GroupList> => {
    const { userId } = authOf(req);
    await joinPendingDirectoryGroups(ctx, req.log, userId);
    return { groups: (await ctx.store.groups.listOf(userId)).map((g) => summary(g, g.role)) };
  });

  app.get('/v1/groups/:id', { ...auth, schema: { querystring: NoQuery, params: GroupIdParams, response: replies({ 200: GroupInfo }) } }, async (req) => reload(req, req.params.id));

  app.patch('/v1/groups/:id', { ...auth, schema: { querystring: NoQuery, params: GroupIdParams, body: UpdateGroupRequest, response: replies({ 200: GroupInfo }) } }, async (req) => {
    const l = await load(req, req.params.id);
    requireManager(l);
    const { scimGroupId, name: rawName, ...flags } = req.body;
    const name = rawName === undefined ? undefined : cleanName(rawName, 'The group name', GROUP_LIMITS.nameChars);
    if (scimGroupId !== undefined) {
      if (!l.caller.orgAdmin) throw forbidden('Only organization administrators may link a group to the directory.');
      if (scimGroupId !== null) await requireScimGroup(scimGroupId);
    }
    const change = { ...flags, ...(name !== undefined ? { name } : {}), ...(scimGroupId !== undefined ? { scimGroupId } : {}) };
    await audited(req, l.caller, scimGroupId !== undefined, () => ctx.store.groups.update(l.group.id, change, l.caller.userId, ctx.now()),
      (g) => (g ? { action: 'group settings changed', group: l.group, details: change } : null));
    await announceGroupChange(ctx, l.group.id);
    return reload(req, l.group.id);
  });

  app.post('/v1/groups/:id/members', { ...auth, schema: { querystring: NoQuery, params: GroupIdParams, body: AddMemberRequest, response: replies({ 200: GroupInfo }) } }, async (req) => {
    const l = await load(req, req.params.id);
    requireManager(l);
    const { userId } = req.body;
    await requireLiveUser(userId);
    if (l.members.some((m) => m.userId === userId)) throw new ApiError('already_member');
    if (l.members.length >= GROUP_LIMITS.membersPerGroup) {
      throw new ApiError('group_full', `A group has at most ${GROUP_LIMITS.membersPerGroup} members.`);
    }
    await audited(req, l.caller, false, () => ctx.store.groups.addMember(l.group.id, { userId, role: 'member', viaScim: false }, l.caller.userId, ctx.now()),
      (added) => (added ? { action: 'group member added', group: l.group, subject: userId } : null));
    await announceGroupChange(ctx, l.group.id);
    return reload(req, l.group.id);
  });

  app.delete('/v1/groups/:id/members/:userId', { ...auth, schema: { querystring: NoQuery, params: GroupMemberParams, response: replies({ 204: NoBody }) } }, async (req, reply) => {
    const l = await load(req, req.params.id);
    const self = req.params.userId === l.caller.userId;
    if (!self) requireManager(l);
    const target = l.members.find((m) => m.userId === req.params.userId);
    if (!target) throw unknownMember();
    if (target.viaScim && l.group.scimGroupId !== null) throw directoryManaged();
    const remove = () => ctx.store.groups.removeMember(l.group.id, target.userId, self ? 'left' : 'removed', l.caller.userId, ctx.now());
    if (self) await remove();
    else await audited(req, l.caller, false, remove, (removed) => (removed ? { action: 'group member removed', group: l.group, subject: target.userId } : null));
    await announceGroupChange(ctx, l.group.id, [target.userId]);
    return reply.code(204).send(null);
  });

  app.post('/v1/groups/:id/roles', { ...auth, schema: { querystring: NoQuery, params: GroupIdParams, body: SetRoleRequest, response: replies({ 200: GroupInfo }) } }, async (req) => {
    const l = await load(req, req.params.id);
    requireManager(l);
    const result = await audited(req, l.caller, false, () => ctx.store.groups.setRole(l.group.id, req.body.userId, req.body.role, l.caller.userId, ctx.now()),
      (r) => (r === 'promoted' || r === 'demoted' ? { action: 'group role changed', group: l.group, subject: req.body.userId, details: { role: req.body.role } } : null));
    if (result === 'not_member') throw unknownMember();
    if (result !== 'unchanged') await announceGroupChange(ctx, l.group.id);
    return reload(req, l.group.id);
  });

  app.get('/v1/groups/:id/events', { ...auth, schema: { querystring: GroupEventsQuery, params: GroupIdParams, response: replies({ 200: GroupEvents }) } }, async (req): Promise<GroupEvents> => {
    const l = await load(req, req.params.id, { membersOnly: true });
    const after = req.query.after === undefined ? 0 : Number(req.query.after);
    const page = await ctx.store.groups.events(l.group.id, after, GROUP_LIMITS.eventsPerPage + 1);
    const more = page.length > GROUP_LIMITS.eventsPerPage;
    const shown = page.slice(0, GROUP_LIMITS.eventsPerPage);
    // History starts when the caller joined (who came and went before is not theirs to know), and in
    // confidential groups plain members learn only about themselves and the admins.
    const admins = new Set(l.members.filter((m) => isGroupAdmin(m.role)).map((m) => m.userId));
    const joinedAt = l.caller.member!.addedAt;
    const visible = (e: (typeof shown)[number]) => e.at >= joinedAt &&
      (!l.group.confidential || canManage(l.caller) || e.subject === null || e.subject === l.caller.userId || admins.has(e.subject));
    return {
      events: shown.filter(visible) as GroupEvent[],
      more,
      next: shown.length > 0 ? shown[shown.length - 1]!.seq : after,
    };
  });

  app.post('/v1/groups/:id/messages', {
    ...auth, bodyLimit: GROUP_LIMITS.sendBodyBytes,
    schema: {
      querystring: NoQuery, params: GroupIdParams, body: GroupSendRequest,
      response: replies({ 200: SendResponse, 409: DeviceMismatch, 410: DeviceMismatch }),
    },
  }, async (req) => {
    const me = authOf(req);
    ctx.limits.of('sendsByDevice').consume(`${me.userId}/${me.deviceId}`, 'sends from this device');
    const l = await load(req, req.params.id, { membersOnly: true });
    const sender = l.caller.member!;
    if (!canPost(l.group, l.caller)) throw new ApiError('announcement_only');
    await ctx.workplace.requireConsentOf(me.userId);
    const { sendId } = req.body;
    // A retry of a send that was accepted (its response lost) gets the same answer, whatever changed since.
    const earlier = sendId === undefined ? undefined : await ctx.store.envelopes.findSend(me.userId, me.deviceId, sendId, ctx.now());
    if (earlier !== undefined) return { serverTimestamp: earlier };
    const serverTimestamp = ctx.now();
    const toStore = await checkFanout(ctx.store, me, recipientsOf(l.group, sender, l.members), req.body.envelopes, serverTimestamp, { groupId: l.group.id });
    return holdAndStore(ctx, me, toStore, { sendId, serverTimestamp, urgent: req.body.urgent === true });
  });
}
