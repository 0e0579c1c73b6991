// The shapes of the app API (common/app-api/contract.ts): what the UI shows (…View), the inputs the methods take,
// and the primitives both use. Split from contract.ts so that file stays the one allowlist of methods.
import { Type, type Static } from 'typebox';
import { CompanyProfile } from '../wire/business.ts';

export const Id = Type.String({ minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9_-]+$' });
export const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' });
export const NoArgs = Type.Object({}, { additionalProperties: false });

/** 'workplace.availability': people of a chat who are off work now. */
export const ChatAvailability = Type.Object({
  offWork: Type.Array(Type.Object({ userId: Type.String(), name: Type.String(), offUntil: Type.Integer(), timeZone: Type.String() })),
  /** The org lets me send urgent messages past someone's working hours. */
  urgentAllowed: Type.Boolean(),
});
export type ChatAvailability = Static<typeof ChatAvailability>;
/** A group's id (also its conversation id): `g_` + 22 base64url characters. */
export const GroupId = Type.String({ pattern: '^g_[A-Za-z0-9_-]{22}$' });
export const GroupName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });

export const Phase = Type.Union([
  Type.Literal('signed-out'), // no device on this profile yet
  Type.Literal('signing-in'), // waiting for the browser to come back from the IdP
  Type.Literal('consent'), // signed in; the company's messaging policy is not yet accepted
  Type.Literal('ready'),
  Type.Literal('locked'), // store stays closed (offline lease ran out; remote-wipe issue)
  Type.Literal('wiped'), // this device was wiped (remote-wipe issue)
  Type.Literal('problem'), // an explained, recoverable state (e.g. the OS keychain changed)
]);

export const Me = Type.Object({
  userId: Type.String(), deviceId: Type.Integer(), email: Type.String(), name: Type.String(), orgAdmin: Type.Boolean(),
});

export const AppState = Type.Object({
  /** Increases with every change, so a late reply never overwrites a newer state event. */
  revision: Type.Integer({ minimum: 0 }),
  phase: Phase,
  server: Type.String(),
  organization: Type.Optional(Type.String()),
  me: Type.Optional(Me),
  connection: Type.Union([Type.Literal('online'), Type.Literal('connecting'), Type.Literal('offline')]),
  policy: Type.Optional(Type.Object({ version: Type.String(), text: Type.String() })),
  /** For phases locked / wiped / problem: the sentence to show. */
  notice: Type.Optional(Type.String()),
  /** The last sign-in error, shown on the sign-in screen. */
  error: Type.Optional(Type.String()),
});
export type AppState = Static<typeof AppState>;

export const Verification = Type.Union([Type.Literal('unverified'), Type.Literal('verified'), Type.Literal('changed')]);

export const ConversationSummary = Type.Object({
  id: Type.String(),
  /** A 1:1 chat (peerUserId set) or a group chat (id = the group id, peerUserId null). */
  kind: Type.Union([Type.Literal('direct'), Type.Literal('group')]),
  title: Type.String(),
  peerUserId: Type.Union([Type.String(), Type.Null()]),
  peerEmail: Type.Union([Type.String(), Type.Null()]),
  lastMessageAt: Type.Integer(),
  /** The last message's text (up to 120 characters); in a group chat after its sender's name ("Alice Archer: …", "You: …"), system messages plain. */
  preview: Type.String(),
  unread: Type.Integer(),
  verification: Verification,
  // This user's choices for the chat, kept on this device (absent = off / empty).
  /** No notifications (until `mutedUntil`, or until unmuted when that is null). */
  muted: Type.Optional(Type.Boolean()),
  mutedUntil: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  /** Listed first, in the order pinned. */
  pinned: Type.Optional(Type.Boolean()),
  /** In the "Archived" section; a new message brings it back unless muted. */
  archived: Type.Optional(Type.Boolean()),
  /** The unsent text of the composer, kept across restarts. */
  draft: Type.Optional(Type.String()),
});
export type ConversationSummary = Static<typeof ConversationSummary>;

export const MessageStatus = Type.Union([
  Type.Literal('sending'), Type.Literal('sent'), Type.Literal('delivered'), Type.Literal('failed'),
  Type.Literal('received'), Type.Literal('system'),
  // Written while the server was unreachable: kept and sent, in order, when the connection returns.
  Type.Literal('queued'),
  // Shown to the recipient in an open chat (their read receipts are on, and the organization allows them).
  Type.Literal('read'),
]);

/** Files: what the UI shows of an attachment (never its key or relay id; those stay in the core). */
export const AttachmentView = Type.Object({
  /** Its position in the message: how previews, saving and opening name it. */
  index: Type.Integer({ minimum: 0 }),
  fileName: Type.String(),
  contentType: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  /** A PNG, JPEG, GIF or WebP image: shown inline (attachments.preview). */
  isImage: Type.Boolean(),
  /** A program or script: never opened by Parley, only saved. */
  isExecutable: Type.Boolean(),
  width: Type.Optional(Type.Integer({ minimum: 1 })),
  height: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type AttachmentView = Static<typeof AttachmentView>;

export const ReactionView = Type.Object({
  emoji: Type.String(),
  count: Type.Integer({ minimum: 1 }),
  /** One of them is mine (choosing it again withdraws it). */
  mine: Type.Boolean(),
  /** Who reacted ("You" for me), for the tooltip and screen readers. */
  names: Type.Array(Type.String()),
});
export type ReactionView = Static<typeof ReactionView>;

/** The quoted message above a reply. */
export const ReplyView = Type.Object({ messageId: Type.String(), authorName: Type.String(), excerpt: Type.String() });
export type ReplyView = Static<typeof ReplyView>;

export const MessageView = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  direction: Type.Union([Type.Literal('in'), Type.Literal('out'), Type.Literal('system')]),
  text: Type.String(),
  senderName: Type.String(),
  sentAt: Type.Integer(),
  status: MessageStatus,
  seq: Type.Integer(),
  /**
   * Shown as a sentence under the message: 'unlisted-device' (sent from a device the directory does not
   * list for that person: it may not be from them), 'held' (a verified contact's unverified device or key:
   * the text stays hidden until the safety number is verified again), 'waiting' (not delivered: the
   * recipient has no active device yet).
   */
  notice: Type.Optional(Type.Union([Type.Literal('unlisted-device'), Type.Literal('held'), Type.Literal('waiting')])),
  replyTo: Type.Optional(ReplyView),
  attachments: Type.Optional(Type.Array(AttachmentView)),
  /** Changed by its author after sending (shown as "edited"). */
  edited: Type.Optional(Type.Boolean()),
  /** Deleted for everyone by its author: text and files are gone; "This message was deleted" remains. */
  deleted: Type.Optional(Type.Boolean()),
  reactions: Type.Optional(Type.Array(ReactionView)),
  /** Sent by a newer Parley in a form this one cannot show: the text is NEEDS_NEWER_VERSION. */
  unknownKind: Type.Optional(Type.Boolean()),
  /** Disappearing: when it is deleted (ms); the chat shows a small timer mark. */
  expiresAt: Type.Optional(Type.Integer()),
  /** Sent by the sender's device on its own: an away reply or a first-contact greeting (business tools). */
  automatic: Type.Optional(Type.Union([Type.Literal('away'), Type.Literal('greeting')])),
});
export type MessageView = Static<typeof MessageView>;

/** A chat's disappearing-messages timer (seconds, null = off) and the longest one the organization allows. */
export const DisappearingView = Type.Object({
  conversationId: Type.String(), seconds: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]), maxSeconds: Type.Integer({ minimum: 1 }),
});
export type DisappearingView = Static<typeof DisappearingView>;

export const DirectoryPerson = Type.Object({
  userId: Type.String(), email: Type.String(), name: Type.String(),
  /** Not signed in on any device yet: a message to them waits for their first device. */
  noDevice: Type.Optional(Type.Boolean()),
});
export type DirectoryPerson = Static<typeof DirectoryPerson>;

export const SafetyNumberView = Type.Object({
  userId: Type.String(), email: Type.String(), name: Type.String(), safetyNumber: Type.String(), status: Verification,
});
export type SafetyNumberView = Static<typeof SafetyNumberView>;

export const Settings = Type.Object({
  notifications: Type.Boolean(),
  /** Tell senders when I have read their messages (default on; the organization may force it off). */
  readReceipts: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });
export type Settings = Static<typeof Settings>;
/** The settings, and what the organization decided for everyone. */
export const SettingsView = Type.Object({
  ...Settings.properties,
  /** The organization's rules turn read receipts off for everyone: the switch is shown off and disabled. */
  readReceiptsForcedOff: Type.Optional(Type.Boolean()),
});
export type SettingsView = Static<typeof SettingsView>;

/** What every send carries besides its text and files. */
export const SendCommon = {
  conversationId: Id,
  replyTo: Type.Optional(Id),
  /** "Send now as urgent": delivered at once to people off work, if the org allows (audited on the server). */
  urgent: Type.Optional(Type.Boolean()),
};
/** Upload ids, as the 'attachments.upload' method returns them. */
export const Uploads = Type.Array(Id, { minItems: 1, maxItems: 10 });

/** The largest file the UI uploads (bytes, before base64). */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** The largest image the UI previews inline (bytes); a bigger one is shown as a file. */
export const MAX_PREVIEW_BYTES = 10 * 1024 * 1024;
/** Base64 (RFC 4648, with padding), up to `bytes` decoded bytes. */
export const Base64Of = (bytes: number) => Type.String({ maxLength: Math.ceil(bytes / 3) * 4, pattern: '^[A-Za-z0-9+/]*={0,2}$' });
/** A file in a message: its message and position. */
export const AttachmentRef = Type.Object({ messageId: Id, index: Type.Integer({ minimum: 0, maximum: 99 }) }, { additionalProperties: false });
/** What saving or opening a file did. 'download': no save dialog here (browser shell): the page downloads `data`. */
export const FileOutcome = Type.Union([
  Type.Object({ outcome: Type.Literal('saved'), fileName: Type.String() }),
  Type.Object({ outcome: Type.Literal('opened'), fileName: Type.String() }),
  Type.Object({ outcome: Type.Literal('cancelled') }),
  Type.Object({ outcome: Type.Literal('download'), fileName: Type.String(), data: Type.String() }),
]);
export type FileOutcome = Static<typeof FileOutcome>;

/** One of your own devices (Settings → Your devices). */
export const OwnDeviceView = Type.Object({
  deviceId: Type.Integer(), name: Type.String(), platform: Type.String(),
  state: Type.Union([Type.Literal('active'), Type.Literal('wipe-pending')]),
  createdAt: Type.Integer(), lastSeen: Type.Integer(),
  /** The device this app runs on. */
  current: Type.Boolean(),
});
export type OwnDeviceView = Static<typeof OwnDeviceView>;

export const AdminDeviceView = Type.Object({
  id: Type.String(), deviceId: Type.Integer(), name: Type.String(),
  state: Type.Union([Type.Literal('active'), Type.Literal('wipe-pending'), Type.Literal('wiped'), Type.Literal('revoked')]),
  createdAt: Type.Integer(), lastSeen: Type.Integer(),
});
export const ProvisioningState = Type.Union([Type.Literal('provisioned'), Type.Literal('just-in-time'), Type.Literal('deactivated')]);
export const AdminUserView = Type.Object({
  userId: Type.String(), email: Type.String(), name: Type.String(), orgAdmin: Type.Boolean(), devices: Type.Array(AdminDeviceView),
  /** SCIM: written by the company directory, signed in just in time, or deactivated by the directory. */
  provisioning: ProvisioningState,
});
export type AdminUserView = Static<typeof AdminUserView>;
export const AuditEntryView = Type.Object({
  id: Type.Integer(), at: Type.Integer(), actor: Type.String(), action: Type.String(), target: Type.String(),
  reason: Type.String(), outcome: Type.String(),
  /** The entry's other facts, readable ("group: Finance, role: admin"); '' if none. */
  details: Type.String(),
});
export type AuditEntryView = Static<typeof AuditEntryView>;
export const AdminTarget = Type.Object({
  /** Every device of this user… */
  email: Type.Optional(Email),
  /** …or exactly one device, as `<userId>.<deviceId>` (AdminDeviceView.id). */
  device: Type.Optional(Type.String({ pattern: '^u_[A-Za-z0-9_-]{22}\\.[1-9][0-9]{0,6}$' })),
  reason: Type.String({ maxLength: 500 }),
}, { additionalProperties: false });

export const GroupRole = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);
export const GroupMemberView = Type.Object({
  userId: Type.String(), email: Type.String(), name: Type.String(), role: GroupRole,
  /** Brought in by the linked directory group: only the directory removes them. */
  viaScim: Type.Boolean(),
  you: Type.Boolean(),
});
export type GroupMemberView = Static<typeof GroupMemberView>;
export const GroupSummaryView = Type.Object({
  id: Type.String(), name: Type.String(), announcement: Type.Boolean(), confidential: Type.Boolean(),
  /** Directory-linked: membership follows this SCIM group. */
  scimGroupId: Type.Optional(Type.String()),
  /** Your role; null for an org admin who is not a member. */
  role: Type.Union([GroupRole, Type.Null()]),
});
export const GroupView = Type.Object({
  ...GroupSummaryView.properties,
  /** The members you may see (confidential groups: plain members see the admins and themselves). */
  members: Type.Array(GroupMemberView),
  /** The true member count, also in confidential groups. */
  memberCount: Type.Integer(),
  /** You may add, remove, promote/demote and change settings (group admin or org admin). */
  canManage: Type.Boolean(),
  /** You may post (a member; only admins in announcement groups). */
  canPost: Type.Boolean(),
});
export type GroupView = Static<typeof GroupView>;
export const AdminGroupView = Type.Object({ ...GroupSummaryView.properties, memberCount: Type.Integer() });
export type AdminGroupView = Static<typeof AdminGroupView>;
/** A SCIM group pushed by the company directory, which a group can follow (org admins only). */
export const DirectoryGroupView = Type.Object({ id: Type.String(), displayName: Type.String(), memberCount: Type.Integer() });
export type DirectoryGroupView = Static<typeof DirectoryGroupView>;
/** A SCIM group's id, as the directory gave it. */
export const ScimGroupId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
export const GroupMemberInput = Type.Object({ groupId: GroupId, email: Email }, { additionalProperties: false });

/** A message that matches a search (search.messages): where it is, who sent it, and the matched words. */
export const SearchHitView = Type.Object({
  messageId: Type.String(), conversationId: Type.String(), conversationTitle: Type.String(),
  senderName: Type.String(), direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  /** The message text, or an excerpt of a long one around the first matched word ("…" where cut). */
  text: Type.String(),
  /** The matched words in `text`: [start, end) offsets, in order. */
  matches: Type.Array(Type.Tuple([Type.Integer(), Type.Integer()])),
  sentAt: Type.Integer(), seq: Type.Integer(),
});
export type SearchHitView = Static<typeof SearchHitView>;
export const ChatRef = { conversationId: Id };

// ---- business tools (issue #15) ----
export const BusinessProfileView = Type.Object({
  profile: Type.Union([CompanyProfile, Type.Null()]),
  /** The logo, checked on this device (PNG/JPEG by its bytes, size, hash), as base64; absent if none or refused. */
  logo: Type.Optional(Type.Object({ contentType: Type.Union([Type.Literal('image/png'), Type.Literal('image/jpeg')]), data: Type.String() })),
});
export type BusinessProfileView = Static<typeof BusinessProfileView>;
export const SetProfileInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.String({ maxLength: 2000 }),
  website: Type.String({ maxLength: 300 }),
  support: Type.String({ maxLength: 200 }),
  officeHours: Type.String({ maxLength: 300 }),
  logo: Type.Optional(Type.Union([Type.String({ maxLength: 360_000, pattern: '^[A-Za-z0-9+/]*={0,2}$' }), Type.Null()])),
}, { additionalProperties: false });
export const AwayView = Type.Object({
  name: Type.Optional(Type.String()),
  text: Type.String(),
  until: Type.Optional(Type.Integer()),
  outsideWorkingHours: Type.Boolean(),
});
export type AwayView = Static<typeof AwayView>;
export const AutoRepliesView = Type.Object({
  away: Type.Union([Type.Object({ ...AwayView.properties, publish: Type.Boolean(), awayNow: Type.Boolean() }), Type.Null()]),
  greeting: Type.Union([Type.String(), Type.Null()]),
});
export type AutoRepliesView = Static<typeof AutoRepliesView>;
export const SetAwayInput = Type.Object({
  text: Type.String({ minLength: 1, maxLength: 500 }),
  until: Type.Optional(Type.Integer({ minimum: 0 })),
  outsideWorkingHours: Type.Boolean(),
  publish: Type.Boolean(),
}, { additionalProperties: false });
export const QuickReplyView = Type.Object({
  shortcut: Type.String({ pattern: '^/[A-Za-z0-9_-]{1,32}$' }),
  text: Type.String({ minLength: 1, maxLength: 2000 }),
}, { additionalProperties: false });
export type QuickReplyView = Static<typeof QuickReplyView>;
export const StatsRow = { sent: Type.Integer(), delivered: Type.Integer(), read: Type.Integer() };
export const MyStatsView = Type.Object({
  days: Type.Array(Type.Object({ day: Type.String(), ...StatsRow })),
  conversations: Type.Array(Type.Object({ conversationId: Type.String(), title: Type.String(), ...StatsRow })),
  totals: Type.Object(StatsRow),
});
export type MyStatsView = Static<typeof MyStatsView>;
