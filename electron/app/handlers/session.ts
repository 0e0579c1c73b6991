// Handlers for the app's own phases: state, sign-in, the messaging-policy consent, setting a troubled
// device up again, and the app settings.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loginNewDevice, UsageError, type Messenger } from '../../core/messenger.ts';
import type { Settings, SettingsView } from '../../../common/app-api/contract.ts';
import { removeProfileInfo } from '../../core/account/profile.ts';
import { STORE_FILE } from '../../core/store/local-store.ts';
import { DEFAULT_SETTINGS, type AppHost, type Handlers } from '../host.ts';

type SessionMethods = 'state.get' | 'auth.signIn' | 'policy.accept' | 'device.reset' | 'settings.get' | 'settings.set';

/** The app's settings and the read-receipt choice with the organization's rule (the last known one when offline). */
async function settingsView(m: Messenger): Promise<SettingsView> {
  const receipts = await m.readReceipts();
  return {
    notifications: (m.settings<Settings>() ?? DEFAULT_SETTINGS).notifications, readReceipts: receipts.setting,
    ...(receipts.forcedOff ? { readReceiptsForcedOff: true } : {}),
  };
}

export function sessionHandlers(host: AppHost): Pick<Handlers, SessionMethods> {
  const { opts } = host;
  let pendingSignInUrl: string | undefined;
  return {
    'state.get': async () => {
      if (host.state().phase === 'locked') void host.start(); // "Try again": check with the server now
      return host.state();
    },

    'auth.signIn': async () => {
      // Clicking again while the browser is out (say its tab was closed) hands back the same sign-in.
      if (host.state().phase === 'signing-in' && pendingSignInUrl) return { url: pendingSignInUrl };
      if (host.state().phase !== 'signed-out') throw new UsageError('already signed in');
      let resolveUrl!: (url: string) => void;
      let rejectUrl!: (err: Error) => void;
      const urlKnown = new Promise<string>((resolve, reject) => { resolveUrl = resolve; rejectUrl = reject; });
      host.setState({ phase: 'signing-in', error: undefined });
      loginNewDevice(opts.profileDir, opts.serverUrl, {
        kind: 'browser', signal: host.lifetime,
        openBrowser: async (url) => { pendingSignInUrl = url; resolveUrl(url); await opts.openExternal(url); },
      }, { vault: opts.vault, deviceKind: opts.deviceKind ?? 'Parley desktop', ...(opts.now ? { now: opts.now } : {}) }).then(async (m) => {
        pendingSignInUrl = undefined;
        await host.signedIn(m);
      }, (err: Error) => {
        pendingSignInUrl = undefined;
        rejectUrl(err);
        host.setState({ phase: 'signed-out', error: err.message });
      });
      return { url: await urlKnown };
    },

    'policy.accept': async ({ version }) => {
      const m = host.messenger();
      const state = host.state();
      if (!m || state.phase !== 'consent' || !state.policy) throw new UsageError('there is no policy to accept');
      if (version !== state.policy.version) throw new UsageError('the policy changed; read the current version');
      await m.acceptPolicy(version);
      host.setState({ phase: 'ready' });
      host.startReceiving();
      return host.state();
    },

    'device.reset': async () => {
      if (host.state().phase !== 'problem') throw new UsageError('only a device in trouble can be set up again');
      host.closeMessenger();
      await opts.vault.destroy('store-key').catch(() => undefined);
      for (const f of [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`]) rmSync(join(opts.profileDir, f), { force: true });
      removeProfileInfo(opts.profileDir);
      host.setState({ phase: 'signed-out', notice: undefined, error: undefined, me: undefined, policy: undefined, connection: 'offline' });
      return host.state();
    },

    'settings.get': async () => settingsView(host.requireReady()),
    'settings.set': async ({ notifications, readReceipts }) => {
      const m = host.requireReady();
      // Read receipts live in the core (it decides what goes out); the rest is the app's own settings.
      if (readReceipts !== undefined) await m.setReadReceipts(readReceipts);
      if (notifications !== undefined) await m.saveSettings({ ...host.settings(), notifications });
      return settingsView(m);
    },
  };
}
