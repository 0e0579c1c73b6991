// Device lifecycle on the client: the launch sequence (finish a pending wipe → ask the server for this
// device's status → only then unlock the store), the crypto-shredding wipe, and the offline lease.
// It runs before the store is opened, so it only uses what lives outside the store: profile.json
// (non-secret ids, pinned lease key, last lease) and the vault's lifecycle key.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { Compile } from 'typebox/compile';
import { DeviceStatusResponse, signedText, type Lease } from '../../../common/wire/lifecycle.ts';
import { STORE_FILE } from '../store/local-store.ts';
import { destroyStoreKey } from '../store/local-store.ts';
import type { SecretVault } from '../store/vault.ts';
import { writeFileDurably } from '../store/durable-file.ts';
import { readProfileInfo, removeProfileInfo, updateProfileInfo, type LifecycleInfo } from '../account/profile.ts';

export type { LifecycleInfo };

export const LIFECYCLE_KEY = 'lifecycle-key';
export const WIPE_MARKER = 'WIPE-PENDING.json';
export const WIPED_FILE = 'wiped.json';
/** How often the launch sequence records a new lease or a later "seen" time (an hour of lease is the cost). */
const RECORD_EVERY_MS = 3_600_000;

/** The ordered steps of a wipe; the receipt names the ones that completed. */
export const WIPE_STEPS = ['marker-written', 'key-destroyed', 'store-closed', 'files-deleted', 'receipt-sent', 'marker-removed'] as const;
export type WipeStep = (typeof WIPE_STEPS)[number];

export interface WipeNotice { organization: string; wipedAt: number; reason: string }

export type LaunchDecision =
  | { kind: 'signed-out' }
  | { kind: 'open'; online: boolean }
  | { kind: 'locked'; since: number; notice: string }
  | { kind: 'wiped'; notice: string; wipe: WipeNotice };

export class DeviceWipedError extends Error {
  override name = 'DeviceWipedError';
  constructor(readonly wipe: WipeNotice) { super(wipedSentence(wipe)); }
}

export function wipedSentence(w: WipeNotice): string {
  const date = new Date(w.wipedAt).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  return `This device was wiped by ${w.organization} on ${date}.`;
}

// ---- keys ----

/** A fresh Ed25519 lifecycle key: the private half goes into the vault, the public half to the server. */
export function newLifecycleKey(): { privateDer: Uint8Array; publicRaw: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    privateDer: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })),
    publicRaw: new Uint8Array(Buffer.from(jwk.x!, 'base64url')),
  };
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

async function lifecycleSigner(vault: SecretVault): Promise<(text: string) => string> {
  const der = await vault.load(LIFECYCLE_KEY);
  if (!der) throw new Error('the lifecycle key of this device is missing');
  const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  return (text) => sign(null, Buffer.from(text), key).toString('base64');
}

export function verifyLease(info: LifecycleInfo, lease: Lease): boolean {
  if (!info.leasePublicKey) return false;
  try {
    return verify(null, Buffer.from(signedText.lease(info.userId, info.deviceId, lease.issuedAt, lease.lockAfter, lease.wipeAfter)),
      publicKeyFromRaw(Buffer.from(info.leasePublicKey, 'base64')), Buffer.from(lease.signature, 'base64'));
  } catch {
    return false;
  }
}

// ---- files (profile.json itself belongs to account/profile.ts) ----

export function readWiped(profileDir: string): WipeNotice | undefined {
  const p = join(profileDir, WIPED_FILE);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as WipeNotice) : undefined;
}

// ---- the wipe ----

export interface WipeOptions {
  /** Closes the open store (and zeroes what it holds in memory) when the app is running. */
  closeStore?: () => void | Promise<void>;
  /** Electron: every Chromium storage of the app (cookies, caches, IndexedDB, …). */
  clearBrowserData?: () => Promise<void>;
  now?: () => number;
  /** Test hook: called after each completed step (the kill tests end the process there). */
  afterStep?: (step: WipeStep) => void;
}

/**
 * Crypto-shred first: once the store key is gone the database is unreadable, whatever happens after.
 * Every step is idempotent; a marker written first lets the next launch finish an interrupted wipe.
 */
export async function runWipe(profileDir: string, vault: SecretVault, reason: string, opts: WipeOptions = {}): Promise<WipeNotice> {
  const now = opts.now ?? Date.now;
  const info = readProfileInfo(profileDir);
  const markerPath = join(profileDir, WIPE_MARKER);
  const marker: WipeNotice & { steps: WipeStep[] } = existsSync(markerPath)
    ? JSON.parse(readFileSync(markerPath, 'utf8'))
    : { organization: info?.organization ?? 'your organization', wipedAt: now(), reason, steps: [] };
  const done = (step: WipeStep) => {
    if (!marker.steps.includes(step)) marker.steps.push(step);
    if (step !== 'marker-removed') writeFileDurably(markerPath, JSON.stringify(marker));
    opts.afterStep?.(step);
  };

  done('marker-written');
  await destroyStoreKey(vault);
  done('key-destroyed');
  await opts.closeStore?.();
  done('store-closed');
  for (const f of [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`, `${STORE_FILE}-journal`]) rmSync(join(profileDir, f), { force: true });
  for (const d of ['attachments', 'logs', 'cache', '.chromium']) rmSync(join(profileDir, d), { recursive: true, force: true });
  await opts.clearBrowserData?.();
  done('files-deleted');

  if (info && !marker.steps.includes('receipt-sent')) {
    try {
      const signText = await lifecycleSigner(vault);
      const steps = [...marker.steps];
      const body = { userId: info.userId, deviceId: info.deviceId, wipedAt: marker.wipedAt, steps,
        signature: signText(signedText.receipt(info.userId, info.deviceId, marker.wipedAt, steps)) };
      const res = await fetch(new URL('/v1/lifecycle/wipe-receipt', info.server), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000),
      });
      // 409: the server never asked (an offline-lease wipe): nothing to confirm, the wipe itself stands.
      if (res.ok || res.status === 409) done('receipt-sent');
    } catch { /* offline: the marker stays and the next launch sends the receipt */ }
  }
  const notice: WipeNotice = { organization: marker.organization, wipedAt: marker.wipedAt, reason: marker.reason };
  if (marker.steps.includes('receipt-sent') || !info) {
    writeFileDurably(join(profileDir, WIPED_FILE), JSON.stringify(notice));
    await vault.destroy(LIFECYCLE_KEY);
    removeProfileInfo(profileDir);
    rmSync(markerPath, { force: true });
    done('marker-removed');
  } else {
    writeFileDurably(join(profileDir, WIPED_FILE), JSON.stringify(notice));
  }
  return notice;
}

// ---- the launch sequence ----

const checkStatusResponse = Compile(DeviceStatusResponse);

export type ServerStatus =
  | { kind: 'active'; lease?: Lease; organization: string; serverTime: number }
  | { kind: 'wipe'; reason: string; organization: string }
  | { kind: 'revoked'; organization: string }
  | { kind: 'unreachable'; why: string };

/**
 * POSTs JSON with node:http(s), not fetch: this runs first at every launch, and fetch's first use loads and
 * compiles undici (its HTTP parser is WebAssembly), ~40 ms of `parley whoami`, which makes no other request.
 * No redirects are followed. Resolves with the status and the parsed body (null when not JSON).
 */
function postJson(url: URL, body: string, timeoutMs: number): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (!send) { reject(new Error(`not an http(s) URL: ${url.origin}`)); return; }
    const req = send(url, {
      method: 'POST', agent: false, timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'application/json' },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_STATUS_BYTES) { req.destroy(new Error('the status response is too large')); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        let json: unknown = null;
        try { json = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { /* checked by the caller */ }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
const MAX_STATUS_BYTES = 64 * 1024;

/** Asks the server about this device, signed with the lifecycle key (no store credential needed). */
export async function fetchStatus(info: LifecycleInfo, vault: SecretVault, now: () => number): Promise<ServerStatus> {
  const signText = await lifecycleSigner(vault);
  const timestamp = now();
  let res: { status: number; json: unknown };
  try {
    res = await postJson(new URL('/v1/lifecycle/status', info.server), JSON.stringify({
      userId: info.userId, deviceId: info.deviceId, timestamp, signature: signText(signedText.status(info.userId, info.deviceId, timestamp)),
    }), 5000);
  } catch (err) {
    return { kind: 'unreachable', why: (err as Error).message };
  }
  if (res.status < 200 || res.status > 299) return { kind: 'unreachable', why: `HTTP ${res.status}` };
  const body = res.json;
  if (!checkStatusResponse.Check(body)) return { kind: 'unreachable', why: 'invalid status response' };
  if (body.status === 'wipe') return { kind: 'wipe', reason: body.wipe?.reason ?? '', organization: body.organization };
  if (body.status === 'revoked') return { kind: 'revoked', organization: body.organization };
  return { kind: 'active', organization: body.organization, serverTime: body.serverTime, ...(body.lease ? { lease: body.lease } : {}) };
}

/**
 * Decides, before the store is unlocked, whether this launch may open it.
 * Order: a pending wipe is finished first; then the server's word; offline, the signed lease.
 */
export async function prepareLaunch(profileDir: string, vault: SecretVault, opts: WipeOptions = {}): Promise<LaunchDecision> {
  const now = opts.now ?? Date.now;
  if (existsSync(join(profileDir, WIPE_MARKER))) {
    const w = await runWipe(profileDir, vault, 'resumed after an interrupted wipe', opts);
    return { kind: 'wiped', wipe: w, notice: wipedSentence(w) };
  }
  const tomb = readWiped(profileDir);
  if (tomb) return { kind: 'wiped', wipe: tomb, notice: wipedSentence(tomb) };
  const info = readProfileInfo(profileDir);
  if (!info) return { kind: 'signed-out' };

  const status = await fetchStatus(info, vault, now);
  if (status.kind === 'wipe' || status.kind === 'revoked') {
    if (status.organization) updateProfileInfo(profileDir, { organization: status.organization });
    const w = await runWipe(profileDir, vault, status.kind === 'wipe' ? (status.reason || 'wiped by an administrator') : 'device revoked', opts);
    return { kind: 'wiped', wipe: w, notice: wipedSentence(w) };
  }
  // Never let the clock go backwards below what this device has already seen.
  const seen = Math.max(now(), info.maxSeenTime ?? 0, status.kind === 'active' ? status.serverTime : 0);
  if (status.kind === 'active') {
    const fresh = status.lease && verifyLease(info, status.lease) ? status.lease : undefined;
    // Renew the stored lease hourly, not at every launch: a CLI command should not rewrite the profile.
    const stale = !info.lease || (fresh !== undefined && fresh.issuedAt - info.lease.issuedAt > RECORD_EVERY_MS);
    if (stale || status.organization !== info.organization) {
      updateProfileInfo(profileDir, { maxSeenTime: seen, organization: status.organization, ...(fresh ? { lease: fresh } : {}) });
    }
    return { kind: 'open', online: true };
  }
  if (seen > (info.maxSeenTime ?? 0) + RECORD_EVERY_MS) updateProfileInfo(profileDir, { maxSeenTime: seen });
  return offlineDecision(profileDir, vault, { ...info, maxSeenTime: seen }, seen, opts);
}

async function offlineDecision(profileDir: string, vault: SecretVault, info: LifecycleInfo, t: number, opts: WipeOptions): Promise<LaunchDecision> {
  const lease = info.lease && verifyLease(info, info.lease) ? info.lease : undefined;
  const since = lease?.issuedAt ?? info.registeredAt ?? 0;
  const lockAfter = lease?.lockAfter ?? since + (info.offlineLockHours ?? 72) * 3_600_000;
  const wipeAfter = lease ? lease.wipeAfter : (info.offlineWipeDays ? since + info.offlineWipeDays * 86_400_000 : null);
  if (wipeAfter !== null && t > wipeAfter) {
    const w = await runWipe(profileDir, vault, 'offline for longer than the company allows', opts);
    return { kind: 'wiped', wipe: w, notice: wipedSentence(w) };
  }
  if (t > lockAfter) {
    const date = new Date(since).toISOString().slice(0, 16).replace('T', ' ');
    return { kind: 'locked', since, notice: `This device has not reached ${info.organization ?? 'the company'} since ${date} UTC. Reconnect to continue.` };
  }
  return { kind: 'open', online: false };
}
