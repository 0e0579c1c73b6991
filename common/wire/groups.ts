// Wire contract of admin-governed encrypted groups (/v1/groups). Client code may import this file.
//
// The server knows WHO is in a group and relays pairwise-encrypted envelopes (the same Signal envelopes as
// 1:1 sends; the client puts the group id inside the encrypted payload). It never sees group content.
//
// Governance: groups are run by admins and the company, not by their creator.
//   - roles: owner | admin | member. The creator is owner; an owner has exactly the powers of an admin.
//   - group admins/owners AND org admins (IdP admin group) may add, remove, promote/demote and change
//     settings; org admins need not be members. A plain member may only leave.
//   - announcement: only admins/owners post. confidential: members see the admins (and themselves), not
//     each other; a plain member's post goes to the admins only (so device lists never reveal members).
//   - scimGroupId (org admins only): membership follows that SCIM group. Members it brought in (viaScim)
//     are added/removed by the directory (event actor "scim") and cannot leave or be removed by hand
//     (409 directory_managed); people added by hand stay until removed by hand.
//   - leavers: a SCIM-deactivated or deleted user is removed from every group ('deactivated' event).
//
// Routes (bearer device credential; errors are ErrorBody `{ error, message }` with codes of common/errors.ts):
//   POST   /v1/groups                       CreateGroupRequest → GroupInfo            (400, 403 forbidden, 404 unknown_user|unknown_scim_group)
//   GET    /v1/groups                       → GroupList (the caller's groups)
//   GET    /v1/groups/:id                   → GroupInfo                                (403 not_a_member, 404 unknown_group)
//   PATCH  /v1/groups/:id                   UpdateGroupRequest → GroupInfo             (403 forbidden|not_a_member, 404)
//   POST   /v1/groups/:id/members           AddMemberRequest → GroupInfo               (403, 404 unknown_user, 409 already_member|group_full)
//   DELETE /v1/groups/:id/members/:userId   remove, or leave when it is yourself → 204 (403, 404 unknown_member, 409 directory_managed)
//   POST   /v1/groups/:id/roles             SetRoleRequest → GroupInfo                 (403, 404 unknown_member)
//   GET    /v1/groups/:id/events?after=SEQ  → GroupEvents (members only)               (403 not_a_member, 404)
//   POST   /v1/groups/:id/messages          GroupSendRequest → SendResponse            (403 not_a_member|announcement_only,
//                                           409/410 DeviceMismatch exactly as for 1:1 sends, 413 body_too_large)
//   GET    /v1/admin/groups                 → AdminGroupList (org admins only: every group of the org; 403 forbidden)
//   GET    /v1/admin/directory-groups       → DirectoryGroupList (org admins only: SCIM groups a group can follow)
import { Type, type Static } from 'typebox';
import { OutgoingEnvelope, SendId, UserId } from './schemas.ts';

export const GROUP_LIMITS = {
  /** One group send carries one envelope per device of every recipient: members × devices. */
  envelopesPerSend: 5000,
  /** Body limit of POST /v1/groups/:id/messages only (the rest of the API keeps LIMITS.bodyBytes). */
  sendBodyBytes: 16 * 1024 * 1024,
  membersPerGroup: 1000,
  nameChars: 100,
  eventsPerPage: 200,
} as const;

/** `g_` + 16 random bytes in base64url. */
export const GroupId = Type.String({ pattern: '^g_[A-Za-z0-9_-]{22}$' });
export const GroupIdParams = Type.Object({ id: GroupId });
export const GroupMemberParams = Type.Object({ id: GroupId, userId: UserId });

export const GroupRole = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);
export type GroupRole = Static<typeof GroupRole>;

/** A SCIM group id as this server issues them (see /scim/v2/Groups). */
export const ScimGroupId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });

export const GroupName = Type.String({ minLength: 1, maxLength: GROUP_LIMITS.nameChars, pattern: '\\S' });

const GroupMember = Type.Object({
  userId: UserId,
  role: GroupRole,
  /** Brought in by the linked SCIM group: only the directory removes them. */
  viaScim: Type.Boolean(),
  addedAt: Type.Integer(),
});

export const GroupSummary = Type.Object({
  id: GroupId,
  name: Type.String(),
  /** Only admins/owners post. */
  announcement: Type.Boolean(),
  /** Members see the admins, not each other. */
  confidential: Type.Boolean(),
  /** Directory-linked: membership follows this SCIM group. */
  scimGroupId: Type.Optional(ScimGroupId),
  createdAt: Type.Integer(),
  createdBy: UserId,
  /** The caller's role; null for an org admin who is not a member. */
  role: Type.Union([GroupRole, Type.Null()]),
});
export type GroupSummary = Static<typeof GroupSummary>;

export const GroupList = Type.Object({ groups: Type.Array(GroupSummary) });
export type GroupList = Static<typeof GroupList>;

/** A group in the org admins' list: its summary (role = the org admin's own role, usually null) and its size. */
const AdminGroup = Type.Object({
  ...GroupSummary.properties,
  memberCount: Type.Integer({ minimum: 0 }),
});

/** A group pushed by the IdP over SCIM, which a Parley group can follow (org admins choose it when linking). */
export const DirectoryGroup = Type.Object({
  id: ScimGroupId,
  displayName: Type.String(),
  /** SCIM members (whether or not they have signed in to Parley yet). */
  memberCount: Type.Integer({ minimum: 0 }),
});
export type DirectoryGroup = Static<typeof DirectoryGroup>;
/** GET /v1/admin/directory-groups: the SCIM groups, by name. */
export const DirectoryGroupList = Type.Object({ groups: Type.Array(DirectoryGroup) });
export type DirectoryGroupList = Static<typeof DirectoryGroupList>;

/** GET /v1/admin/groups: every group of the organization, newest first. */
export const AdminGroupList = Type.Object({ groups: Type.Array(AdminGroup) });
export type AdminGroupList = Static<typeof AdminGroupList>;

export const GroupInfo = Type.Object({
  ...GroupSummary.properties,
  /** The members the caller may see: everyone for admins and org admins; in confidential groups plain members see the admins and themselves. */
  members: Type.Array(GroupMember),
  /** The true member count (also in confidential groups). */
  memberCount: Type.Integer({ minimum: 0 }),
  /** The caller may add, remove, promote/demote and change settings. */
  canManage: Type.Boolean(),
  /** The caller may post (a member; an admin in announcement groups). */
  canPost: Type.Boolean(),
});
export type GroupInfo = Static<typeof GroupInfo>;

export const CreateGroupRequest = Type.Object({
  name: GroupName,
  /** Initial members besides the creator (who becomes owner). */
  members: Type.Array(UserId, { maxItems: GROUP_LIMITS.membersPerGroup - 1 }),
  announcement: Type.Optional(Type.Boolean()),
  confidential: Type.Optional(Type.Boolean()),
  /** Org admins only: link to a SCIM group; its live members join too. */
  scimGroupId: Type.Optional(ScimGroupId),
}, { additionalProperties: false });
export type CreateGroupRequest = Static<typeof CreateGroupRequest>;

export const UpdateGroupRequest = Type.Object({
  name: Type.Optional(GroupName),
  announcement: Type.Optional(Type.Boolean()),
  confidential: Type.Optional(Type.Boolean()),
  /** Org admins only; null unlinks (directory members then stay as ordinary members). */
  scimGroupId: Type.Optional(Type.Union([ScimGroupId, Type.Null()])),
}, { additionalProperties: false });
export type UpdateGroupRequest = Static<typeof UpdateGroupRequest>;

export const AddMemberRequest = Type.Object({ userId: UserId }, { additionalProperties: false });
export type AddMemberRequest = Static<typeof AddMemberRequest>;

/** 'owner' cannot be given; demoting an owner makes them a member. */
export const SetRoleRequest = Type.Object({
  userId: UserId,
  role: Type.Union([Type.Literal('admin'), Type.Literal('member')]),
}, { additionalProperties: false });
export type SetRoleRequest = Static<typeof SetRoleRequest>;

export const GroupEventKind = Type.Union([
  Type.Literal('created'), Type.Literal('added'), Type.Literal('removed'), Type.Literal('left'),
  Type.Literal('promoted'), Type.Literal('demoted'), Type.Literal('settings'), Type.Literal('deactivated'),
]);
export type GroupEventKind = Static<typeof GroupEventKind>;

/**
 * One entry of a group's append-only log; clients render system messages from it ("Bob left: account
 * deactivated"). `actor` is a userId or "scim" (directory); `subject` the member concerned (null for
 * created/settings). A member gets the events from the moment they joined on; in confidential groups plain
 * members only get events about themselves and admins.
 */
export const GroupEvent = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  at: Type.Integer(),
  kind: GroupEventKind,
  actor: Type.Union([UserId, Type.Literal('scim')]),
  subject: Type.Union([UserId, Type.Null()]),
});
export type GroupEvent = Static<typeof GroupEvent>;

export const GroupEventsQuery = Type.Object({
  after: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,15})$' })),
}, { additionalProperties: false });

export const GroupEvents = Type.Object({
  events: Type.Array(GroupEvent, { maxItems: GROUP_LIMITS.eventsPerPage }),
  /** More events follow: ask again with after = next. */
  more: Type.Boolean(),
  /** The `after` of the next page (events the caller may not see are skipped, so it can exceed the last seq shown). */
  next: Type.Integer({ minimum: 0 }),
});
export type GroupEvents = Static<typeof GroupEvents>;

/**
 * A group send: one envelope for every active device of every recipient member and every other device of
 * the sender (recipients = all members; for a plain member of a confidential group, the admins). Any other
 * set → 409 mismatched_devices (missing/extra + the device lists), stale registrationIds → 410 stale_devices,
 * exactly as for 1:1 sends (DeviceMismatch). An empty list is valid when there is nobody else to reach.
 */
export const GroupSendRequest = Type.Object({
  envelopes: Type.Array(OutgoingEnvelope, { maxItems: GROUP_LIMITS.envelopesPerSend }),
  /** Optional: makes the send idempotent, as for 1:1 sends (SendId). */
  sendId: Type.Optional(SendId),
  /** As SendRequest.urgent: members who are off work get it at once, if the org allows (audited per member). */
  urgent: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type GroupSendRequest = Static<typeof GroupSendRequest>;
