// This person's own devices, as Settings and `parley devices` show them: list, rename this one, remove another,
// and sign this one out (the server revokes it, audited; then the local profile is deleted: forgetThisDevice).
// Names say what runs where ("Parley desktop on LAPTOP-42", "CLI on vm") so that an admin choosing what to
// wipe can tell the devices apart.
import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { OwnDevice } from '../../../common/wire/devices.ts';
import { LIMITS } from '../../../common/wire/schemas.ts';
import { ApiError, ErrorCode, type ApiClient } from '../net/api.ts';
import { removeProfileInfo } from '../account/profile.ts';
import { LIFECYCLE_KEY } from '../lifecycle/lifecycle.ts';
import { STORE_FILE } from '../store/local-store.ts';
import type { SecretVault } from '../store/vault.ts';
import { UsageError } from '../context.ts';

export type { OwnDevice } from '../../../common/wire/devices.ts';

const PLATFORMS: Partial<Record<NodeJS.Platform, string>> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows', freebsd: 'FreeBSD' };

export function platformName(platform: NodeJS.Platform = process.platform): string {
  return PLATFORMS[platform] ?? platform;
}

/** "<kind> on <host>", cut to what the server accepts. */
export function deviceName(kind: string, host: string = hostname()): string {
  return `${kind} on ${host || 'an unnamed computer'}`.slice(0, LIMITS.deviceNameChars);
}

export class OwnDevices {
  constructor(private readonly api: ApiClient, private readonly thisDevice: number) {}

  /** This device first, then the others by most recently seen. */
  async list(): Promise<OwnDevice[]> {
    const { devices } = await this.api.ownDevices();
    return devices.sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeen - a.lastSeen);
  }

  rename(name: string): Promise<OwnDevice> {
    const trimmed = name.trim();
    if (!trimmed) throw new UsageError('a device name cannot be empty');
    if (trimmed.length > LIMITS.deviceNameChars) throw new UsageError(`a device name has at most ${LIMITS.deviceNameChars} characters`);
    return this.api.updateOwnDevice({ name: trimmed });
  }

  /** Revokes another of your devices (its queued messages are dropped; it is told at its next contact). */
  async remove(deviceId: number): Promise<void> {
    if (deviceId === this.thisDevice) throw new UsageError('this is the device you are using; sign out instead (parley logout)');
    try {
      await this.api.removeOwnDevice(deviceId);
    } catch (err) {
      if (err instanceof ApiError && err.code === ErrorCode.unknown_device) throw new UsageError(`you have no device ${deviceId}; see parley devices`);
      throw err;
    }
  }

  /** Ends this device's registration on the server. A device the server already revoked or wiped counts as done. */
  async endRegistration(): Promise<void> {
    try {
      await this.api.removeOwnDevice('me');
    } catch (err) {
      if (err instanceof ApiError && (err.code === ErrorCode.device_revoked || err.code === ErrorCode.device_wiped)) return;
      throw err;
    }
  }
}

/**
 * Deletes this device's local profile after sign-out: the store key first (the database is unreadable from then
 * on), the lifecycle key, the store files and profile.json. Unlike a wipe it leaves no "wiped" notice: the
 * profile is simply signed out and can sign in again. Call with the store closed.
 */
export async function forgetThisDevice(profileDir: string, vault: SecretVault): Promise<void> {
  await vault.destroy('store-key');
  await vault.destroy(LIFECYCLE_KEY);
  for (const f of [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`, `${STORE_FILE}-journal`]) rmSync(join(profileDir, f), { force: true });
  for (const d of ['attachments', 'logs', 'cache']) rmSync(join(profileDir, d), { recursive: true, force: true });
  removeProfileInfo(profileDir);
}
