// Over 400 lines because it is the one allowlist of app methods: every method's input and output schema side by side.
// The one typed API between the UI (renderer) and the client core. The Electron preload exposes it as
// `window.parley` over IPC; the browser shell exposes the same methods over its loopback bridge. Every
// call's input is validated against these schemas by the handlers before anything runs, whichever
// transport carried it.
import { Type, type Static, type TSchema } from 'typebox';
import { AdminStats, CompanyProfile } from '../wire/business.ts';
import { AdminConsentList, WorkingHours, WorkingHoursView } from '../wire/workplace.ts';

const Id = Type.String({ minLength: 1, maxLength: 80, pattern: '^[A-Za-z0-9_-]+$' });
const Email = Type.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' });
const NoArgs = Type.Object({}, { additionalProperties: false });

/** 'workplace.availability': people of a chat who are off work now. */
export const ChatAvailability = Type.Object({
  offWork: Type.Array(Type.Object({ userId: Type.String(), name: Type.String(), offUntil: Type.Integer(), timeZone: Type.String() })),
  /** The org lets me send urgent messages past someone's working hours. */
  urgentAllowed: Type.Boolean(),
});
export type ChatAvailability = Static<typeof ChatAvailability>;
/** A group's id (also its conversation id): `g_` + 22 base64url characters. */
const GroupId = Type.String({ pattern: '^g_[A-Za-z0-9_-]{22}$' });
const GroupName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });

const Phase = Type.Union([
  Type.Literal('signed-out'), // no device on this profile yet
  Type.Literal('signing-in'), // waiting for the browser to come back from the IdP
  Type.Literal('consent'), // signed in; the company's messaging policy is not yet accepted
  Type.Literal('ready'),
  Type.Literal('locked'), // store stays closed (offline lease ran out; remote-wipe issue)
  Type.Literal('wiped'), // this device was wiped (remote-wipe issue)
  Type.Literal('problem'), // an explained, recoverable state (e.g. the OS keychain changed)
]);

const Me = Type.Object({
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

const Verification = Type.Union([Type.Literal('unverified'), Type.Literal('verified'), Type.Literal('changed')]);

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

const MessageStatus = Type.Union([
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
const SendCommon = {
  conversationId: Id,
  replyTo: Type.Optional(Id),
  /** "Send now as urgent": delivered at once to people off work, if the org allows (audited on the server). */
  urgent: Type.Optional(Type.Boolean()),
};
/** Upload ids, as the 'attachments.upload' method returns them. */
const Uploads = Type.Array(Id, { minItems: 1, maxItems: 10 });

/** The largest file the UI uploads (bytes, before base64). */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** The largest image the UI previews inline (bytes); a bigger one is shown as a file. */
export const MAX_PREVIEW_BYTES = 10 * 1024 * 1024;
/** Base64 (RFC 4648, with padding), up to `bytes` decoded bytes. */
const Base64Of = (bytes: number) => Type.String({ maxLength: Math.ceil(bytes / 3) * 4, pattern: '^[A-Za-z0-9+/]*={0,2}$' });
/** A file in a message: its message and position. */
const AttachmentRef = Type.Object({ messageId: Id, index: Type.Integer({ minimum: 0, maximum: 99 }) }, { additionalProperties: false });
/** What saving or opening a file did. 'download': no save dialog here (browser shell): the page downloads `data`. */
const FileOutcome = Type.Union([
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

const AdminDeviceView = Type.Object({
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
const AdminTarget = Type.Object({
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
const GroupSummaryView = Type.Object({
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
const ScimGroupId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const GroupMemberInput = Type.Object({ groupId: GroupId, email: Email }, { additionalProperties: false });

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
const ChatRef = { conversationId: Id };

// ---- business tools (issue #15) ----
export const BusinessProfileView = Type.Object({
  profile: Type.Union([CompanyProfile, Type.Null()]),
  /** The logo, checked on this device (PNG/JPEG by its bytes, size, hash), as base64; absent if none or refused. */
  logo: Type.Optional(Type.Object({ contentType: Type.Union([Type.Literal('image/png'), Type.Literal('image/jpeg')]), data: Type.String() })),
});
export type BusinessProfileView = Static<typeof BusinessProfileView>;
const SetProfileInput = Type.Object({
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
const SetAwayInput = Type.Object({
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
const StatsRow = { sent: Type.Integer(), delivered: Type.Integer(), read: Type.Integer() };
export const MyStatsView = Type.Object({
  days: Type.Array(Type.Object({ day: Type.String(), ...StatsRow })),
  conversations: Type.Array(Type.Object({ conversationId: Type.String(), title: Type.String(), ...StatsRow })),
  totals: Type.Object(StatsRow),
});
export type MyStatsView = Static<typeof MyStatsView>;

/** Method name → input and output schema. Names are also the IPC channel names (prefixed `parley:`). */
export const Methods = {
  'state.get': { input: NoArgs, output: AppState },
  'auth.signIn': { input: NoArgs, output: Type.Object({ url: Type.String() }) },
  'policy.accept': { input: Type.Object({ version: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }), output: AppState },
  'conversations.list': { input: NoArgs, output: Type.Array(ConversationSummary) },
  'conversations.open': { input: Type.Object({ email: Email }, { additionalProperties: false }), output: ConversationSummary },
  'conversations.markRead': { input: Type.Object({ conversationId: Id }, { additionalProperties: false }), output: Type.Null() },
  'conversations.disappearing': { input: Type.Object({ conversationId: Id }, { additionalProperties: false }), output: DisappearingView },
  /** Sets (seconds, within maxSeconds) or turns off (null) the chat's timer; it is sent end-to-end encrypted to the others. */
  'conversations.setDisappearing': {
    input: Type.Object({ conversationId: Id, seconds: Type.Union([Type.Integer({ minimum: 1, maximum: 366 * 24 * 3600 }), Type.Null()]) }, { additionalProperties: false }),
    output: DisappearingView,
  },
  'messages.list': {
    input: Type.Object({
      conversationId: Id,
      beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    }, { additionalProperties: false }),
    output: Type.Array(MessageView),
  },
  'messages.send': {
    // Text, or files (with or without text): an empty message is refused here already.
    input: Type.Union([
      Type.Object({ ...SendCommon, text: Type.String({ minLength: 1, maxLength: 8000 }), attachments: Type.Optional(Uploads) }, { additionalProperties: false }),
      Type.Object({ ...SendCommon, text: Type.String({ maxLength: 8000 }), attachments: Uploads }, { additionalProperties: false }),
    ]),
    output: MessageView,
  },
  /** One reaction per person per message: a new emoji replaces mine; `remove` withdraws it. */
  'messages.react': {
    input: Type.Object({ messageId: Id, emoji: Type.String({ minLength: 1, maxLength: 32 }), remove: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    output: Type.Null(),
  },
  /** Only my own messages, within 24 hours of sending. */
  'messages.edit': {
    input: Type.Object({ messageId: Id, text: Type.String({ minLength: 1, maxLength: 8000, pattern: '\\S' }) }, { additionalProperties: false }),
    output: MessageView,
  },
  /** For everyone (my own messages only: "This message was deleted" remains) or for me (this device only). */
  'messages.delete': { input: Type.Object({ messageId: Id, forEveryone: Type.Boolean() }, { additionalProperties: false }), output: Type.Null() },
  /** Typing indicators: never stored; the UI throttles them. */
  'messages.typing': {
    input: Type.Object({ conversationId: Id, state: Type.Union([Type.Literal('started'), Type.Literal('stopped')]) }, { additionalProperties: false }),
    output: Type.Null(),
  },
  /** Encrypts and uploads a file to attach to the next message; the answer's uploadId goes into messages.send. */
  'attachments.upload': {
    input: Type.Object({
      fileName: Type.String({ minLength: 1, maxLength: 255 }),
      contentType: Type.String({ maxLength: 255 }),
      data: Base64Of(MAX_UPLOAD_BYTES),
    }, { additionalProperties: false }),
    output: Type.Object({ uploadId: Type.String(), fileName: Type.String(), size: Type.Integer(), isImage: Type.Boolean() }),
  },
  /** An image's bytes (base64) for the inline preview: images up to MAX_PREVIEW_BYTES only. */
  'attachments.preview': { input: AttachmentRef, output: Type.Object({ contentType: Type.String(), data: Type.String() }) },
  /** Saves a file where the user chooses (Electron: the save dialog; browser shell: a download). */
  'attachments.save': { input: AttachmentRef, output: FileOutcome },
  /** Saves a file to Downloads, then opens it with its app; programs and scripts are refused (save them instead). */
  'attachments.open': { input: AttachmentRef, output: FileOutcome },
  'directory.search': { input: Type.Object({ query: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }), output: Type.Array(DirectoryPerson) },
  'safety.get': { input: Type.Object({ userId: Id }, { additionalProperties: false }), output: SafetyNumberView },
  'safety.markVerified': { input: Type.Object({ userId: Id }, { additionalProperties: false }), output: SafetyNumberView },
  /** From the `problem` state (e.g. the OS keychain changed): erase this device's data and sign in anew. */
  'device.reset': { input: NoArgs, output: AppState },
  // Org admins only (the server refuses everyone else with 403).
  'admin.users': { input: NoArgs, output: Type.Array(AdminUserView) },
  'admin.wipe': { input: AdminTarget, output: Type.Object({ devices: Type.Integer() }) },
  'admin.revoke': { input: AdminTarget, output: Type.Object({ devices: Type.Integer() }) },
  'admin.audit': { input: NoArgs, output: Type.Array(AuditEntryView) },
  'admin.groups': { input: NoArgs, output: Type.Array(AdminGroupView) },
  /** The SCIM groups a group can follow, by name. */
  'admin.directoryGroups': { input: NoArgs, output: Type.Array(DirectoryGroupView) },
  // Groups: run by their admins and by org admins (the server enforces the rules of common/wire/groups.ts).
  'groups.list': { input: NoArgs, output: Type.Array(GroupSummaryView) },
  'groups.create': {
    input: Type.Object({
      name: GroupName,
      emails: Type.Array(Email, { maxItems: 999 }),
      announcement: Type.Boolean(),
      confidential: Type.Boolean(),
      /** Org admins only: the group follows this SCIM group (its id); hand-picked emails may then be empty. */
      directoryGroup: Type.Optional(ScimGroupId),
    }, { additionalProperties: false }),
    output: GroupView,
  },
  'groups.info': { input: Type.Object({ groupId: GroupId }, { additionalProperties: false }), output: GroupView },
  /** The outputs: the group as it is now (null if you can no longer see it). */
  'groups.addMember': { input: GroupMemberInput, output: Type.Union([GroupView, Type.Null()]) },
  'groups.removeMember': { input: GroupMemberInput, output: Type.Union([GroupView, Type.Null()]) },
  'groups.setRole': {
    input: Type.Object({ groupId: GroupId, email: Email, role: Type.Union([Type.Literal('admin'), Type.Literal('member')]) }, { additionalProperties: false }),
    output: Type.Union([GroupView, Type.Null()]),
  },
  'groups.update': {
    input: Type.Object({
      groupId: GroupId, name: Type.Optional(GroupName), announcement: Type.Optional(Type.Boolean()), confidential: Type.Optional(Type.Boolean()),
      /** Org admins only: follow this SCIM group (its id), or null to stop following the directory. */
      scimGroupId: Type.Optional(Type.Union([ScimGroupId, Type.Null()])),
    }, { additionalProperties: false }),
    output: GroupView,
  },
  'groups.leave': { input: Type.Object({ groupId: GroupId }, { additionalProperties: false }), output: Type.Null() },
  'devices.list': { input: NoArgs, output: Type.Array(OwnDeviceView) },
  'devices.rename': { input: Type.Object({ name: Type.String({ minLength: 1, maxLength: 64, pattern: '\\S' }) }, { additionalProperties: false }), output: OwnDeviceView },
  'devices.remove': { input: Type.Object({ deviceId: Type.Integer({ minimum: 1, maximum: 9_999_999 }) }, { additionalProperties: false }), output: Type.Null() },
  /** Ends this device's registration on the server (audited), then deletes its local store: back to sign-in. */
  'device.signOut': { input: NoArgs, output: AppState },
  /** Opens an http(s) link from a message in the system browser (the UI showed the full address first). */
  'links.open': { input: Type.Object({ url: Type.String({ minLength: 8, maxLength: 2048 }) }, { additionalProperties: false }), output: Type.Null() },
  'settings.get': { input: NoArgs, output: SettingsView },
  /** Changes the settings given; the others stay. */
  'settings.set': {
    input: Type.Object({ notifications: Type.Optional(Type.Boolean()), readReceipts: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    output: SettingsView,
  },
  /** Full-text search over the messages on this device; the query is taken literally (words, the last a prefix). */
  'search.messages': {
    input: Type.Object({
      query: Type.String({ maxLength: 200 }), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), conversationId: Type.Optional(Id),
    }, { additionalProperties: false }),
    output: Type.Array(SearchHitView),
  },
  /** Mute for `forSeconds`, or until unmuted when absent. */
  'chats.setMuted': {
    input: Type.Object({ ...ChatRef, muted: Type.Boolean(), forSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 366 * 86_400 })) }, { additionalProperties: false }),
    output: ConversationSummary,
  },
  'chats.setPinned': { input: Type.Object({ ...ChatRef, pinned: Type.Boolean() }, { additionalProperties: false }), output: ConversationSummary },
  /** Archiving also unpins. */
  'chats.setArchived': { input: Type.Object({ ...ChatRef, archived: Type.Boolean() }, { additionalProperties: false }), output: ConversationSummary },
  /** Keeps the composer's unsent text ('' clears it). */
  // Working hours and consent on record (issue #14; electron/app/handlers/workplace.ts).
  'workplace.hours': { input: NoArgs, output: WorkingHoursView },
  /** Own hours within the organization's (the server explains a refusal). */
  'workplace.setHours': { input: WorkingHours, output: WorkingHoursView },
  /** Back to the organization's hours. */
  'workplace.resetHours': { input: NoArgs, output: WorkingHoursView },
  /** Who in this chat is off work now (a message sent now reaches them at offUntil), and whether I may send urgent. */
  'workplace.availability': { input: Type.Object({ conversationId: Id }, { additionalProperties: false }), output: ChatAvailability },
  /** Org admins: who accepted which version of the messaging policy, when, from which device. */
  'admin.consent': { input: NoArgs, output: AdminConsentList },
  'chats.setDraft': { input: Type.Object({ ...ChatRef, text: Type.String({ maxLength: 8000 }) }, { additionalProperties: false }), output: Type.Null() },
  // Business tools (issue #15; electron/app/handlers/business.ts).
  /** The company profile; `logo` is the checked image as base64 (the UI shows it as a blob: URL). */
  'business.profile': { input: NoArgs, output: BusinessProfileView },
  /** Org admins. `logo`: base64 of a PNG/JPEG to upload, null to remove, absent to keep. */
  'business.setProfile': { input: SetProfileInput, output: BusinessProfileView },
  /** The org's welcome message if this device has not shown it yet (it is then marked shown), else null. */
  'business.unseenWelcome': { input: NoArgs, output: Type.Object({ text: Type.Union([Type.String(), Type.Null()]) }) },
  /** Org admins: the current welcome message / set it (null or '' removes it). */
  'business.welcome': { input: NoArgs, output: Type.Object({ text: Type.Union([Type.String(), Type.Null()]) }) },
  'business.setWelcome': { input: Type.Object({ text: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]) }, { additionalProperties: false }), output: Type.Object({ text: Type.Union([Type.String(), Type.Null()]) }) },
  /** My away message and greeting (Settings). */
  'business.autoReplies': { input: NoArgs, output: AutoRepliesView },
  'business.setAway': { input: SetAwayInput, output: AutoRepliesView },
  'business.awayOff': { input: NoArgs, output: AutoRepliesView },
  'business.setGreeting': { input: Type.Object({ text: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]) }, { additionalProperties: false }), output: AutoRepliesView },
  /** Before writing in a 1:1 chat: the other person's published away message, if it applies now. */
  'business.awayOf': { input: Type.Object({ conversationId: Id }, { additionalProperties: false }), output: Type.Object({ away: Type.Union([AwayView, Type.Null()]) }) },
  'business.quickReplies': { input: NoArgs, output: Type.Array(QuickReplyView) },
  'business.addQuickReply': { input: QuickReplyView, output: Type.Array(QuickReplyView) },
  'business.removeQuickReply': { input: Type.Object({ shortcut: QuickReplyView.properties.shortcut }, { additionalProperties: false }), output: Type.Array(QuickReplyView) },
  /** My own statistics, computed on this device. */
  'business.stats': { input: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) }, { additionalProperties: false }), output: MyStatsView },
  /** Org admins: daily totals; null = below the k-anonymity threshold. */
  'business.adminStats': { input: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) }, { additionalProperties: false }), output: AdminStats },
} as const satisfies Record<string, { input: TSchema; output: TSchema }>;

export type MethodName = keyof typeof Methods;
export type Input<M extends MethodName> = Static<(typeof Methods)[M]['input']>;
export type Output<M extends MethodName> = Static<(typeof Methods)[M]['output']>;

/** Pushed from the core to the UI. */
export type AppEvent =
  | { type: 'state'; state: AppState }
  | { type: 'message'; message: MessageView }
  | { type: 'status'; conversationId: string; messageIds: string[]; status: Static<typeof MessageStatus> }
  | { type: 'conversations' }
  /** A shown message changed (edited, deleted for everyone, reactions): replace it where it is. */
  | { type: 'messageUpdated'; message: MessageView }
  /** Deleted for me (on this device), or its disappearing timer / the org's retention ran out: take it out. */
  | { type: 'messageRemoved'; conversationId: string; messageId: string }
  /** Someone is typing in a conversation; 'stopped' (or silence for a few seconds) ends it. */
  | { type: 'typing'; conversationId: string; userId: string; name: string; state: 'started' | 'stopped' };

/** What `window.parley` looks like to the renderer. */
export interface ParleyApi {
  call<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>>;
  /** Returns an unsubscribe function. */
  onEvent(listener: (event: AppEvent) => void): () => void;
}
