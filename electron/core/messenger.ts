// The client core: one signed-in device. Used alike by the CLI, the desktop app (through IPC handlers)
// and the browser shell. Plain Node; never imports 'electron'.
//
// Messenger is the facade; the work is done by the parts it wires together (as Signal Desktop's
// AccountManager / MessageSender / MessageReceiver): account/ (registration, profile.json, prekeys,
// preferences), protocol/ (Signal state on the store), directory/ (contacts, device lists), trust/
// (safety numbers), outgoing/ (1:1 sends, sessions), incoming/ (envelopes, receipts, the delivery socket),
// groups/, conversations/, admin/. The store and the server client stay private to the core.
import { dirname } from 'node:path';
import { SignalParty } from '../../crypto/signal.ts';
import type * as G from '../../common/wire/groups.ts';
import type * as W from '../../common/wire/schemas.ts';
import { ApiClient } from './net/api.ts';
import { LocalStore, type Contact, type Conversation, type StoredMessage } from './store/local-store.ts';
import type { Reaction } from './store/message-queries.ts';
import { readProfileInfo } from './account/profile.ts';
import { defaultVault, hasStore, registerDevice, type LoginMethod } from './account/registration.ts';
import { maintainKeys, refillPreKeys } from './account/prekeys.ts';
import { Preferences } from './account/preferences.ts';
import { StoreProtocolState } from './protocol/store-protocol-state.ts';
import { EncryptPool, poolOptionsFromEnv } from './outgoing/encrypt-pool.ts';
import { Contacts } from './directory/contacts.ts';
import { Trust, type SafetyNumberView, type VerificationStatus } from './trust/trust.ts';
import { Sessions } from './outgoing/sessions.ts';
import { Sender, type SentMessage } from './outgoing/sender.ts';
import type { ControlContent, MessageInput } from './outgoing/content.ts';
import { MessageActions, type SentRecord } from './messages/actions.ts';
import { history, type HistoryItem } from './messages/history.ts';
import type { ReadReceiptState } from './messages/read-policy.ts';
import { EnvelopeHandler } from './incoming/envelopes.ts';
import { Receipts } from './incoming/receipts.ts';
import { ReceiveLoop } from './incoming/receive-loop.ts';
import { SenderChecks } from './incoming/sender-check.ts';
import { VerifiedSync } from './incoming/verified-sync.ts';
import type { EnvelopeOutcome, ReceiveOptions } from './incoming/types.ts';
import { GroupViews, type GroupView } from './groups/group-views.ts';
import { GroupSync } from './groups/group-sync.ts';
import { GroupActions, type CreateGroupOptions } from './groups/group-actions.ts';
import { GroupSender, type SentGroupMessage } from './groups/group-sender.ts';
import { Conversations } from './conversations/conversations.ts';
import { Admin } from './admin/admin.ts';
import { OwnDevices } from './devices/devices.ts';
import { Outbox } from './outbox/outbox.ts';
import { Attachments } from './attachments/attachments.ts';
import { Business } from './business/business.ts';
import { Workplace } from './workplace/workplace.ts';
import { Retention, type DisappearingState } from './retention/retention.ts';
import { MessageSearch, type SearchHit } from './search/search.ts';
import { ChatSettingsStore } from './chats/chat-settings.ts';
import { UsageError, type Account, type CoreContext, type MessengerOptions } from './context.ts';

export { PermissionError, UsageError, type Account, type MessengerOptions } from './context.ts';
export { PROFILE_FILE, readProfileInfo, type ProfileInfo } from './account/profile.ts';
export { defaultVault, type LoginMethod } from './account/registration.ts';
export { forgetThisDevice, type OwnDevice } from './devices/devices.ts';
export { IntegrityError, type SavedAttachment, type UploadInput } from './attachments/attachments.ts';
export { asWipeRequest, WipeRequestedError } from './lifecycle/wipe-request.ts';
export { SafetyNumberChangedError, type VerificationStatus } from './trust/trust.ts';
export type { EnvelopeOutcome, ReceivedEvent, ReceivedMessage, RejectedEnvelope } from './incoming/types.ts';
export type { MessageInput, ControlContent } from './outgoing/content.ts';
export type { Recipient, SentMessage } from './outgoing/sender.ts';
export type { SentRecord } from './messages/actions.ts';
export type { HistoryItem } from './messages/history.ts';
export type { ReadReceiptState } from './messages/read-policy.ts';
export type { GroupMemberView, GroupView } from './groups/group-views.ts';
export type { DisappearingState, Expired } from './retention/retention.ts';
export type { SearchHit } from './search/search.ts';
export { MUTED_FOREVER, type ChatSettings, type NotificationContent } from './chats/chat-settings.ts';

/** Signs this machine in as a new device and creates the profile. Nothing is written unless it all works. */
export async function loginNewDevice(
  profileDir: string, serverUrl: string, method: LoginMethod, opts: MessengerOptions = {},
): Promise<Messenger> {
  const { store, api } = await registerDevice(profileDir, serverUrl, method, opts);
  return new Messenger(store, api, opts);
}

export class Messenger {
  /** Org-admin actions (the server checks the role). */
  readonly admin: Admin;
  /** Your own devices: list, rename this one, remove another, end this one's registration (devices/devices.ts). */
  readonly devices: OwnDevices;
  /** Messages not sent yet: kept while the server was unreachable, or waiting for a first device (outbox/outbox.ts). */
  readonly outbox: Outbox;
  /** End-to-end encrypted files: upload, download, save, read (previews), isExecutable (attachments/attachments.ts). */
  readonly attachments: Attachments;
  /** Company profile, away and greeting messages, quick replies, statistics (business/business.ts). */
  readonly business: Business;
  /** Working hours (the relay holds messages for people off work) and consent on record (workplace/workplace.ts). */
  readonly workplace: Workplace;
  /** Org retention and disappearing messages (retention/): purges, and the timers while the app runs. */
  readonly retention: Retention;
  /** Per-chat mute, pin, archive and draft, and the organization's rule for notification content (chats/chat-settings.ts). */
  readonly chatSettings: ChatSettingsStore;
  private readonly searcher: MessageSearch;
  private readonly ctx: CoreContext;
  private readonly contacts: Contacts;
  private readonly trust: Trust;
  private readonly sender: Sender;
  private readonly envelopes: EnvelopeHandler;
  private readonly loop: ReceiveLoop;
  private readonly groupViews: GroupViews;
  private readonly groupSync: GroupSync;
  private readonly groupActions: GroupActions;
  private readonly groupSender: GroupSender;
  private readonly chats: Conversations;
  private readonly prefs: Preferences;
  private readonly actions: MessageActions;

  constructor(private readonly store: LocalStore, private readonly api: ApiClient, opts: MessengerOptions = {}) {
    const account = store.getJson<Account>('account');
    const credential = store.getMeta('credential');
    if (!account || !credential) throw new UsageError('this profile has no account; run parley login');
    api.setCredential(credential);
    const now = opts.now ?? Date.now;
    // The protocol state reports identity changes to the trust layer, which needs the context: wired lazily.
    const protocol = new StoreProtocolState(store, (peer) => this.trust.identityChanged(peer), now);
    const party = new SignalParty(protocol);
    const warn = opts.warn ?? (() => {});
    const encryptPool = opts.encryptPool === false ? undefined : new EncryptPool(opts.encryptPool ?? poolOptionsFromEnv(), warn);
    this.ctx = {
      store, api, party, protocol, ...(encryptPool ? { encryptPool } : {}), account, now: () => now(), warn,
      grantFiles: (messageId, files, recipients) => this.attachments.grant(messageId, files, recipients),
    };
    this.contacts = new Contacts(this.ctx);
    const checks = new SenderChecks(this.ctx, this.contacts);
    this.trust = new Trust(this.ctx, this.contacts, checks);
    const sessions = new Sessions(this.ctx, this.contacts);
    this.sender = new Sender(this.ctx, this.contacts.forSending(), this.trust, sessions);
    this.groupViews = new GroupViews(this.ctx, this.contacts);
    this.groupSync = new GroupSync(this.ctx, this.contacts, this.groupViews);
    this.groupActions = new GroupActions(this.ctx, this.contacts, this.groupViews, this.groupSync);
    this.groupSender = new GroupSender(this.ctx, this.contacts, sessions, this.groupViews);
    this.envelopes = new EnvelopeHandler(this.ctx, this.contacts, this.groupSync, checks, new VerifiedSync(this.ctx, this.contacts, checks),
      (c) => this.business.quickReplies.apply(c));
    const receipts = new Receipts(this.ctx, this.sender);
    this.loop = new ReceiveLoop(this.ctx, this.envelopes, receipts, this.groupSync, () => refillPreKeys(this.ctx), async () => {
      await receipts.flush();
      await this.actions.readReceipts.flush();
      await this.sender.sendWaiting();
      await maintainKeys(this.ctx);
    });
    this.chats = new Conversations(this.ctx, this.contacts);
    this.prefs = new Preferences(this.ctx);
    this.actions = new MessageActions(this.ctx, this.contacts, this.sender, this.groupSender, this.groupViews);
    this.admin = new Admin(api);
    this.devices = new OwnDevices(api, account.deviceId);
    this.outbox = new Outbox(this.ctx);
    this.attachments = new Attachments(this.ctx, dirname(store.path));
    this.business = new Business(this.ctx, {
      send: (email, input) => this.send({ email }, input), deliverToSelf: (bytes, key) => this.sender.deliverToSelf(bytes, key),
    });
    this.workplace = new Workplace(this.ctx);
    this.chatSettings = new ChatSettingsStore(this.ctx);
    this.searcher = new MessageSearch(this.ctx);
    // After a purge the files of the messages that went leave this device too.
    this.retention = new Retention(this.ctx, async () => { await this.attachments.sweep(); });
  }

  /** Opens an existing profile. Fails without creating anything when there is none. */
  static async open(profileDir: string, opts: MessengerOptions = {}): Promise<Messenger> {
    const info = readProfileInfo(profileDir);
    if (!info || !hasStore(profileDir)) {
      throw new UsageError(`no Parley profile at ${profileDir}; sign in first with: parley --profile ${profileDir} login --server URL`);
    }
    const vault = opts.vault ?? defaultVault(profileDir);
    const store = await LocalStore.open(profileDir, vault);
    const m = new Messenger(store, new ApiClient(info.server), opts);
    // At every launch, before anything is shown: what is past its timer or the org's retention goes (the rules as last fetched).
    await m.retention.purge().catch((err: Error) => m.ctx.warn(`could not delete expired messages: ${err.message}`));
    // …and the files of messages deleted or expired since the last run.
    await m.attachments.sweep().catch((err: Error) => m.ctx.warn(`could not clean up attachment files: ${err.message}`));
    return m;
  }

  close(): void {
    this.retention.stop();
    void this.ctx.encryptPool?.close();
    this.store.close();
  }

  get me(): Readonly<Account> {
    return this.ctx.account;
  }

  // ---- directory and trust ----

  /** Resolves an email through the company directory and remembers the person as a contact. */
  resolveContact(email: string): Promise<{ contact: Contact; entry: W.DirectoryEntry }> { return this.contacts.resolve(email); }
  /** A contact already known on this device (no network). */
  contact(userId: string): Contact | undefined { return this.contacts.known(userId); }
  searchDirectory(query: string): Promise<W.DirectoryEntry[]> { return this.contacts.search(query); }

  verificationStatus(userId: string): VerificationStatus { return this.trust.verificationStatus(userId); }
  /** The safety number with `email` over all devices of both; see trust/trust.ts. */
  safetyNumber(email: string): Promise<SafetyNumberView> { return this.trust.safetyNumber(email); }
  /** Marks the current safety number as compared out of band; from now on only these keys are trusted. */
  async markVerified(email: string): Promise<{ contact: Contact; safetyNumber: string }> {
    const v = await this.trust.markVerified(email);
    // The user's other devices learn it end-to-end encrypted (incoming/verified-sync.ts); failing that is a warning.
    await this.sender.syncVerified(v.contact.userId, v.keys, v.safetyNumber)
      .catch((err: Error) => this.ctx.warn(`could not tell your other devices about this verification: ${err.message}`));
    return { contact: v.contact, safetyNumber: v.safetyNumber };
  }

  // ---- sending and receiving ----

  sendText(email: string, text: string): Promise<SentMessage> { return this.sender.sendText(email, text); }
  /** Sends a message (text and/or files, optionally a reply) to a person or a group (name or id). */
  async send(to: { email: string } | { group: string }, input: MessageInput): Promise<SentMessage | SentGroupMessage> {
    const sent = await ('group' in to ? this.groupSender.send(to.group, input) : this.sender.send(to.email, input));
    // The devices that got a group message may now download its files (1:1 sends grant through ctx.grantFiles,
    // also when they leave the outbox later).
    if ('group' in to && input.attachments?.length) await this.attachments.grant(sent.messageId, input.attachments, sent.recipients);
    return sent;
  }
  /** A control record (reaction, edit, delete, timer, …) to a conversation's members and our other devices; applied here once sent. */
  sendContent(conversationId: string, content: ControlContent): Promise<SentRecord> { return this.actions.sendContent(conversationId, content); }
  /** One reaction per person per message; a new emoji replaces the old one. */
  react(messageId: string, emoji: string, opts: { remove?: boolean } = {}): Promise<SentRecord> { return this.actions.react(messageId, emoji, opts); }
  /** Only your own messages, within 24 h of sending (UsageError otherwise). */
  edit(messageId: string, text: string): Promise<SentRecord> { return this.actions.edit(messageId, text); }
  /** For everyone (your own messages only) or for you (this device only; resolves undefined). */
  async deleteMessage(messageId: string, opts: { forEveryone: boolean }): Promise<SentRecord | undefined> {
    const r = await this.actions.deleteMessage(messageId, opts);
    await this.attachments.sweep(); // its files leave this device too
    return r;
  }
  sendTyping(conversationId: string, state: 'started' | 'stopped'): Promise<void> { return this.actions.sendTyping(conversationId, state); }
  /** A message in this device's store, or undefined. */
  findMessage(messageId: string): StoredMessage | undefined { return this.actions.findMessage(messageId); }
  /** The reactions on these messages (message id → one per person), for the app's message views. */
  reactions(messageIds: string[]): Map<string, Reaction[]> { return this.actions.queries.reactions(messageIds); }
  /** The conversation id of an email (1:1), a group name or id, or a conversation id. */
  conversationIdFor(ref: string): Promise<string> { return this.actions.conversationIdFor(ref); }
  /** A conversation as stored now: edits applied, deletions as `deleted`, reactions, read state (oldest first). */
  history(conversationId: string, opts: { limit?: number } = {}): HistoryItem[] { return history(this.ctx, this.actions.queries, conversationId, opts); }
  /** The user's read-receipt setting, and whether the organization forces them off. */
  readReceipts(): Promise<ReadReceiptState> { return this.actions.readPolicy.state(); }
  setReadReceipts(on: boolean): Promise<void> { return this.actions.readPolicy.set(on); }
  /** Sends the messages waiting for a recipient's first device where the directory now lists one; how many went. */
  sendWaiting(): Promise<number> { return this.sender.sendWaiting(); }

  /** Decrypts and stores one envelope, exactly once (see incoming/envelopes.ts). */
  handleEnvelope(env: W.IncomingEnvelope): Promise<EnvelopeOutcome> { return this.envelopes.handle(env); }

  /** Receives over the delivery socket until the queue is drained plus `stopAfterDrainMs` (see incoming/receive-loop.ts). */
  async receive(handlers: ReceiveOptions): Promise<{ received: number; rejected: number }> {
    const r = await this.loop.receive(this.business.wrap(handlers));
    // Away and greeting replies started by what arrived go out before the caller moves on (business/auto-reply.ts).
    await this.business.autoReplies.settled();
    return r;
  }

  /** Stops a running receive() (the app calls it on sign-out or wipe). */
  stopReceiving(): void { this.loop.stop(); }

  /** Tops the server's one-time prekeys back up when they run low (each new session consumes one). */
  refillPreKeys(): Promise<number> { return refillPreKeys(this.ctx); }

  // ---- groups ----

  /** This user's groups (org admins: the groups they are a member of; see admin views for the rest). */
  listGroups(): Promise<G.GroupSummary[]> { return this.groupViews.list(); }
  /** A group's id from its id or its exact name among this user's groups. */
  groupIdOf(ref: string): Promise<string> { return this.groupViews.idOf(ref); }
  groupInfo(ref: string): Promise<GroupView> { return this.groupViews.info(ref); }
  resolveDirectoryGroup(ref: string): Promise<G.DirectoryGroup> { return this.groupViews.resolveDirectoryGroup(ref); }
  createGroup(name: string, emails: string[], opts: CreateGroupOptions = {}): Promise<GroupView> { return this.groupActions.create(name, emails, opts); }
  addGroupMember(ref: string, email: string) { return this.groupActions.addMember(ref, email); }
  removeGroupMember(ref: string, email: string) { return this.groupActions.removeMember(ref, email); }
  setGroupRole(ref: string, email: string, role: 'admin' | 'member') { return this.groupActions.setRole(ref, email, role); }
  leaveGroup(ref: string): Promise<void> { return this.groupActions.leave(ref); }
  updateGroupSettings(ref: string, change: G.UpdateGroupRequest): Promise<GroupView> { return this.groupActions.updateSettings(ref, change); }
  sendGroupText(ref: string, text: string): Promise<SentGroupMessage> { return this.groupSender.sendText(ref, text); }
  /** Fetches new group events (all groups, or one) and turns them into system messages in the group's chat. */
  syncGroupEvents(groupId?: string): Promise<number> { return this.groupSync.sync(groupId); }

  // ---- conversations ----

  conversations(): Conversation[] { return this.chats.list(); }
  conversation(id: string): Conversation | undefined { return this.chats.get(id); }
  messages(conversationId: string, limit?: number, beforeSeq?: number): StoredMessage[] { return this.chats.messages(conversationId, limit, beforeSeq); }
  lastMessage(conversationId: string): StoredMessage | undefined { return this.chats.last(conversationId); }
  /** Marks a chat read; read receipts go out when the user's setting and the organization allow (see messages/actions.ts). */
  markRead(conversationId: string): Promise<{ read: number; receipts: boolean }> { return this.actions.markRead(conversationId); }
  /** Full-text search over the messages on this device, newest first (search/search.ts). */
  searchMessages(query: string, opts?: { limit?: number; conversationId?: string }): SearchHit[] { return this.searcher.search(query, opts); }
  /** Creates (or finds) the direct chat with a known contact; returns its id. */
  openDirectConversation(userId: string): Promise<string> { return this.chats.openDirect(userId); }

  // ---- the organization's messaging policy and the app's settings ----

  async fetchPolicy() {
    const policy = await this.prefs.fetchPolicy();
    // Remembered so notifications follow the rule also while the server cannot be reached.
    await this.chatSettings.rememberNotificationContent(policy.rules?.notificationContent);
    // Retention rules: remembered for launches without the server, and applied at once.
    await this.retention.applyPolicy(policy.rules);
    return policy;
  }

  // ---- disappearing messages ----

  /** A chat's disappearing timer and the longest one allowed (ref: an email, a group name or id, or a conversation id). */
  async disappearing(ref: string): Promise<DisappearingState> { return this.retention.state(await this.conversationIdFor(ref)); }
  /**
   * Sets (seconds) or turns off (null) a chat's timer within the org's maximum (UsageError with a sentence
   * otherwise); it travels end-to-end encrypted to the others and to your other devices.
   */
  async setDisappearing(ref: string, seconds: number | null): Promise<DisappearingState & { changed: boolean }> {
    const id = await this.conversationIdFor(ref);
    if (!this.conversation(id) && ref.includes('@')) await this.openDirectConversation((await this.resolveContact(ref)).contact.userId);
    // The org's maximum as the server says now; unreachable, the remembered one (and the send then fails anyway).
    await this.fetchPolicy().catch(() => {});
    return this.retention.setDisappearing(id, seconds, (c, content) => this.sendContent(c, content));
  }
  acceptedPolicy(): string | undefined { return this.prefs.acceptedPolicy(); }
  /** Records the acceptance on the server (which refuses messaging until then), then on this device. */
  async acceptPolicy(version: string): Promise<void> { await this.workplace.acceptPolicy(version); }
  settings<T>(): T | undefined { return this.prefs.settings<T>(); }
  saveSettings(settings: unknown): Promise<void> { return this.prefs.saveSettings(settings); }
}
