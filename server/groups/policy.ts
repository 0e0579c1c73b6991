// Who may do what in a group. Groups are run by their admins and by the company (org admins), never by
// their creator alone: an owner has exactly an admin's powers; a plain member may only leave and post.
import type { GroupMemberRecord, GroupRecord, GroupRole } from '../store/types.ts';

export const isGroupAdmin = (role: GroupRole | null | undefined): boolean => role === 'owner' || role === 'admin';

export interface Caller { userId: string; orgAdmin: boolean; member: GroupMemberRecord | undefined }

/** Add, remove, promote/demote, change settings. */
export const canManage = (c: Caller): boolean => c.orgAdmin || isGroupAdmin(c.member?.role);

/** Members post; in announcement groups only admins/owners. */
export const canPost = (g: GroupRecord, c: Caller): boolean =>
  c.member !== undefined && (!g.announcement || isGroupAdmin(c.member.role));

/** The members the caller may see: everyone, unless the group is confidential and the caller is a plain member. */
export function visibleMembers(g: GroupRecord, c: Caller, members: GroupMemberRecord[]): GroupMemberRecord[] {
  if (!g.confidential || canManage(c)) return members;
  return members.filter((m) => isGroupAdmin(m.role) || m.userId === c.userId);
}

/**
 * Whom a post from this member reaches: every member, except that a plain member of a confidential group
 * reaches the admins only (device lists must not reveal the other members). The sender is always included
 * (their other devices get a copy).
 */
export function recipientsOf(g: GroupRecord, sender: GroupMemberRecord, members: GroupMemberRecord[]): string[] {
  const reach = g.confidential && !isGroupAdmin(sender.role) ? members.filter((m) => isGroupAdmin(m.role)) : members;
  const ids = reach.map((m) => m.userId);
  if (!ids.includes(sender.userId)) ids.push(sender.userId);
  return ids;
}
