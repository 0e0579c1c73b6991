// Handlers for group chats. The server keeps an event log per group; after every action the events it
// caused are pushed to the UI as system messages. Refusals become the sentences the UI shows.
import type { Messenger } from '../../core/messenger.ts';
import { UsageError } from '../../core/messenger.ts';
import type { ApiError } from '../../core/net/api.ts';
import { ErrorCode } from '../../../common/errors.ts';
import { groupView } from '../views.ts';
import type { AppHost, Handlers } from '../host.ts';

/** What a refused group action means, in the words the UI shows. Its keys are the group actions (GroupAct). */
const GROUP_FORBIDDEN = {
  add: 'Only group admins can add members.',
  remove: 'Only group admins can remove members.',
  role: 'Only group admins can change roles.',
  update: 'Only group admins can change the group settings.',
  create: 'Only organization admins can link a group to the company directory.',
  link: 'Only organization admins can link a group to the company directory.',
  send: 'Only group admins can post in this announcement group.',
  info: 'You are not a member of this group.',
  leave: 'You cannot leave this group.',
} as const satisfies Record<string, string>;
/** 'add' | 'remove' | 'role' | … : a literal union, so a misspelt action is a type error. */
export type GroupAct = keyof typeof GROUP_FORBIDDEN;

/** The sentence for a server refusal of a group action. */
function groupRefusal(act: GroupAct, err: ApiError): string {
  switch (err.code) {
    case ErrorCode.forbidden: return GROUP_FORBIDDEN[act];
    case ErrorCode.announcement_only: return GROUP_FORBIDDEN.send;
    case ErrorCode.not_a_member: return 'You are not a member of this group.';
    case ErrorCode.unknown_group: return 'This group no longer exists.';
    case ErrorCode.unknown_user: return 'That person is not in the directory (or their account was deactivated).';
    case ErrorCode.unknown_member: return 'That person is not a member of this group.';
    case ErrorCode.already_member: return 'That person is already a member of this group.';
    case ErrorCode.directory_managed:
      return act === 'leave'
        ? 'You are in this group through the company directory: only the directory can take you out.'
        : 'This member is in the group through the company directory: change the directory group instead.';
    case ErrorCode.unknown_scim_group: return 'That directory group no longer exists (the identity provider removed it).';
    default: return err.status > 0 && err.status < 500 ? err.message : `The server could not do this: ${err.message}`;
  }
}

/** Runs a group action; refusals become sentences for the UI; then the events it caused are pushed. */
export async function groupAction<T>(host: AppHost, act: GroupAct, fn: (m: Messenger) => Promise<T>): Promise<T> {
  const m = host.requireReady();
  try {
    return await host.guard(() => fn(m), (err) => groupRefusal(act, err));
  } finally {
    host.emitGroupUpdates();
  }
}

type GroupMethods = 'groups.list' | 'groups.create' | 'groups.info' | 'groups.addMember' | 'groups.removeMember' | 'groups.setRole' | 'groups.update' | 'groups.leave';

export function groupHandlers(host: AppHost): Pick<Handlers, GroupMethods> {
  return {
    'groups.list': async () => {
      const groups = await groupAction(host, 'info', (m) => m.listGroups());
      return groups.map((g) => ({
        id: g.id, name: g.name, announcement: g.announcement, confidential: g.confidential,
        ...(g.scimGroupId !== undefined ? { scimGroupId: g.scimGroupId } : {}), role: g.role,
      }));
    },
    'groups.create': async ({ name, emails, announcement, confidential, directoryGroup }) => {
      const view = await groupAction(host, 'create', (m) => m.createGroup(name, emails, {
        announcement, confidential, ...(directoryGroup !== undefined ? { directoryGroup } : {}),
      }));
      return groupView(view);
    },
    'groups.info': async ({ groupId }) => {
      const view = await groupAction(host, 'info', (m) => m.groupInfo(groupId));
      // Opening a group is a good moment to catch up on its events (in case a group-changed signal was missed).
      if (view.role !== null) void host.syncGroups(groupId);
      return groupView(view);
    },
    'groups.addMember': async ({ groupId, email }) => {
      const view = await groupAction(host, 'add', (m) => m.addGroupMember(groupId, email));
      return view ? groupView(view) : null;
    },
    'groups.removeMember': async ({ groupId, email }) => {
      const view = await groupAction(host, 'remove', (m) => m.removeGroupMember(groupId, email));
      return view ? groupView(view) : null;
    },
    'groups.setRole': async ({ groupId, email, role }) => {
      const view = await groupAction(host, 'role', (m) => m.setGroupRole(groupId, email, role));
      return view ? groupView(view) : null;
    },
    'groups.update': async ({ groupId, name, announcement, confidential, scimGroupId }) => {
      const change = {
        ...(name !== undefined ? { name: name.trim() } : {}),
        ...(announcement !== undefined ? { announcement } : {}), ...(confidential !== undefined ? { confidential } : {}),
        ...(scimGroupId !== undefined ? { scimGroupId } : {}),
      };
      if (Object.keys(change).length === 0) throw new UsageError('nothing to change');
      const act = scimGroupId !== undefined ? 'link' : 'update';
      return groupView(await groupAction(host, act, (m) => m.updateGroupSettings(groupId, change)));
    },
    'groups.leave': async ({ groupId }) => {
      await groupAction(host, 'leave', (m) => m.leaveGroup(groupId));
      return null;
    },
  };
}
