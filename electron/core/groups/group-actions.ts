// Changing groups: create (optionally following a directory group), add / remove / promote / demote,
// leave, settings. After each change the group's events are fetched, so the chat shows what happened.
import type * as G from '../../../common/wire/groups.ts';
import { ErrorCode } from '../../../common/errors.ts';
import { ApiError } from '../net/api.ts';
import type { Contacts } from '../directory/contacts.ts';
import type { GroupSync } from './group-sync.ts';
import { groupError, type GroupView, type GroupViews } from './group-views.ts';
import { UsageError, type CoreContext } from '../context.ts';

export interface CreateGroupOptions {
  announcement?: boolean;
  confidential?: boolean;
  /** A SCIM group (id or display name) whose members the new group follows (org admins). */
  directoryGroup?: string;
}

export class GroupActions {
  constructor(
    private readonly ctx: CoreContext,
    private readonly contacts: Contacts,
    private readonly views: GroupViews,
    private readonly groupSync: GroupSync,
  ) {}

  async create(name: string, emails: string[], opts: CreateGroupOptions = {}): Promise<GroupView> {
    if (name.trim().length === 0) throw new UsageError('the group needs a name');
    const scimGroupId = opts.directoryGroup !== undefined ? (await this.views.resolveDirectoryGroup(opts.directoryGroup)).id : undefined;
    const members: string[] = [];
    for (const email of emails) {
      const { contact } = await this.contacts.resolve(email);
      if (contact.userId !== this.ctx.account.userId && !members.includes(contact.userId)) members.push(contact.userId);
    }
    const info = await this.ctx.api.createGroup({
      name: name.trim(), members,
      ...(opts.announcement ? { announcement: true } : {}), ...(opts.confidential ? { confidential: true } : {}),
      ...(scimGroupId !== undefined ? { scimGroupId } : {}),
    });
    const view = await this.views.viewOf(info);
    await this.groupSync.sync(info.id);
    return view;
  }

  addMember(ref: string, email: string) {
    return this.memberAction(ref, email, (g, u) => this.ctx.api.addGroupMember(g, u));
  }
  removeMember(ref: string, email: string) {
    return this.memberAction(ref, email, (g, u) => this.ctx.api.removeGroupMember(g, u));
  }
  setRole(ref: string, email: string, role: 'admin' | 'member') {
    return this.memberAction(ref, email, (g, u) => this.ctx.api.setGroupRole(g, { userId: u, role }));
  }
  async leave(ref: string): Promise<void> {
    await this.memberAction(ref, this.ctx.account.email, (g, u) => this.ctx.api.removeGroupMember(g, u), true);
  }

  async updateSettings(ref: string, change: G.UpdateGroupRequest): Promise<GroupView> {
    const groupId = await this.views.idOf(ref);
    let info: G.GroupInfo;
    try { info = await this.ctx.api.updateGroup(groupId, change); } catch (err) { throw groupError(err); }
    await this.groupSync.sync(groupId).catch(() => 0);
    return this.views.viewOf(info);
  }

  /** Runs one membership change; returns the group as it is now (undefined once we left it). */
  private async memberAction(
    ref: string, email: string, act: (groupId: string, userId: string) => Promise<unknown>, leaving = false,
  ): Promise<GroupView | undefined> {
    const groupId = await this.views.idOf(ref);
    const { contact } = await this.contacts.resolve(email);
    try {
      await act(groupId, contact.userId);
    } catch (err) {
      if (err instanceof ApiError && err.code === ErrorCode.unknown_member) throw new UsageError(`${email} is not a member of ${ref}`);
      if (err instanceof ApiError && err.code === ErrorCode.already_member) throw new UsageError(`${email} is already a member of ${ref}`);
      throw groupError(err);
    }
    await this.groupSync.sync(groupId).catch(() => 0);
    if (leaving) return undefined;
    try { return await this.views.viewOf(await this.ctx.api.group(groupId)); } catch { return undefined; }
  }
}
