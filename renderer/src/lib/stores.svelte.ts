// The UI's state, as Svelte 5 runes. One instance (`app`) drives every screen.
import { bridge, call, messageOf, onEvent } from './api.ts';
import type { AppEvent, AppState, ConversationSummary, GroupView, MessageView, ReplyView } from './api.ts';
import { asAttachments, type PendingFile } from './chat-actions.ts';
import { typing } from './typing.svelte.ts';
import { bySeq, RANK, withoutSentPlaceholders, type Status } from './message-order.ts';

const PAGE = 100;

class AppStore {
  /** False when neither the preload nor the browser bridge provided `window.parley`. */
  available = $state(true);
  state = $state<AppState | null>(null);
  startError = $state<string | null>(null);

  conversations = $state<ConversationSummary[]>([]);
  conversationsLoaded = $state(false);
  listError = $state<string | null>(null);

  selectedId = $state<string | null>(null);
  /** The summary `conversations.open` returned, until the list carries it. */
  private opened = $state<ConversationSummary | null>(null);
  messages = $state<MessageView[]>([]);
  messagesLoading = $state(false);
  hasOlder = $state(false);
  chatError = $state<string | null>(null);
  /** Incremented whenever messages are appended at the bottom (the chat view scrolls down). */
  appended = $state(0);

  /** The selected group chat's info (members, roles, may I post?); null for 1:1 chats or while loading. */
  group = $state<GroupView | null>(null);
  /** The selected group chat is one I am no longer a member of. */
  groupGone = $state(false);
  groupError = $state<string | null>(null);
  private groupLoads = 0;

  selected = $derived<ConversationSummary | null>(
    this.conversations.find((c) => c.id === this.selectedId) ?? (this.opened?.id === this.selectedId ? this.opened : null),
  );

  /** False while another view (the admin console) covers the chat: nothing is marked read then. */
  private chatVisible = true;

  private unsubscribe: (() => void) | null = null;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private launchList: Promise<ConversationSummary[] | null> | null = null; // asked with the state at launch: used once
  private generation = 0;
  private localCounter = 0;
  /** Status events for messages not (yet) in the view, by message id. */
  private pendingStatus = new Map<string, Status>();

  async start(): Promise<void> {
    if (!bridge()) {
      this.available = false;
      return;
    }
    this.unsubscribe?.();
    this.unsubscribe = onEvent((e) => this.handle(e));
    // Events can be missed while a transport reconnects: catch up whenever the window regains focus.
    window.addEventListener('focus', () => void this.resync());
    // Read receipts say "shown to me": messages that arrived while the window was hidden count once it shows.
    document.addEventListener('visibilitychange', () => {
      if (this.shown() && this.selectedId && this.state?.phase === 'ready') this.markRead(this.selectedId);
    });
    this.launchList = call('conversations.list', {}).catch(() => null);
    await this.reloadState();
  }

  private async resync(): Promise<void> {
    if (!this.state) return;
    try {
      this.setState(await call('state.get', {}));
      if (this.state.phase === 'ready') await this.refreshConversations();
    } catch {
      // Nothing new to show: the next event or user action reports any lasting problem.
    }
  }

  async reloadState(): Promise<void> {
    this.startError = null;
    try {
      this.setState(await call('state.get', {}));
    } catch (err) {
      this.startError = messageOf(err);
    }
  }

  setState(next: AppState): void {
    // A call's reply can arrive after a newer state event: keep whichever the core produced last.
    if (this.state && next.revision < this.state.revision) return;
    const wasReady = this.state?.phase === 'ready';
    this.state = next;
    if (next.phase === 'ready' && !wasReady) void this.refreshConversations();
    if (next.phase !== 'ready' && wasReady) this.resetChat();
  }

  private resetChat(): void {
    this.generation++;
    this.conversations = [];
    this.conversationsLoaded = false;
    this.selectedId = null;
    this.opened = null;
    this.messages = [];
    this.chatError = null;
    this.pendingStatus.clear();
    this.clearGroup();
  }

  private clearGroup(): void {
    this.groupLoads++;
    this.group = null;
    this.groupGone = false;
    this.groupError = null;
  }

  isGroup(id: string | null): boolean {
    if (!id) return false;
    const c = this.conversations.find((x) => x.id === id) ?? (this.opened?.id === id ? this.opened : undefined);
    return c ? c.kind === 'group' : id.startsWith('g_');
  }

  /** (Re)loads the selected group chat's info: who is in it, and whether I may post. */
  async loadGroup(): Promise<void> {
    const id = this.selectedId;
    if (!id || !this.isGroup(id)) return;
    const mine = ++this.groupLoads;
    try {
      const view = await call('groups.info', { groupId: id });
      if (mine !== this.groupLoads || id !== this.selectedId) return;
      this.group = view;
      this.groupGone = view.role === null;
      this.groupError = null;
    } catch (err) {
      if (mine !== this.groupLoads || id !== this.selectedId) return;
      const text = messageOf(err);
      if (/not a member|no longer exists|no such group/i.test(text)) {
        this.group = null;
        this.groupGone = true;
        this.groupError = null;
      } else {
        this.groupError = `Couldn't load the group: ${text}`;
      }
    }
  }

  /** A group action answered with the group as it is now (null: I can no longer see it). */
  setGroup(view: GroupView | null, id: string): void {
    if (id !== this.selectedId) return;
    this.groupLoads++;
    if (view) {
      this.group = view;
      this.groupGone = view.role === null;
    } else {
      this.group = null;
      this.groupGone = true;
    }
    this.groupError = null;
  }

  /** Selects a group chat right after it was created (before the list carries it). */
  async openGroup(view: GroupView): Promise<void> {
    this.opened = {
      id: view.id, kind: 'group', title: view.name, peerUserId: null, peerEmail: null, lastMessageAt: Date.now(), preview: '',
      unread: 0, verification: 'unverified',
    };
    await this.select(view.id);
    this.setGroup(view, view.id);
    void this.refreshConversations();
  }

  private handle(e: AppEvent): void {
    switch (e.type) {
      case 'state':
        this.setState(e.state);
        break;
      case 'conversations':
        void this.refreshConversations();
        break;
      case 'message':
        this.receive(e.message);
        void this.refreshConversations();
        break;
      case 'status':
        this.applyStatus(e.conversationId, e.messageIds, e.status);
        break;
      case 'messageUpdated':
      case 'messageRemoved':
        if (e.type === 'messageUpdated') this.replace(e.message);
        else if (e.conversationId === this.selectedId) this.messages = this.messages.filter((m) => m.id !== e.messageId);
        void this.refreshConversations();
        break;
      case 'typing':
        typing.apply(e.conversationId, e.userId, e.name, e.state);
        break;
    }
  }

  /** Reloads the conversation list; concurrent requests collapse into one follow-up reload. */
  refreshConversations(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        try {
          const list = (await this.launchList?.finally(() => { this.launchList = null; })) ?? await call('conversations.list', {});
          if (this.state?.phase !== 'ready') return;
          // The open conversation is being read: don't flash a badge while `markRead` is on its way.
          this.conversations = list
            .map((c) => (c.id === this.selectedId && c.unread > 0 ? { ...c, unread: 0 } : c))
            .sort((a, b) => b.lastMessageAt - a.lastMessageAt);
          this.conversationsLoaded = true;
          this.listError = null;
        } catch (err) {
          this.listError = `Couldn't load conversations: ${messageOf(err)}`;
        }
      } while (this.refreshAgain);
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Opens (creating if needed) the conversation with a directory entry. */
  async openWith(email: string): Promise<void> {
    const summary = await call('conversations.open', { email });
    this.opened = summary;
    await this.select(summary.id);
    void this.refreshConversations();
  }

  async select(id: string): Promise<void> {
    if (id === this.selectedId && !this.chatError) return;
    const gen = ++this.generation;
    this.selectedId = id;
    this.messages = [];
    this.hasOlder = false;
    this.chatError = null;
    this.pendingStatus.clear();
    this.clearGroup();
    void this.loadGroup();
    this.messagesLoading = true;
    try {
      // One more than a page tells whether older messages exist, without an empty extra page later.
      const page = await call('messages.list', { conversationId: id, limit: PAGE + 1 });
      if (gen !== this.generation) return;
      this.hasOlder = page.length > PAGE;
      // What arrived while the page loaded (a message sent right away, live messages) stays: merged, not replaced.
      this.messages = this.merge(withoutSentPlaceholders(this.messages, page), this.hasOlder ? page.slice(1) : page);
      this.appended++;
      if (this.shown()) this.markRead(id);
    } catch (err) {
      if (gen === this.generation) this.chatError = `Couldn't load messages: ${messageOf(err)}`;
    } finally {
      if (gen === this.generation) this.messagesLoading = false;
    }
  }

  async loadOlder(): Promise<void> {
    const id = this.selectedId;
    const oldest = this.messages.find((m) => !m.id.startsWith('local-'));
    if (!id || !oldest || this.messagesLoading) return;
    const gen = this.generation;
    this.messagesLoading = true;
    try {
      const page = await call('messages.list', { conversationId: id, beforeSeq: Math.max(1, oldest.seq), limit: PAGE + 1 });
      if (gen !== this.generation) return;
      this.hasOlder = page.length > PAGE;
      this.messages = this.merge(this.messages, this.hasOlder ? page.slice(1) : page);
    } catch (err) {
      if (gen === this.generation) this.chatError = `Couldn't load earlier messages: ${messageOf(err)}`;
    } finally {
      if (gen === this.generation) this.messagesLoading = false;
    }
  }

  private markRead(conversationId: string): void {
    const summary = this.conversations.find((c) => c.id === conversationId);
    if (summary && summary.unread > 0) {
      this.conversations = this.conversations.map((c) => (c.id === conversationId ? { ...c, unread: 0 } : c));
    }
    call('conversations.markRead', { conversationId }).catch((err: unknown) => {
      this.listError = `Couldn't mark the conversation as read: ${messageOf(err)}`;
    });
  }

  /** Merges messages by id (keeping the more advanced outgoing status), oldest first. */
  private merge(current: MessageView[], incoming: MessageView[]): MessageView[] {
    const byId = new Map(current.map((m) => [m.id, m]));
    for (const m of incoming) {
      const pending = this.pendingStatus.get(m.id);
      let next = m;
      if (pending !== undefined) {
        this.pendingStatus.delete(m.id);
        if (RANK[pending] >= RANK[next.status]) next = { ...next, status: pending };
      }
      const old = byId.get(m.id);
      if (old && old.direction === 'out' && RANK[old.status] > RANK[next.status]) next = { ...next, status: old.status };
      byId.set(m.id, next);
    }
    return [...byId.values()].sort(bySeq);
  }

  private receive(m: MessageView): void {
    if (m.conversationId !== this.selectedId) return;
    // Our own message, announced before `messages.send` replied: its placeholder goes.
    this.messages = this.merge(withoutSentPlaceholders(this.messages, [m]), [m]);
    this.appended++;
    // A message from them ends their typing indicator.
    if (m.direction === 'in') typing.stoppedBy(m.conversationId, m.senderName);
    // A system message in a group chat is a membership or settings change: who may post may have changed.
    if (m.direction === 'system' && this.isGroup(m.conversationId)) void this.loadGroup();
    if (m.direction !== 'out' && this.shown()) this.markRead(m.conversationId);
  }

  /** The chat is on screen: not covered by the admin console, the window not hidden or minimized. */
  private shown(): boolean {
    return this.chatVisible && document.visibilityState === 'visible';
  }

  /** A message changed where it is (edited, deleted for everyone, reactions); keeps the better outgoing status. */
  replace(m: MessageView): void {
    if (m.conversationId === this.selectedId && this.messages.some((x) => x.id === m.id)) this.messages = this.merge(this.messages, [m]);
  }

  private applyStatus(conversationId: string, ids: string[], status: Status): void {
    if (conversationId !== this.selectedId) return;
    const wanted = new Set(ids);
    this.messages = this.messages.map((m) => {
      if (!wanted.has(m.id)) return m;
      wanted.delete(m.id);
      // Sent or delivered: no longer waiting for the recipient's first device.
      return m.notice === 'waiting' && status !== 'sending' ? { ...m, status, notice: undefined } : { ...m, status };
    });
    // Not shown yet (e.g. `messages.send` has not replied): applied when the message arrives.
    for (const id of wanted) this.pendingStatus.set(id, status);
  }

  /**
   * Sends `text` (and files already uploaded, and a reply's quote) to the selected conversation. Rejects
   * with a readable Error (the caller keeps the draft, the files and the reply).
   */
  async send(text: string, extra: { replyTo?: ReplyView; files?: PendingFile[]; urgent?: boolean } = {}): Promise<void> {
    const conversationId = this.selectedId;
    if (!conversationId) throw new Error('Choose a conversation first.');
    const gen = this.generation;
    const localId = `local-${++this.localCounter}`;
    const files = extra.files ?? [];
    const attachments = asAttachments(files);
    const placeholder: MessageView = {
      id: localId, conversationId, direction: 'out', text, senderName: this.state?.me?.name ?? '',
      sentAt: Date.now(), status: 'sending', seq: Number.MAX_SAFE_INTEGER,
      ...(extra.replyTo ? { replyTo: extra.replyTo } : {}), ...(attachments.length ? { attachments } : {}),
    };
    this.messages = [...this.messages, placeholder];
    this.appended++;
    try {
      const sent = await call('messages.send', {
        conversationId, text,
        ...(extra.replyTo ? { replyTo: extra.replyTo.messageId } : {}),
        ...(files.length ? { attachments: files.map((f) => f.uploadId) } : {}),
        ...(extra.urgent ? { urgent: true } : {}),
      });
      if (gen !== this.generation) return;
      this.messages = this.merge(this.messages.filter((m) => m.id !== localId), [sent]);
      void this.refreshConversations();
    } catch (err) {
      if (gen === this.generation) this.messages = this.messages.filter((m) => m.id !== localId);
      throw err;
    }
  }

  /** The chat is shown again (or hidden): catch up on what arrived meanwhile. */
  setChatVisible(visible: boolean): void {
    if (visible === this.chatVisible) return;
    this.chatVisible = visible;
    if (this.shown() && this.selectedId && this.state?.phase === 'ready') this.markRead(this.selectedId);
  }

  dismissChatError(): void {
    this.chatError = null;
  }
}

export const app = new AppStore();
