// The directory's hold on groups: SCIM leavers leave every group, and directory-linked groups follow their
// SCIM group. Called from the SCIM routes (actor "scim") and, lazily, from the group routes so that people
// who register after a SCIM change still end up where the directory says.
import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../context.ts';
import type { GroupRecord } from '../store/types.ts';

const DIRECTORY_ACTOR = 'scim';

/**
 * Tells the connected devices of a group's members (and of `alsoUsers`, e.g. someone just removed) that the
 * group changed, so their event logs are fetched now instead of at the next poll.
 */
export async function announceGroupChange(ctx: AppContext, groupId: string, alsoUsers: Iterable<string> = []): Promise<void> {
  const members = (await ctx.store.groups.members(groupId)).map((m) => m.userId);
  ctx.hub.signalUsers([...members, ...alsoUsers], { type: 'group-changed', group: groupId });
}

/** A deactivated or deleted user: out of every group, with a 'deactivated' event in each. */
export async function removeLeaverFromGroups(ctx: AppContext, log: FastifyBaseLogger, userId: string): Promise<void> {
  const ids = await ctx.store.groups.removeEverywhere(userId, DIRECTORY_ACTOR, ctx.now());
  if (ids.length > 0) log.info({ userId, groups: ids.length }, 'leaver removed from groups');
  for (const id of ids) await announceGroupChange(ctx, id);
}

/** Brings one linked group in line with its SCIM group (nothing if the SCIM group is gone). */
export async function syncLinkedGroup(ctx: AppContext, log: FastifyBaseLogger, group: GroupRecord): Promise<void> {
  if (group.scimGroupId === null) return;
  const desired = await ctx.store.groups.directoryMembers(group.scimGroupId);
  if (desired === undefined) return;
  const { added, removed } = await ctx.store.groups.syncDirectory(group.id, desired, DIRECTORY_ACTOR, ctx.now());
  if (added.length + removed.length > 0) {
    log.info({ groupId: group.id, added: added.length, removed: removed.length }, 'directory group synced');
    await announceGroupChange(ctx, group.id, removed);
  }
}

/** After a SCIM group write: every Parley group linked to it follows. */
export async function syncScimGroup(ctx: AppContext, log: FastifyBaseLogger, scimGroupId: string): Promise<void> {
  for (const group of await ctx.store.groups.linkedTo(scimGroupId)) await syncLinkedGroup(ctx, log, group);
}

/** After a SCIM group was deleted: its linked groups become ordinary groups (members stay, unlinked). */
export async function unlinkScimGroup(ctx: AppContext, scimGroupId: string): Promise<void> {
  for (const group of await ctx.store.groups.linkedTo(scimGroupId)) {
    await ctx.store.groups.update(group.id, { scimGroupId: null }, DIRECTORY_ACTOR, ctx.now());
    await announceGroupChange(ctx, group.id);
  }
}

/** The caller's linked groups that the directory says they belong to but that do not have them yet. */
export async function joinPendingDirectoryGroups(ctx: AppContext, log: FastifyBaseLogger, userId: string): Promise<void> {
  if (await ctx.store.users.isDeactivated(userId)) return;
  for (const id of await ctx.store.groups.pendingDirectoryGroups(userId)) {
    const group = await ctx.store.groups.get(id);
    if (group) await syncLinkedGroup(ctx, log, group);
  }
}
