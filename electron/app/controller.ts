// The desktop app's core, shared by the Electron shell (IPC) and the browser shell (loopback bridge):
// the app's phases, the background receive loop, and one handler per method of the typed API
// (common/app-api/contract.ts). Plain Node; never imports 'electron'.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import {
  Methods, type AppEvent, type AppState, type ConversationSummary, type GroupView, type Input, type MessageView, type MethodName,
  type Output, type SafetyNumberView, type Settings,
} from '../../common/app-api/contract.ts';
import {
  asWipeRequest, loginNewDevice, Messenger, PROFILE_FILE, readProfileInfo, UsageError, WipeRequestedError,
  type GroupView as CoreGroupView, type ReceivedMessage,
} from '../core/messenger.ts';
import { prepareLaunch, runWipe, wipedSentence, type LaunchDecision } from '../core/lifecycle/lifecycle.ts';
import { ApiClient, ApiError, NetworkError } from '../core/net/api.ts';
import { STORE_FILE, type StoredMessage } from '../core/store/local-store.ts';
import type { SecretVault } from '../core/store/vault.ts';

export interface AppControllerOptions {
  profileDir: string;
  serverUrl: string;
  vault: SecretVault;
  /** Opens the IdP in the user's browser (Electron: shell.openExternal; browser shell: a new tab). */
  openExternal(url: string): Promise<void>;
  notify?(title: string, body: string): void;
  /** Electron: erase every Chromium storage of the app during a wipe. */
  clearBrowserData?(): Promise<void>;
  now?: () => number;
  /** How often group events are fetched while online (ms; default 10 s): a fallback to the server's group-changed signal. */
  groupSyncMs?: number;
}

const DEFAULT_SETTINGS: Settings = { notifications: true };
const RETRY_MS = [500, 1000, 2000, 5000];
const GROUP_SYNC_MS = 10_000;

/** What a refused group action means, in the words the UI shows. */
const GROUP_FORBIDDEN: Record<string, string> = {
  add: 'Only group admins can add members.',
  remove: 'Only group admins can remove members.',
  role: 'Only group admins can change roles.',
  update: 'Only group admins can change the group settings.',
  create: 'Only organization admins can link a group to the company directory.',
  link: 'Only organization admins can link a group to the company directory.',
  send: 'Only group admins can post in this announcement group.',
  info: 'You are not a member of this group.',
  leave: 'You cannot leave this group.',
};
type GroupAct = keyof typeof GROUP_FORBIDDEN;

function toGroupView(g: CoreGroupView): GroupView {
  return {
    id: g.id, name: g.name, announcement: g.announcement, confidential: g.confidential,
    ...(g.scimGroupId !== undefined ? { scimGroupId: g.scimGroupId } : {}), role: g.role,
    members: g.members.map((x) => ({ userId: x.userId, email: x.email, name: x.name, role: x.role, viaScim: x.viaScim, you: x.you })),
    memberCount: g.memberCount, canManage: g.canManage, canPost: g.canPost,
  };
}

export class AppController {
  private state: AppState;
  private messenger: Messenger | undefined;
  private readonly listeners = new Set<(e: AppEvent) => void>();
  private receiving: AbortController | undefined;
  private pendingSignInUrl: string | undefined;
  private stopped = false;

  constructor(private readonly opts: AppControllerOptions) {
    this.state = { revision: 0, phase: 'signed-out', server: new URL(opts.serverUrl).origin, connection: 'offline' };
  }

  onEvent(listener: (e: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: AppEvent): void {
    for (const l of this.listeners) {
      try { l(e); } catch { /* a broken listener must not stop delivery to the others */ }
    }
  }

  private setState(patch: Partial<AppState>): void {
    this.state = { ...this.state, ...patch, revision: this.state.revision + 1 };
    for (const key of Object.keys(patch) as (keyof AppState)[]) if (patch[key] === undefined) delete this.state[key];
    this.emit({ type: 'state', state: this.state });
  }

  getState(): AppState {
    return this.state;
  }

  /** Opens an existing profile (or shows sign-in) and starts receiving. */
  async start(): Promise<void> {
    // Before the store is unlocked: finish a pending wipe, ask the server, or judge the offline lease.
    let decision: LaunchDecision;
    try {
      decision = await prepareLaunch(this.opts.profileDir, this.opts.vault, this.wipeOptions());
    } catch (err) {
      this.setState({ phase: 'problem', notice: (err as Error).message });
      return;
    }
    if (decision.kind === 'wiped') {
      this.setState({ phase: 'wiped', notice: decision.notice, organization: decision.wipe.organization, connection: 'offline' });
      return;
    }
    if (decision.kind === 'locked') {
      this.setState({ phase: 'locked', notice: decision.notice, connection: 'offline' });
      this.retryWhenLocked();
      return;
    }
    const info = readProfileInfo(this.opts.profileDir);
    if (decision.kind === 'signed-out' || !info || !existsSync(join(this.opts.profileDir, STORE_FILE))) {
      this.setState({ phase: 'signed-out', server: this.state.server });
      void this.loadOrganization();
      return;
    }
    try {
      this.messenger = await Messenger.open(this.opts.profileDir, { vault: this.opts.vault, ...(this.opts.now ? { now: this.opts.now } : {}) });
    } catch (err) {
      this.setState({ phase: 'problem', notice: (err as Error).message });
      return;
    }
    await this.enterSignedIn();
  }

  private wipeOptions() {
    return {
      ...(this.opts.clearBrowserData ? { clearBrowserData: this.opts.clearBrowserData } : {}),
      ...(this.opts.now ? { now: this.opts.now } : {}),
    };
  }

  private lockedTimer: NodeJS.Timeout | undefined;
  /** A locked device keeps asking; the moment the server answers, the store may open again. */
  private retryWhenLocked(): void {
    clearTimeout(this.lockedTimer);
    this.lockedTimer = setTimeout(() => { if (!this.stopped && this.state.phase === 'locked') void this.start(); }, 30_000);
    this.lockedTimer.unref();
  }

  /** Runs the wipe now (pushed by the server while running): crypto-shred, close, delete, receipt. */
  private async wipeNow(): Promise<void> {
    if (this.state.phase === 'wiped') return;
    clearInterval(this.groupTimer);
    this.receiving?.abort();
    this.receiving = undefined;
    const m = this.messenger;
    const notice = await runWipe(this.opts.profileDir, this.opts.vault, 'wiped by an administrator', {
      ...this.wipeOptions(),
      closeStore: () => { m?.close(); this.messenger = undefined; },
    });
    this.setState({ phase: 'wiped', notice: wipedSentence(notice), organization: notice.organization, connection: 'offline', me: undefined, policy: undefined });
  }

  async stop(): Promise<void> {
    clearTimeout(this.lockedTimer);
    clearInterval(this.groupTimer);
    this.stopped = true;
    this.receiving?.abort();
    this.messenger?.stopReceiving?.();
    // Give the receive loop a moment to finish its current envelope before the store closes.
    await new Promise((r) => setTimeout(r, 50));
    this.messenger?.close();
    this.messenger = undefined;
  }

  private async loadOrganization(): Promise<void> {
    try {
      const config = await new ApiClient(this.opts.serverUrl).config();
      this.setState({ organization: config.organization });
    } catch { /* shown as the server URL only */ }
  }

  private async enterSignedIn(): Promise<void> {
    const m = this.messenger!;
    const me = { userId: m.me.userId, deviceId: m.me.deviceId, email: m.me.email, name: m.me.name, orgAdmin: m.me.orgAdmin };
    let policy: { version: string; text: string } | undefined;
    try {
      policy = await m.api.policy();
    } catch { /* offline: the accepted version stays valid */ }
    const accepted = m.store.getMeta('policyAccepted');
    const mustAccept = policy !== undefined && policy.version !== accepted;
    this.setState({
      phase: mustAccept ? 'consent' : 'ready', me, organization: m.me.organization, server: m.me.server,
      policy, error: undefined, notice: undefined,
    });
    if (!mustAccept) this.startReceiving();
  }

  private startReceiving(): void {
    if (this.receiving || !this.messenger) return;
    const ac = new AbortController();
    this.receiving = ac;
    this.startGroupSync(ac.signal);
    void (async () => {
      for (let attempt = 0; !ac.signal.aborted && !this.stopped; attempt++) {
        const m = this.messenger;
        if (!m) return;
        this.setState({ connection: 'connecting' });
        try {
          await m.receive({
            stopAfterDrainMs: Infinity,
            signal: ac.signal,
            onConnectionChange: (up) => { if (up) attempt = 0; this.setState({ connection: up ? 'online' : 'connecting' }); },
            onMessage: (msg) => this.onIncoming(msg),
            onGroupsSynced: () => this.emitGroupUpdates(),
            onDelivered: (d) => this.emit({ type: 'status', conversationId: d.conversationId, messageIds: d.messageIds, status: 'delivered' }),
          });
        } catch (err) {
          const wipe = asWipeRequest(err);
          if (wipe instanceof WipeRequestedError) {
            await this.wipeNow();
            return;
          }
          if (!(err instanceof NetworkError || err instanceof ApiError)) {
            this.setState({ connection: 'offline', notice: (err as Error).message });
          }
        }
        if (ac.signal.aborted || this.stopped) break;
        this.setState({ connection: 'offline' });
        await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
      }
    })();
  }

  // ---- groups: the server keeps an event log per group; we fetch it while online and after every action ----

  private groupTimer: NodeJS.Timeout | undefined;
  /** Per group conversation: the highest message seq already pushed to the UI (system messages from group events). */
  private readonly groupSeen = new Map<string, number>();
  private groupSyncing: Promise<void> | undefined;

  private startGroupSync(signal: AbortSignal): void {
    const m = this.messenger;
    if (!m) return;
    for (const c of m.conversations()) if (c.kind === 'group') this.groupSeen.set(c.id, m.store.lastMessage(c.id)?.seq ?? 0);
    clearInterval(this.groupTimer);
    this.groupTimer = setInterval(() => {
      if (signal.aborted || this.stopped) { clearInterval(this.groupTimer); return; }
      if (this.state.phase === 'ready' && this.state.connection === 'online') void this.syncGroups();
    }, this.opts.groupSyncMs ?? GROUP_SYNC_MS);
    this.groupTimer.unref();
    void this.syncGroups();
  }

  /** Fetches new group events (one run at a time) and pushes the system messages they became. */
  private syncGroups(groupId?: string): Promise<void> {
    if (this.groupSyncing && groupId === undefined) return this.groupSyncing;
    const run = (async () => {
      const m = this.messenger;
      if (!m) return;
      try {
        await m.syncGroupEvents(groupId);
      } catch (err) {
        const wipe = asWipeRequest(err);
        if (wipe instanceof WipeRequestedError) { await this.wipeNow(); return; }
        return; // offline or refused: the next run tries again
      }
      this.emitGroupUpdates();
    })().finally(() => { if (this.groupSyncing === run) this.groupSyncing = undefined; });
    if (groupId === undefined) this.groupSyncing = run;
    return run;
  }

  /** Pushes group system messages not yet shown (and the conversation list when anything changed). */
  private emitGroupUpdates(): void {
    const m = this.messenger;
    if (!m) return;
    let changed = false;
    for (const c of m.conversations()) {
      if (c.kind !== 'group') continue;
      const last = m.store.lastMessage(c.id)?.seq ?? 0;
      const seen = this.groupSeen.get(c.id);
      if (seen === undefined) changed = true; // a group we just learned about
      if (last <= (seen ?? 0)) { this.groupSeen.set(c.id, last); continue; }
      changed = true;
      const fresh = m.store.messages(c.id, Math.min(last - (seen ?? 0), 200)).filter((x) => x.seq > (seen ?? 0) && x.direction === 'system');
      for (const x of fresh) this.emit({ type: 'message', message: this.view(x) });
      this.groupSeen.set(c.id, last);
    }
    if (changed) this.emit({ type: 'conversations' });
  }

  /** Runs a group action; refusals become sentences for the UI; then the events it caused are pushed. */
  private async groupAction<T>(act: GroupAct, fn: (m: Messenger) => Promise<T>): Promise<T> {
    const m = this.requireReady();
    let result: T;
    try {
      result = await this.guard(() => fn(m), act);
    } finally {
      this.emitGroupUpdates();
    }
    return result;
  }

  private onIncoming(msg: ReceivedMessage): void {
    const m = this.messenger;
    if (!m) return;
    const stored = m.store.messages(msg.conversationId, 1)[0];
    if (stored) this.emit({ type: 'message', message: this.view(stored) });
    this.emit({ type: 'conversations' });
    if (!msg.outgoing && this.settings().notifications) {
      this.opts.notify?.(msg.groupName ? `${msg.fromName} in ${msg.groupName}` : msg.fromName, msg.text);
    }
  }

  private requireReady(): Messenger {
    if (this.state.phase !== 'ready' || !this.messenger) throw new UsageError('Parley is not ready: sign in and accept the messaging policy first.');
    return this.messenger;
  }

  private settings(): Settings {
    return this.messenger?.store.getJson<Settings>('settings') ?? DEFAULT_SETTINGS;
  }

  private view(s: StoredMessage): MessageView {
    const m = this.messenger!;
    const senderName = s.direction === 'out' ? m.me.name : s.direction === 'system' ? '' : (m.store.getContact(s.senderUserId)?.name ?? s.senderUserId);
    const status = (['sending', 'sent', 'delivered', 'failed', 'received', 'system'] as const).find((x) => x === s.status) ?? 'received';
    return { id: s.id, conversationId: s.conversationId, direction: s.direction, text: s.body, senderName, sentAt: s.sentAt, status, seq: s.seq };
  }

  /**
   * The conversation list's one-line preview of the last message. Group chats name the sender ("Alice Archer: …",
   * "You: …"); system messages and direct chats show the plain text.
   */
  private preview(last: StoredMessage, group: boolean): string {
    const body = last.body.slice(0, 120);
    if (!group || last.direction === 'system') return body;
    const who = last.direction === 'out' ? 'You' : this.messenger!.store.getContact(last.senderUserId)?.name;
    return who ? `${who}: ${body}` : body;
  }

  private summary(id: string): ConversationSummary {
    const m = this.messenger!;
    const c = m.store.getConversation(id);
    if (!c) throw new UsageError('no such conversation');
    const last = m.store.lastMessage(id);
    const contact = c.peerUserId ? m.store.getContact(c.peerUserId) : undefined;
    return {
      id: c.id, kind: c.kind === 'group' ? 'group' : 'direct',
      title: c.title, peerUserId: c.peerUserId, peerEmail: contact?.email ?? null, lastMessageAt: c.lastMessageAt,
      preview: last ? this.preview(last, c.kind === 'group') : '', unread: c.unread,
      verification: c.peerUserId ? m.verificationStatus(c.peerUserId) : 'unverified',
    };
  }

  // ---- handlers, one per API method ----

  readonly handlers: { [M in MethodName]: (input: Input<M>) => Promise<Output<M>> } = {
    'state.get': async () => {
      if (this.state.phase === 'locked') void this.start(); // "Try again": check with the server now
      return this.state;
    },

    'auth.signIn': async () => {
      // Clicking again while the browser is out (say its tab was closed) hands back the same sign-in.
      if (this.state.phase === 'signing-in' && this.pendingSignInUrl) return { url: this.pendingSignInUrl };
      if (this.state.phase !== 'signed-out') throw new UsageError('already signed in');
      let resolveUrl!: (url: string) => void;
      let rejectUrl!: (err: Error) => void;
      const urlKnown = new Promise<string>((resolve, reject) => { resolveUrl = resolve; rejectUrl = reject; });
      this.setState({ phase: 'signing-in', error: undefined });
      loginNewDevice(this.opts.profileDir, this.opts.serverUrl, {
        kind: 'browser',
        openBrowser: async (url) => { this.pendingSignInUrl = url; resolveUrl(url); await this.opts.openExternal(url); },
      }, { vault: this.opts.vault, ...(this.opts.now ? { now: this.opts.now } : {}) }).then(async (m) => {
        this.pendingSignInUrl = undefined;
        this.messenger = m;
        await this.enterSignedIn();
      }, (err: Error) => {
        this.pendingSignInUrl = undefined;
        rejectUrl(err);
        this.setState({ phase: 'signed-out', error: err.message });
      });
      return { url: await urlKnown };
    },

    'policy.accept': async ({ version }) => {
      const m = this.messenger;
      if (!m || this.state.phase !== 'consent' || !this.state.policy) throw new UsageError('there is no policy to accept');
      if (version !== this.state.policy.version) throw new UsageError('the policy changed; read the current version');
      await m.store.exclusive(async () => m.store.setMeta('policyAccepted', version));
      this.setState({ phase: 'ready' });
      this.startReceiving();
      return this.state;
    },

    'conversations.list': async () => {
      const m = this.requireReady();
      return m.conversations().map((c) => this.summary(c.id));
    },

    'conversations.open': async ({ email }) => {
      const m = this.requireReady();
      const { contact } = await m.resolveContact(email);
      if (contact.userId === m.me.userId) throw new UsageError('that is you');
      const id = await m.openDirectConversation(contact.userId);
      this.emit({ type: 'conversations' });
      return this.summary(id);
    },

    'conversations.markRead': async ({ conversationId }) => {
      const m = this.requireReady();
      await m.store.exclusive(async () => m.store.markRead(conversationId));
      return null;
    },

    'messages.list': async ({ conversationId, beforeSeq, limit }) => {
      const m = this.requireReady();
      return m.store.messages(conversationId, limit ?? 200, beforeSeq).map((s) => this.view(s));
    },

    'messages.send': async ({ conversationId, text }) => {
      const m = this.requireReady();
      const c = m.store.getConversation(conversationId);
      if (c?.kind === 'group') {
        const sent = await this.groupAction('send', (mm) => mm.sendGroupText(conversationId, text));
        const stored = m.store.messages(conversationId, 50).find((s) => s.id === sent.messageId)!;
        this.emit({ type: 'conversations' });
        return this.view(stored);
      }
      const contact = c?.peerUserId ? m.store.getContact(c.peerUserId) : undefined;
      if (!c || !contact) throw new UsageError('no such conversation');
      const sent = await this.guard(() => m.sendText(contact.email, text));
      const stored = m.store.messages(conversationId, 50).find((s) => s.id === sent.messageId)!;
      this.emit({ type: 'conversations' });
      return this.view(stored);
    },

    'directory.search': async ({ query }) => {
      const m = this.requireReady();
      const { results } = await m.api.search(query);
      return results.filter((r) => r.devices.length > 0).map((r) => ({ userId: r.userId, email: r.email, name: r.name }));
    },

    'safety.get': async ({ userId }) => this.safety(userId, false),
    'safety.markVerified': async ({ userId }) => this.safety(userId, true),

    'device.reset': async () => {
      if (this.state.phase !== 'problem') throw new UsageError('only a device in trouble can be set up again');
      this.receiving?.abort();
      this.receiving = undefined;
      this.messenger?.close();
      this.messenger = undefined;
      await this.opts.vault.destroy('store-key').catch(() => undefined);
      for (const f of [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`, PROFILE_FILE]) {
        rmSync(join(this.opts.profileDir, f), { force: true });
      }
      this.setState({ phase: 'signed-out', notice: undefined, error: undefined, me: undefined, policy: undefined, connection: 'offline' });
      return this.state;
    },

    'admin.users': async () => {
      const m = this.requireReady();
      const { users } = await this.guard(() => m.api.adminUsers());
      return users;
    },
    'admin.wipe': async (input) => ({ devices: (await this.adminAction('wipe', input)).devices.length }),
    'admin.revoke': async (input) => ({ devices: (await this.adminAction('revoke', input)).devices.length }),
    'admin.audit': async () => {
      const m = this.requireReady();
      const { entries } = await this.guard(() => m.api.adminAudit(500));
      return entries.map((e) => ({
        id: e.id, at: e.at, actor: e.actor.email, action: e.action,
        target: `${e.target.email}${e.target.deviceId === null ? '' : ` (device ${e.target.deviceId})`}`, reason: e.reason, outcome: e.outcome,
      }));
    },

    'admin.groups': async () => {
      const m = this.requireReady();
      const { groups } = await this.guard(() => m.api.adminGroups());
      return groups.map((g) => ({
        id: g.id, name: g.name, announcement: g.announcement, confidential: g.confidential,
        ...(g.scimGroupId !== undefined ? { scimGroupId: g.scimGroupId } : {}), role: g.role, memberCount: g.memberCount,
      }));
    },

    'admin.directoryGroups': async () => {
      const m = this.requireReady();
      const { groups } = await this.guard(() => m.api.adminDirectoryGroups());
      return groups.map((g) => ({ id: g.id, displayName: g.displayName, memberCount: g.memberCount }));
    },

    'groups.list': async () => {
      const groups = await this.groupAction('info', (m) => m.listGroups());
      return groups.map((g) => ({
        id: g.id, name: g.name, announcement: g.announcement, confidential: g.confidential,
        ...(g.scimGroupId !== undefined ? { scimGroupId: g.scimGroupId } : {}), role: g.role,
      }));
    },
    'groups.create': async ({ name, emails, announcement, confidential, directoryGroup }) => {
      const view = await this.groupAction('create', (m) => m.createGroup(name, emails, {
        announcement, confidential, ...(directoryGroup !== undefined ? { directoryGroup } : {}),
      }));
      return toGroupView(view);
    },
    'groups.info': async ({ groupId }) => {
      const view = await this.groupAction('info', (m) => m.groupInfo(groupId));
      // Opening a group is a good moment to catch up on its events (in case a group-changed signal was missed).
      if (view.role !== null) void this.syncGroups(groupId);
      return toGroupView(view);
    },
    'groups.addMember': async ({ groupId, email }) => {
      const view = await this.groupAction('add', (m) => m.addGroupMember(groupId, email));
      return view ? toGroupView(view) : null;
    },
    'groups.removeMember': async ({ groupId, email }) => {
      const view = await this.groupAction('remove', (m) => m.removeGroupMember(groupId, email));
      return view ? toGroupView(view) : null;
    },
    'groups.setRole': async ({ groupId, email, role }) => {
      const view = await this.groupAction('role', (m) => m.setGroupRole(groupId, email, role));
      return view ? toGroupView(view) : null;
    },
    'groups.update': async ({ groupId, name, announcement, confidential, scimGroupId }) => {
      const change = {
        ...(name !== undefined ? { name: name.trim() } : {}),
        ...(announcement !== undefined ? { announcement } : {}), ...(confidential !== undefined ? { confidential } : {}),
        ...(scimGroupId !== undefined ? { scimGroupId } : {}),
      };
      if (Object.keys(change).length === 0) throw new UsageError('nothing to change');
      const act = scimGroupId !== undefined ? 'link' : 'update';
      return toGroupView(await this.groupAction(act, (m) => m.updateGroupSettings(groupId, change)));
    },
    'groups.leave': async ({ groupId }) => {
      await this.groupAction('leave', (m) => m.leaveGroup(groupId));
      return null;
    },

    'settings.get': async () => {
      this.requireReady();
      return this.settings();
    },
    'settings.set': async (settings) => {
      const m = this.requireReady();
      await m.store.exclusive(async () => m.store.setJson('settings', settings));
      return this.settings();
    },
  };

  private async adminAction(kind: 'wipe' | 'revoke', input: Input<'admin.wipe'>) {
    const m = this.requireReady();
    if ((input.email === undefined) === (input.device === undefined)) throw new UsageError('choose either a user (email) or one device');
    const target = input.device
      ? { userId: input.device.split('.')[0]!, deviceId: Number(input.device.split('.')[1]) }
      : { email: input.email! };
    const req = { ...target, reason: input.reason };
    return this.guard(() => (kind === 'wipe' ? m.api.adminWipe(req) : m.api.adminRevoke(req)));
  }

  /**
   * Server refusals become readable errors; a refusal because this very device was wiped runs the wipe.
   * `group`: the group action being run, for the sentence a refusal gets.
   */
  private async guard<T>(fn: () => Promise<T>, group?: GroupAct): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const wipe = asWipeRequest(err);
      if (wipe instanceof WipeRequestedError) {
        await this.wipeNow();
        throw new UsageError('this device was wiped');
      }
      if (group !== undefined && err instanceof ApiError) throw new UsageError(groupRefusal(group, err));
      if (err instanceof ApiError && err.status === 403) throw new UsageError('only organization admins may do this');
      throw err;
    }
  }

  private async safety(userId: string, markVerified: boolean): Promise<SafetyNumberView> {
    const m = this.requireReady();
    const contact = m.store.getContact(userId);
    if (!contact) throw new UsageError('unknown contact');
    if (markVerified) await m.markVerified(contact.email);
    const sn = await m.safetyNumber(contact.email);
    this.emit({ type: 'conversations' });
    return { userId, email: contact.email, name: contact.name, safetyNumber: sn.safetyNumber, status: sn.status };
  }
}

/** The sentence for a server refusal of a group action. */
function groupRefusal(act: GroupAct, err: ApiError): string {
  switch (err.code) {
    case 'forbidden': return GROUP_FORBIDDEN[act]!;
    case 'announcement_only': return GROUP_FORBIDDEN.send!;
    case 'not_a_member': return 'You are not a member of this group.';
    case 'unknown_group': return 'This group no longer exists.';
    case 'unknown_user': return 'That person is not in the directory (or their account was deactivated).';
    case 'unknown_member': return 'That person is not a member of this group.';
    case 'already_member': return 'That person is already a member of this group.';
    case 'directory_managed':
      return act === 'leave'
        ? 'You are in this group through the company directory: only the directory can take you out.'
        : 'This member is in the group through the company directory: change the directory group instead.';
    case 'unknown_scim_group': return 'That directory group no longer exists (the identity provider removed it).';
    default: return err.status > 0 && err.status < 500 ? err.message : `The server could not do this: ${err.message}`;
  }
}

export class BadCallError extends Error {
  override name = 'BadCallError';
}

const validators = new Map<TSchema, ReturnType<typeof Compile>>();
function check(schema: TSchema, value: unknown): boolean {
  let v = validators.get(schema);
  if (!v) { v = Compile(schema); validators.set(schema, v); }
  return v.Check(value);
}

/**
 * The single entry point for every transport: unknown methods and inputs that do not match the method's
 * schema are refused before any handler runs, so nothing changes in the store.
 */
export function createDispatcher(c: AppController): (method: string, input: unknown) => Promise<unknown> {
  return async (method, input) => {
    if (typeof method !== 'string' || !Object.hasOwn(Methods, method)) throw new BadCallError(`unknown method: ${String(method).slice(0, 60)}`);
    const spec = Methods[method as MethodName];
    const args = input === undefined ? {} : input;
    if (!check(spec.input, args)) throw new BadCallError(`invalid input for ${method}`);
    const handler = c.handlers[method as MethodName] as (i: unknown) => Promise<unknown>;
    return handler(args);
  };
}
