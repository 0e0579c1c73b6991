// What the per-area handlers (handlers/*.ts) may use of the controller: its state, events, the open
// messenger, and the phase changes they trigger. The controller hands each handler group one AppHost.
import type { AppEvent, AppState, Input, MethodName, Output, Settings } from '../../common/app-api/contract.ts';
import type { Messenger } from '../core/messenger.ts';
import type { ApiError } from '../core/net/api.ts';
import type { SecretVault } from '../core/store/vault.ts';

export type Handlers = { [M in MethodName]: (input: Input<M>) => Promise<Output<M>> };

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
  /** What kind of client registers ('Parley desktop' by default): the device is named "<kind> on <host>". */
  deviceKind?: string;
  /** How often group events are fetched while online (ms; default 10 s): a fallback to the server's group-changed signal. */
  groupSyncMs?: number;
  /**
   * Electron: the OS save dialog for a received file (the path chosen, or null when cancelled). Absent
   * (browser shell): saving hands the file to the page, which downloads it.
   */
  chooseSavePath?(suggestedName: string): Promise<string | null>;
  /** Electron: where "Open" saves a file first (the user's Downloads folder), and the OS opening it there. */
  openFiles?: { dir: string; open(path: string): Promise<void> };
}

export const DEFAULT_SETTINGS: Settings = { notifications: true };

export interface AppHost {
  readonly opts: AppControllerOptions;
  /** Aborted when the app stops: what waits on the user (the browser sign-in) ends with it. */
  readonly lifetime: AbortSignal;
  state(): AppState;
  setState(patch: Partial<AppState>): void;
  emit(e: AppEvent): void;
  /** The open messenger (signed in, whatever the phase), if any. */
  messenger(): Messenger | undefined;
  /** The messenger when the app is ready (signed in, policy accepted); a UsageError otherwise. */
  requireReady(): Messenger;
  /**
   * Runs a server call: a refusal because this very device was wiped runs the wipe; other refusals become
   * readable errors (`refusal` words them, e.g. for group actions).
   */
  guard<T>(fn: () => Promise<T>, refusal?: (err: ApiError) => string): Promise<T>;
  settings(): Settings;
  /** Re-runs the launch sequence (a locked device's "Try again"). */
  start(): Promise<void>;
  /** A sign-in completed: keep the messenger and move to consent or ready. */
  signedIn(m: Messenger): Promise<void>;
  startReceiving(): void;
  /** Stops receiving and closes the store (before the profile is set up again). */
  closeMessenger(): void;
  /** Pushes group system messages not yet shown. */
  emitGroupUpdates(): void;
  syncGroups(groupId?: string): Promise<void>;
  /** A message was kept in the outbox (server unreachable): its status is pushed when it goes out. */
  trackQueued(messageId: string, conversationId: string): void;
}
