// profile.json: the non-secret facts about a profile, readable before the store is unlocked (server, who,
// which device, the pinned lease key and the last lease). This module is its only reader and writer:
// registration creates it, the launch sequence (lifecycle/) updates it, a wipe or reset removes it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Lease } from '../../../common/wire/lifecycle.ts';
import { writeFileDurably } from '../store/durable-file.ts';

export const PROFILE_FILE = 'profile.json';

/** What the launch sequence reads before the store is unlocked (written at login, updated at each check). */
export interface LifecycleInfo {
  server: string;
  userId: string;
  deviceId: number;
  organization?: string;
  leasePublicKey?: string;
  offlineLockHours?: number;
  offlineWipeDays?: number | null;
  lease?: Lease;
  /** The latest time this device has seen (its clock or the server's): turning the clock back never goes below it. */
  maxSeenTime?: number;
  registeredAt?: number;
}

export interface ProfileInfo extends LifecycleInfo {
  version: 1;
  email: string;
  /** Which vault holds the store key (see store/vault.ts). */
  vault: string;
}

const pathOf = (profileDir: string) => join(profileDir, PROFILE_FILE);

export function readProfileInfo(profileDir: string): ProfileInfo | undefined {
  const p = pathOf(profileDir);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as ProfileInfo) : undefined;
}

export function writeProfileInfo(profileDir: string, info: ProfileInfo): void {
  writeFileDurably(pathOf(profileDir), `${JSON.stringify(info, null, 2)}\n`);
}

/** Merges `patch` into an existing profile.json; does nothing when there is none (signed out or wiped). */
export function updateProfileInfo(profileDir: string, patch: Partial<LifecycleInfo>): void {
  const current = readProfileInfo(profileDir);
  if (current) writeProfileInfo(profileDir, { ...current, ...patch });
}

export function removeProfileInfo(profileDir: string): void {
  rmSync(pathOf(profileDir), { force: true });
}
