// The desktop app's core, shared by the Electron shell (IPC) and the browser shell (loopback bridge): the
// app's phases (launch check, sign-in, consent, ready, locked, wiped, problem), the background receive loop
// (receive-loop.ts), and one handler per method of the typed API (common/app-api/contract.ts), grouped by
// area in handlers/. Calls come in through the dispatcher (dispatcher.ts). Plain Node; never imports 'electron'.
import type { AppEvent, AppState, Settings } from '../../common/app-api/contract.ts';
import { asWipeRequest, Messenger, readProfileInfo, UsageError, WipeRequestedError } from '../core/messenger.ts';
import { hasStore } from '../core/account/registration.ts';
import { prepareLaunch, runWipe, wipedSentence, type LaunchDecision } from '../core/lifecycle/lifecycle.ts';
import { ApiClient, ApiError } from '../core/net/api.ts';
import { DEFAULT_SETTINGS, type AppControllerOptions, type AppHost, type Handlers } from './host.ts';
import { AppReceiver } from './receive-loop.ts';
import { sessionHandlers } from './handlers/session.ts';
import { conversationHandlers } from './handlers/conversations.ts';
import { groupHandlers } from './handlers/groups.ts';
import { adminHandlers } from './handlers/admin.ts';
import { trustHandlers } from './handlers/trust.ts';
import { deviceHandlers } from './handlers/devices.ts';
import { retentionHandlers } from './handlers/retention.ts';
import { chatHandlers } from './handlers/chats.ts';
import { messageHandlers } from './handlers/messages.ts';
import { workplaceHandlers } from './handlers/workplace.ts';
import { businessHandlers } from './handlers/business.ts';

export type { AppControllerOptions } from './host.ts';
export { BadCallError, createDispatcher } from './dispatcher.ts';

/** A locked device asks the server again this often; the moment it answers, the store may open again. */
const LOCKED_RETRY_MS = 30_000;

export class AppController {
  private state: AppState;
  private messenger: Messenger | undefined;
  private readonly listeners = new Set<(e: AppEvent) => void>();
  private readonly receiver: AppReceiver;
  private lockedTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly lifetime = new AbortController();
  /** One handler per API method; the dispatcher checks every call's input before it gets here. */
  readonly handlers: Handlers;

  constructor(private readonly opts: AppControllerOptions) {
    this.state = { revision: 0, phase: 'signed-out', server: new URL(opts.serverUrl).origin, connection: 'offline' };
    const host = this.host();
    this.receiver = new AppReceiver(host, () => this.wipeNow(), () => this.stopped);
    this.handlers = {
      ...sessionHandlers(host), ...conversationHandlers(host), ...groupHandlers(host), ...adminHandlers(host), ...trustHandlers(host),
      ...deviceHandlers(host), ...retentionHandlers(host), ...chatHandlers(host), ...messageHandlers(host), ...workplaceHandlers(host), ...businessHandlers(host),
    };
  }

  onEvent(listener: (e: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
    if (decision.kind === 'signed-out' || !info || !hasStore(this.opts.profileDir)) {
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

  async stop(): Promise<void> {
    clearTimeout(this.lockedTimer);
    this.stopped = true;
    this.lifetime.abort();
    this.receiver.stop();
    // Let the receive loop finish its current envelope before the store closes.
    await this.receiver.finished();
    this.messenger?.close();
    this.messenger = undefined;
  }

  /** What the handlers may use (see host.ts); kept off the public surface of the controller. */
  private host(): AppHost {
    return {
      opts: this.opts,
      lifetime: this.lifetime.signal,
      state: () => this.state,
      setState: (patch) => this.setState(patch),
      emit: (e) => this.emit(e),
      messenger: () => this.messenger,
      requireReady: () => this.requireReady(),
      guard: (fn, refusal) => this.guard(fn, refusal),
      settings: () => this.settings(),
      start: () => this.start(),
      signedIn: async (m) => {
        if (this.stopped) { m.close(); return; } // finished as the app stopped: nothing is opened after stop()
        this.messenger = m;
        await this.enterSignedIn();
      },
      startReceiving: () => this.receiver.start(),
      closeMessenger: () => {
        this.receiver.stop();
        this.messenger?.close();
        this.messenger = undefined;
      },
      emitGroupUpdates: () => this.receiver.emitGroupUpdates(),
      syncGroups: (groupId) => this.receiver.syncGroups(groupId),
      trackQueued: (messageId, conversationId) => this.receiver.trackQueued(messageId, conversationId),
    };
  }

  private emit(e: AppEvent): void {
    // A message was stored or the chats changed: it may run out before the retention timer armed so far.
    if (e.type === 'message' || e.type === 'conversations') this.messenger?.retention.changed();
    for (const l of this.listeners) {
      try { l(e); } catch { /* a broken listener must not stop delivery to the others */ }
    }
  }

  private setState(patch: Partial<AppState>): void {
    this.state = { ...this.state, ...patch, revision: this.state.revision + 1 };
    for (const key of Object.keys(patch) as (keyof AppState)[]) if (patch[key] === undefined) delete this.state[key];
    this.emit({ type: 'state', state: this.state });
  }

  private wipeOptions() {
    return {
      ...(this.opts.clearBrowserData ? { clearBrowserData: this.opts.clearBrowserData } : {}),
      ...(this.opts.now ? { now: this.opts.now } : {}),
    };
  }

  private retryWhenLocked(): void {
    clearTimeout(this.lockedTimer);
    this.lockedTimer = setTimeout(() => { if (!this.stopped && this.state.phase === 'locked') void this.start(); }, LOCKED_RETRY_MS);
    this.lockedTimer.unref();
  }

  /** Runs the wipe now (pushed by the server while running): crypto-shred, close, delete, receipt. */
  private async wipeNow(): Promise<void> {
    if (this.state.phase === 'wiped') return;
    this.receiver.stop();
    const m = this.messenger;
    const notice = await runWipe(this.opts.profileDir, this.opts.vault, 'wiped by an administrator', {
      ...this.wipeOptions(),
      closeStore: () => { m?.close(); this.messenger = undefined; },
    });
    this.setState({ phase: 'wiped', notice: wipedSentence(notice), organization: notice.organization, connection: 'offline', me: undefined, policy: undefined });
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
    // Both asked at once (one round trip less before the window shows). Offline: the accepted version stays valid.
    // The server's record counts too (it refuses messaging without it): accepted here but not there asks again.
    const [policy, consent] = await Promise.all([
      m.fetchPolicy().catch((): undefined => undefined),
      m.workplace.consent().then((c) => !c.required || c.accepted, (): undefined => undefined),
    ]);
    const onServer = policy === undefined ? undefined : consent;
    const mustAccept = policy !== undefined && (policy.version !== m.acceptedPolicy() || onServer === false);
    this.setState({
      phase: mustAccept ? 'consent' : 'ready', me, organization: m.me.organization, server: m.me.server,
      policy, error: undefined, notice: undefined,
    });
    if (!mustAccept) this.receiver.start();
  }

  private requireReady(): Messenger {
    if (this.state.phase !== 'ready' || !this.messenger) throw new UsageError('Parley is not ready: sign in and accept the messaging policy first.');
    return this.messenger;
  }

  private settings(): Settings {
    return this.messenger?.settings<Settings>() ?? DEFAULT_SETTINGS;
  }

  /**
   * Server refusals become readable errors; a refusal because this very device was wiped runs the wipe.
   * `refusal`: the sentence for a refusal of this particular action (group actions).
   */
  private async guard<T>(fn: () => Promise<T>, refusal?: (err: ApiError) => string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const wipe = asWipeRequest(err);
      if (wipe instanceof WipeRequestedError) {
        await this.wipeNow();
        throw new UsageError('this device was wiped');
      }
      if (refusal !== undefined && err instanceof ApiError) throw new UsageError(refusal(err));
      if (err instanceof ApiError && err.status === 403) throw new UsageError('only organization admins may do this');
      throw err;
    }
  }
}
