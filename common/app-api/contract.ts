// The one typed API between the UI (renderer) and the client core. The Electron preload exposes it as
// `window.parley` over IPC; the browser shell exposes the same methods over its loopback bridge. Every
// call's input is validated against these schemas by the handlers before anything runs, whichever
// transport carried it.
import { Type, type Static, type TSchema } from 'typebox';
import { AdminStats } from '../wire/business.ts';
import { AdminConsentList, WorkingHours, WorkingHoursView } from '../wire/workplace.ts';
import {
  Id, Email, NoArgs, ChatAvailability, GroupId, GroupName, AppState, ConversationSummary, MessageStatus,
  MessageView, DisappearingView, DirectoryPerson, SafetyNumberView, Settings, SettingsView, SendCommon, Uploads,
  MAX_UPLOAD_BYTES, MAX_PREVIEW_BYTES, Base64Of, AttachmentRef, FileOutcome, OwnDeviceView, AdminUserView,
  AuditEntryView, AdminTarget, GroupSummaryView, GroupView, AdminGroupView, DirectoryGroupView, ScimGroupId,
  GroupMemberInput, SearchHitView, ChatRef, BusinessProfileView, SetProfileInput, AwayView, AutoRepliesView,
  SetAwayInput, QuickReplyView, MyStatsView,
} from './views.ts';

// The views and inputs (views.ts) are part of this contract: importers keep using contract.ts.
export * from './views.ts';

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
