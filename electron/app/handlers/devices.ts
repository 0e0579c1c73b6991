// Handlers for your own devices (Settings → Your devices), signing this device out, and opening a link from a
// message in the system browser.
import { forgetThisDevice, UsageError } from '../../core/messenger.ts';
import { NetworkError } from '../../core/net/api.ts';
import type { AppHost, Handlers } from '../host.ts';

type DeviceMethods = 'devices.list' | 'devices.rename' | 'devices.remove' | 'device.signOut' | 'links.open';

/** http(s) with a host and no user:password, re-serialized by the URL parser; null otherwise. */
export function safeLink(url: string): string | null {
  let u: URL;
  try { u = new URL(url); } catch { return null; }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.hostname === '' || u.username !== '' || u.password !== '') return null;
  return u.href;
}

export function deviceHandlers(host: AppHost): Pick<Handlers, DeviceMethods> {
  const { opts } = host;
  return {
    'devices.list': async () => {
      const m = host.requireReady();
      return host.guard(() => m.devices.list());
    },
    'devices.rename': async ({ name }) => {
      const m = host.requireReady();
      return host.guard(() => m.devices.rename(name));
    },
    'devices.remove': async ({ deviceId }) => {
      const m = host.requireReady();
      await host.guard(() => m.devices.remove(deviceId));
      return null;
    },

    'device.signOut': async () => {
      const m = host.messenger();
      if (!m) throw new UsageError('this device is not signed in');
      try {
        await host.guard(() => m.devices.endRegistration());
      } catch (err) {
        // Nothing is deleted unless the server has let this device go: it must not keep receiving unseen.
        if (err instanceof NetworkError) throw new UsageError('Parley cannot reach the server, so this device is still signed in. Try again when you are online.');
        throw err;
      }
      host.closeMessenger();
      await forgetThisDevice(opts.profileDir, opts.vault);
      host.setState({ phase: 'signed-out', notice: undefined, error: undefined, me: undefined, policy: undefined, connection: 'offline' });
      return host.state();
    },

    'links.open': async ({ url }) => {
      const safe = safeLink(url);
      if (safe === null) throw new UsageError('Only web links (http and https) can be opened.');
      await opts.openExternal(safe);
      return null;
    },
  };
}
