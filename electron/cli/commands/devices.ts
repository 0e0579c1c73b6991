// `parley devices …` and `parley logout`: your own devices (list, rename this one, remove another) and signing
// this one out (the server ends its registration, audited; then the local profile is deleted). Device names
// come from the server: printed cleaned (terminal.ts).
import { forgetThisDevice, type Messenger } from '../../core/messenger.ts';
import type { SecretVault } from '../../core/store/vault.ts';
import { ExitError, type Parsed } from './args.ts';
import { say, sayJson } from './terminal.ts';

const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export async function devicesCommand(m: Messenger, { command, args, values }: Parsed): Promise<void> {
  switch (command) {
    case 'devices': {
      const devices = await m.devices.list();
      if (values.json) { sayJson(devices); return; }
      for (const d of devices) {
        const where = [d.platform, d.current ? 'this device' : `last seen ${minute(d.lastSeen)}`, d.state === 'wipe-pending' ? 'wipe pending' : '']
          .filter(Boolean).join(' · ');
        say(`${String(d.deviceId).padStart(3)}  ${d.name}  (${where})`);
      }
      return;
    }
    case 'devices rename': {
      const d = await m.devices.rename(args[0]!);
      say(`this device is now called "${d.name}"`);
      return;
    }
    case 'devices remove': {
      if (!/^[1-9][0-9]{0,6}$/.test(args[0]!)) throw new ExitError(2, `not a device number (see parley devices): ${args[0]}`);
      await m.devices.remove(Number(args[0]));
      say(`removed device ${args[0]}: it is signed out and gets no more messages`);
      return;
    }
  }
}

/** Ends this device's registration on the server, then deletes the local profile. Nothing local goes if the server refuses. */
export async function logoutCommand(m: Messenger, profile: string, vault: SecretVault): Promise<void> {
  const me = m.me;
  await m.devices.endRegistration();
  m.close();
  await forgetThisDevice(profile, vault);
  say(`signed out: device ${me.deviceId} of ${me.email} is no longer registered and its local messages are deleted`);
}
