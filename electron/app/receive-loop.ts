// The app's background work while signed in: the delivery socket (reconnected with backoff, the
// connection state shown in the UI), notifications for new messages, and the group event sync (pushed by
// the server's group-changed signal, with a periodic fetch as the fallback).
import type { ReceivedEvent, ReceivedMessage } from '../core/messenger.ts';
import { asWipeRequest, WipeRequestedError } from '../core/messenger.ts';
import { ApiError, NetworkError } from '../core/net/api.ts';
import { messageView } from './views.ts';
import { notificationFor } from './notifications.ts';
import type { AppHost } from './host.ts';

const RETRY_MS = [500, 1000, 2000, 5000];
const GROUP_SYNC_MS = 10_000;

/** Resolves after `ms`, or as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class AppReceiver {
  private receiving: AbortController | undefined;
  private running: Promise<void> | undefined;
  private groupTimer: NodeJS.Timeout | undefined;
  /** Per group conversation: the highest message seq already pushed to the UI (system messages from group events). */
  private readonly groupSeen = new Map<string, number>();
  private groupSyncing: Promise<void> | undefined;
  private waitingRun: Promise<void> | undefined;
  /** Messages the UI shows as "Waiting to send" (messageId → conversationId): their new status is pushed once sent. */
  private readonly queued = new Map<string, string>();
  /** Unsubscribes from the retention purges (messages that expired leave the open chat). */
  private stopExpiry: (() => void) | undefined;

  constructor(private readonly host: AppHost, private readonly wipeNow: () => Promise<void>, private readonly stopped: () => boolean) {}

  start(): void {
    if (this.receiving || !this.host.messenger()) return;
    const ac = new AbortController();
    this.receiving = ac;
    this.startGroupSync(ac.signal);
    this.startRetention();
    this.running = this.loop(ac.signal);
  }

  /** Hourly retention (rules fetched again) and exact expiry of disappearing messages while running. */
  private startRetention(): void {
    const m = this.host.messenger()!;
    this.stopExpiry?.();
    this.stopExpiry = m.retention.onExpired((expired) => {
      for (const e of expired) for (const messageId of e.messageIds) this.host.emit({ type: 'messageRemoved', conversationId: e.conversationId, messageId });
      this.host.emit({ type: 'conversations' });
    });
    m.retention.start({ refresh: () => m.fetchPolicy() });
  }

  /** Stops receiving and the group sync; `finished()` resolves once the current envelope is stored. */
  stop(): void {
    clearInterval(this.groupTimer);
    this.stopExpiry?.();
    this.stopExpiry = undefined;
    this.host.messenger()?.retention.stop();
    this.receiving?.abort();
    this.receiving = undefined;
    this.host.messenger()?.stopReceiving();
  }

  /** Waits for the receive loop to end after stop(), at most `capMs` (a connect may hang on a dead network). */
  async finished(capMs = 2000): Promise<void> {
    const running = this.running;
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise((r) => { timer = setTimeout(r, capMs); })]);
    clearTimeout(timer);
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const { host } = this;
    for (let attempt = 0; !signal.aborted && !this.stopped(); attempt++) {
      const m = host.messenger();
      if (!m) return;
      host.setState({ connection: 'connecting' });
      try {
        await m.receive({
          stopAfterDrainMs: Infinity,
          signal,
          onConnectionChange: (up) => {
            if (up) attempt = 0;
            host.setState({ connection: up ? 'online' : 'connecting' });
            // The core sends the outbox after each connection too; this run reports what went out.
            if (up) void this.sendWaiting();
          },
          onMessage: (msg) => this.onIncoming(msg),
          onGroupsSynced: () => this.emitGroupUpdates(),
          onDelivered: (d) => host.emit({ type: 'status', conversationId: d.conversationId, messageIds: d.messageIds, status: 'delivered' }),
          onEvent: (e) => this.onEvent(e),
        });
      } catch (err) {
        const wipe = asWipeRequest(err);
        if (wipe instanceof WipeRequestedError) {
          await this.wipeNow();
          return;
        }
        if (!(err instanceof NetworkError || err instanceof ApiError)) {
          host.setState({ connection: 'offline', notice: (err as Error).message });
        }
      }
      if (signal.aborted || this.stopped()) break;
      host.setState({ connection: 'offline' });
      await pause(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!, signal);
    }
  }

  private onIncoming(msg: ReceivedMessage): void {
    const m = this.host.messenger();
    if (!m) return;
    const stored = m.messages(msg.conversationId, 1)[0];
    if (stored) this.host.emit({ type: 'message', message: messageView(m, stored) });
    this.host.emit({ type: 'conversations' });
    // What it may show follows the organization's rule; muted chats stay quiet (notifications.ts).
    const note = this.host.settings().notifications ? notificationFor(m, msg) : null;
    if (note) this.host.opts.notify?.(note.title, note.body);
  }

  /** Reactions, edits, deletes, read receipts, typing and timers, as the UI's events. */
  private onEvent(e: ReceivedEvent): void {
    const m = this.host.messenger();
    if (!m) return;
    switch (e.kind) {
      case 'typing':
        if (!e.outgoing && e.state) this.host.emit({ type: 'typing', conversationId: e.conversationId, userId: e.fromUserId, name: e.fromName, state: e.state });
        return;
      case 'read':
        // Their receipt: my message was read. Our own other device reading: only the unread counts change.
        if (!e.outgoing && e.targetMessageId) this.host.emit({ type: 'status', conversationId: e.conversationId, messageIds: [e.targetMessageId], status: 'read' });
        this.host.emit({ type: 'conversations' });
        return;
      case 'timer': {
        const last = m.lastMessage(e.conversationId);
        if (last?.direction === 'system') this.host.emit({ type: 'message', message: messageView(m, last) });
        this.host.emit({ type: 'conversations' });
        return;
      }
      default: {
        const target = e.targetMessageId ? m.findMessage(e.targetMessageId) : undefined;
        if (target) this.host.emit({ type: 'messageUpdated', message: messageView(m, target) });
        this.host.emit({ type: 'conversations' });
      }
    }
  }

  // ---- groups: the server keeps an event log per group; we fetch it while online and after every action ----

  private startGroupSync(signal: AbortSignal): void {
    const m = this.host.messenger();
    if (!m) return;
    for (const c of m.conversations()) if (c.kind === 'group') this.groupSeen.set(c.id, m.lastMessage(c.id)?.seq ?? 0);
    clearInterval(this.groupTimer);
    this.groupTimer = setInterval(() => {
      if (signal.aborted || this.stopped()) { clearInterval(this.groupTimer); return; }
      const state = this.host.state();
      if (state.phase === 'ready' && state.connection === 'online') { void this.syncGroups(); void this.sendWaiting(); }
    }, this.host.opts.groupSyncMs ?? GROUP_SYNC_MS);
    this.groupTimer.unref();
    void this.syncGroups();
  }

  /**
   * Messages to someone who had no device yet go out once the directory lists one (checked on the group-sync
   * beat while online; their delivery receipts then update the chat). One run at a time.
   */
  private sendWaiting(): Promise<void> {
    this.waitingRun ??= (async () => {
      const m = this.host.messenger();
      if (!m) return;
      for (const p of m.outbox.pending()) if (p.status === 'queued') this.queued.set(p.messageId, p.conversationId);
      try {
        if (await m.sendWaiting() > 0) this.host.emit({ type: 'conversations' });
      } catch {
        // offline or refused: the next beat tries again
      }
      this.reportQueued();
    })().finally(() => { this.waitingRun = undefined; });
    return this.waitingRun;
  }

  /** A message just kept in the outbox ("Waiting to send"); see sendWaiting. */
  trackQueued(messageId: string, conversationId: string): void {
    this.queued.set(messageId, conversationId);
  }

  /** Pushes the status of outbox messages that have left it (sent, or now waiting for a first device). */
  private reportQueued(): void {
    const m = this.host.messenger();
    if (!m || this.queued.size === 0) return;
    const still = new Set(m.outbox.pending().filter((p) => p.status === 'queued').map((p) => p.messageId));
    for (const [id, conversationId] of this.queued) {
      if (still.has(id)) continue;
      this.queued.delete(id);
      const stored = m.messages(conversationId, 500).find((s) => s.id === id);
      if (stored) this.host.emit({ type: 'status', conversationId, messageIds: [id], status: messageView(m, stored).status });
    }
  }

  /** Fetches new group events (one run at a time) and pushes the system messages they became. */
  syncGroups(groupId?: string): Promise<void> {
    if (this.groupSyncing && groupId === undefined) return this.groupSyncing;
    const run = (async () => {
      const m = this.host.messenger();
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
  emitGroupUpdates(): void {
    const m = this.host.messenger();
    if (!m) return;
    let changed = false;
    for (const c of m.conversations()) {
      if (c.kind !== 'group') continue;
      const last = m.lastMessage(c.id)?.seq ?? 0;
      const seen = this.groupSeen.get(c.id);
      if (seen === undefined) changed = true; // a group we just learned about
      if (last <= (seen ?? 0)) { this.groupSeen.set(c.id, last); continue; }
      changed = true;
      const fresh = m.messages(c.id, Math.min(last - (seen ?? 0), 200)).filter((x) => x.seq > (seen ?? 0) && x.direction === 'system');
      for (const x of fresh) this.host.emit({ type: 'message', message: messageView(m, x) });
      this.groupSeen.set(c.id, last);
    }
    if (changed) this.host.emit({ type: 'conversations' });
  }
}
