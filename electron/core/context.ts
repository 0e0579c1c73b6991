// What every part of the client core shares: the open store, the server client, the Signal party and the
// signed-in account. The parts (account/, directory/, trust/, outgoing/, incoming/, groups/, …) each take
// this context; messenger.ts wires them together.
import { randomBytes } from 'node:crypto';
import type { ProtocolState, SignalParty } from '../../crypto/signal.ts';
import type { EncryptPool, EncryptPoolOptions } from './outgoing/encrypt-pool.ts';
import type { ApiClient } from './net/api.ts';
import type { LocalStore } from './store/local-store.ts';
import type { SecretVault } from './store/vault.ts';
import type { AttachmentPointer } from '../../common/wire/content.ts';

export interface MessengerOptions {
  vault?: SecretVault;
  now?: () => number;
  /** Warnings for the user (weak vault, safety-number changes); the CLI prints them on stderr. */
  warn?: (line: string) => void;
  /** At registration: what kind of client this is ('CLI', 'Parley desktop'); the device is named "<kind> on <host>". */
  deviceKind?: string;
  /** Worker threads for the protocol work of big fan-outs (outgoing/encrypt-pool.ts); false: always in-process. */
  encryptPool?: EncryptPoolOptions | false;
}

/** The signed-in account, kept in the store at registration. */
export interface Account {
  server: string;
  userId: string;
  deviceId: number;
  email: string;
  name: string;
  orgAdmin: boolean;
  issuer: string;
  organization: string;
}

export interface CoreContext {
  readonly store: LocalStore;
  readonly api: ApiClient;
  readonly party: SignalParty;
  /** The state under `party` (the encrypt pool reads and writes it directly, inside the send's transaction). */
  readonly protocol?: ProtocolState;
  /** Big fan-outs encrypt on worker threads (outgoing/encrypt-pool.ts). */
  readonly encryptPool?: EncryptPool;
  readonly account: Account;
  now(): number;
  /** Warnings for the user (weak vault, safety-number changes); the CLI prints them on stderr. */
  warn(line: string): void;
  /** A message with files reached these devices (sent now or later from the outbox): they may download the files (attachments/). */
  grantFiles?(messageId: string, files: readonly AttachmentPointer[], recipients: ReadonlyArray<{ userId: string; deviceId: number }>): Promise<void>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The server or the group's rules refuse this user (not a member, not an admin): not a typo to fix. */
export class PermissionError extends UsageError {
  override name = 'PermissionError';
}

export const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
export const unb64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
/** 128 random bits, base64url; never starting with '-', so an id is never read as an option on a command line. */
export const newMessageId = (): string => {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (id[0] !== '-') return id;
  }
};
export const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Parallel requests when a group send or view needs device lists, key bundles or contacts of many members. */
export const FETCH_PARALLEL = 8;

export async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => { while (next < items.length) await fn(items[next++]!); };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
